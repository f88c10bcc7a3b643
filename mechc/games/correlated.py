"""Correlated equilibria of finite n-player games by linear programming (Aumann 1974).

A distribution p over pure strategy profiles is a correlated equilibrium when no player, told to
play a, gains by playing a' instead:

    sum over s with s_i = a of p(s) * (u_i(a', s_-i) - u_i(s)) <= 0   for every i, a != a'.

These are linear constraints, so one LP (HiGHS through scipy.optimize.linprog, the rows built as
one sparse matrix per player with numpy, no Python loop over profiles) finds the correlated
equilibrium that maximises the players' total payoff (or minimises it: the worst one). The
solver's distribution is then snapped to rationals and re-verified in exact arithmetic when the
payoffs are exact: the report calls it a correlated equilibrium only when every incentive
constraint holds exactly (or, for float payoffs, within a stated tolerance). The welfare is the
solver's optimum: it is not certified optimal in exact arithmetic.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from fractions import Fraction

import numpy as np

MAX_PROFILES = 1_000_000
TOL = 1e-9


@dataclass
class CorrelatedResult:
    sense: str  # "max" or "min" total payoff
    distribution: dict  # profile (tuple of strategy indices) -> probability (Fraction when exact)
    payoffs: tuple  # each player's expected payoff under it
    welfare: object  # their sum
    exact: bool  # verified in exact rational arithmetic
    max_gain: float  # the largest gain from a deviation (0 when exact)


def correlated_equilibrium(U: list[np.ndarray], exact: bool, sense: str = "max") -> CorrelatedResult:
    """The correlated equilibrium maximising (sense "max") or minimising ("min") total payoff.

    ``U[i]`` is player i's payoff with one axis per player (Fractions in object arrays when exact)."""
    from scipy import sparse
    from scipy.optimize import linprog

    shape = U[0].shape
    P = math.prod(shape)
    if P > MAX_PROFILES:
        raise ValueError(f"{P:,} strategy profiles; correlated equilibria stop at {MAX_PROFILES:,}")
    Uf = [np.asarray(u, dtype=float) for u in U]
    flat = np.arange(P).reshape(shape)
    rows, cols, vals = [], [], []
    r0 = 0
    for i, u in enumerate(Uf):
        k = shape[i]
        ui = np.moveaxis(u, i, 0).reshape(k, -1)  # (own strategy, others' profile)
        fi = np.moveaxis(flat, i, 0).reshape(k, -1)
        a, b = np.nonzero(~np.eye(k, dtype=bool))  # every (recommended a, deviation a') pair
        gain = ui[b] - ui[a]  # (pairs, others)
        rows.append(np.repeat(r0 + np.arange(len(a)), gain.shape[1]))
        cols.append(fi[a].reshape(-1))
        vals.append(gain.reshape(-1))
        r0 += len(a)
    A_ub = sparse.csr_matrix((np.concatenate(vals) if vals else [], (np.concatenate(rows) if rows else [],
                              np.concatenate(cols) if cols else [])), shape=(r0, P))
    total = sum(u.reshape(-1) for u in Uf)
    c = -total if sense == "max" else total
    res = linprog(c, A_ub=A_ub if r0 else None, b_ub=np.zeros(r0) if r0 else None,
                  A_eq=np.ones((1, P)), b_eq=[1.0], bounds=(0, None), method="highs")
    if res.status != 0:
        raise RuntimeError(f"the correlated-equilibrium LP failed: {res.message}")
    p = np.clip(res.x, 0, None)
    if exact:
        q = _snap(p)
        if q is not None and _holds_exactly(U, q, shape):
            pay = tuple(sum((pr * u[s] for s, pr in q.items()), Fraction(0)) for u in U)
            return CorrelatedResult(sense, q, pay, sum(pay, Fraction(0)), True, 0.0)
    p = p / p.sum()
    gain = float((A_ub @ p).max()) if r0 else 0.0
    dist = {tuple(int(v) for v in np.unravel_index(k, shape)): float(p[k]) for k in np.flatnonzero(p > TOL)}
    pay = tuple(float((u.reshape(-1) * p).sum()) for u in Uf)
    return CorrelatedResult(sense, dist, pay, sum(pay), False, max(gain, 0.0))


def _snap(p: np.ndarray) -> dict | None:
    """The nearest simple rational distribution: each weight to a fraction with a small denominator,
    renormalised exactly."""
    q = {k: Fraction(float(v)).limit_denominator(10_000) for k, v in enumerate(p) if v > TOL}
    q = {k: v for k, v in q.items() if v > 0}
    s = sum(q.values(), Fraction(0))
    return {k: v / s for k, v in q.items()} if s > 0 else None


def _holds_exactly(U, q: dict, shape) -> bool:
    """Every incentive constraint, in exact arithmetic, for a distribution given by flat indices;
    rewrites q in place to be keyed by profile tuples when it holds."""
    prof = {k: tuple(int(v) for v in np.unravel_index(k, shape)) for k in q}
    for i, u in enumerate(U):
        for a in range(shape[i]):
            told = [(prof[k], w) for k, w in q.items() if prof[k][i] == a]
            if not told:
                continue
            here = sum((w * u[s] for s, w in told), Fraction(0))
            for b in range(shape[i]):
                if b != a and sum((w * u[s[:i] + (b,) + s[i + 1:]] for s, w in told), Fraction(0)) > here:
                    return False
    items = [(prof[k], w) for k, w in q.items()]
    q.clear()
    q.update(items)
    return True
