"""Games: equilibria of ``game`` blocks (first increment: finite games, pure equilibria).

Every player's payoff is evaluated once on all strategy profiles as an array (the strategies are
read like reports), reshaped to one axis per player; a profile is a pure Nash equilibrium when
every player's payoff equals the maximum along its own axis. No Python loop over profiles. Small
games are computed in exact rational arithmetic; every equilibrium reported is re-verified exactly
(no player gains by any deviation) before it is returned.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from fractions import Fraction

import numpy as np

from ..analysis.grid import grids
from ..errors import MechError
from ..model.evaluate import Evaluation
from ..model.model import Model, _fmt

EXACT_LIMIT = 200_000


@dataclass
class GameSolution:
    players: list[str]
    strategies: list[list[str]]
    equilibria: list[tuple[tuple[str, ...], tuple]]  # (strategy labels, payoffs)
    dominant: dict  # player -> (strategy, "strictly" | "weakly") or None
    profiles: int
    exact: bool
    notes: list = field(default_factory=list)


def payoff_arrays(model: Model, exact: bool | None = None):
    """Every player's payoff on every strategy profile: arrays with one axis per player."""
    if model.kind != "game":
        raise MechError(f"{model.name} is a {model.kind}, not a game")
    if "payoff" not in model.defs:
        raise MechError("a game needs payoff[i] = ... for every player")
    gs = grids(model, None)
    T = [g.size for g in gs]
    P = math.prod(T)
    exact = P * len(T) <= EXACT_LIMIT if exact is None else exact
    idx = np.unravel_index(np.arange(P), T)
    tables = [g.values for g in gs]
    ev = Evaluation(model, tables, list(idx), exact=exact)
    U = [np.broadcast_to(ev.ref("payoff", (c,)), (P,)).reshape(T) for c in model.agents.codes]
    return U, gs, exact


def pure_equilibria(U: list[np.ndarray], exact: bool) -> np.ndarray:
    """Indices of the profiles where every player best-responds (an (k, n) integer array)."""
    mask = np.ones(U[0].shape, dtype=bool)
    for a, u in enumerate(U):
        best = u.max(axis=a, keepdims=True)
        if exact:
            mask &= u == best
        else:
            uf = u.astype(float)
            bf = best.astype(float)
            mask &= uf >= bf - 1e-9 * (1 + np.abs(bf))
    return np.argwhere(mask)


def dominant_strategies(U: list[np.ndarray], exact: bool) -> dict:
    out = {}
    for a, u in enumerate(U):
        ua = np.moveaxis(u, a, 0).reshape(u.shape[a], -1)
        found = None
        for k in range(ua.shape[0]):
            others = [j for j in range(ua.shape[0]) if j != k]
            if not others:
                continue
            diff = ua[k][None, :] - ua[others]
            if exact:
                weak, strict = bool((diff >= 0).all()), bool((diff > 0).all())
            else:
                df = diff.astype(float)
                weak, strict = bool((df >= -1e-9).all()), bool((df > 1e-9).all())
            if strict:
                found = (k, "strictly")
                break
            if weak and found is None:
                found = (k, "weakly")
        out[a] = found
    return out


def solve(model: Model) -> GameSolution:
    U, gs, exact = payoff_arrays(model)
    n = len(U)
    players = [model.agent_label(a) for a in range(n)]
    eqs = []
    for prof in pure_equilibria(U, exact):
        prof = tuple(int(k) for k in prof)
        if not _exact_recheck(model, gs, prof):
            continue  # a float tie the exact check does not confirm: never report it
        pay = tuple(U[a][prof] for a in range(n))
        eqs.append((tuple(gs[a].labels[k] for a, k in enumerate(prof)), pay))
    dom = dominant_strategies(U, exact)
    dominant = {players[a]: ((gs[a].labels[d[0]], d[1]) if d else None) for a, d in dom.items()}
    return GameSolution(players, [g.labels for g in gs], eqs, dominant, int(np.prod(U[0].shape)), exact)


def _exact_recheck(model: Model, gs, prof: tuple[int, ...]) -> bool:
    """No player gains by any unilateral deviation, in exact arithmetic."""
    n = len(prof)
    tables = [g.exact if not ts.symbolic else g.values for g, ts in zip(gs, model.type_spaces, strict=True)]
    for a in range(n):
        K = gs[a].size
        reports = [np.full(K, prof[j]) if j != a else np.arange(K) for j in range(n)]
        ev = Evaluation(model, tables, reports, exact=True)
        u = np.broadcast_to(ev.ref("payoff", (model.agents.codes[a],)), (K,))
        if any(u[k] > u[prof[a]] for k in range(K)):
            return False
    return True


def fmt_payoff(v) -> str:
    return _fmt(v) if isinstance(v, Fraction) else f"{float(v):.6g}"
