"""Games: equilibria of ``game`` blocks.

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

from ..analysis.grid import grids, space_sizes
from ..errors import MechError
from ..limits import MAX_BASES, MAX_GAME_CELLS, refuse_if, size_text
from ..model.evaluate import Evaluation
from ..model.model import Model, _fmt
from .continuous import ContinuousSolution, solve_continuous
from .mixed import MixedResult, mixed_equilibria, require_bases
from .sequential import ENUM_LIMIT, SequentialResult, backward_induction
from .stackelberg import StackelbergResult, stackelberg

EXACT_LIMIT = 200_000
TEXT_LIMIT = 12  # pure equilibria listed in the text report (JSON lists all)


@dataclass
class GameSolution:
    players: list[str]
    strategies: list[list[str]]
    equilibria: list[tuple[tuple[str, ...], tuple]]  # (strategy labels, payoffs)
    dominant: dict  # player -> (strategy, "strictly" | "weakly") or None
    profiles: int
    exact: bool
    notes: list = field(default_factory=list)
    mixed: MixedResult | None = None  # two-player games: every extreme equilibrium
    surviving: list[list[str]] | None = None  # iterated elimination of strictly dominated strategies
    stackelberg: StackelbergResult | None = None
    properties: list[dict] = field(default_factory=list)  # require statements: label, verdict, detail
    sign: int = 1  # -1 when the game is given by cost[i]: shown as costs, solved as payoffs -cost
    welfare: dict | None = None  # price of anarchy / stability over pure equilibria
    mixed_n: list | None = None  # n-player mixed equilibria from Gambit: (profile, regret)
    normal_form: object = None  # the payoff arrays as a NormalForm (for .nfg output and Gambit)
    sequential: SequentialResult | None = None  # 'moves A then B': subgame-perfect equilibria
    correlated: list | None = None  # the best and worst correlated equilibria (asked with correlated=True)


def payoff_arrays(model: Model, exact: bool | None = None, max_cells: int = MAX_GAME_CELLS):
    """Every player's payoff on every strategy profile: arrays with one axis per player. Sized in
    exact integers before anything is built (20 players x 20 strategies is 20^20 profiles)."""
    if model.kind != "game":
        raise MechError(f"{model.name} is a {model.kind}, not a game")
    name = payoff_name(model)
    T = space_sizes(model, None)
    P = math.prod(T)
    refuse_if(P * len(T), max_cells, f"payoffs of {model.name} to evaluate ({len(T)} players x "
              f"{size_text(P)} strategy profiles):", "--max-cells")
    gs = grids(model, None)
    if exact is None:  # log/exp/sqrt payoffs are floats whatever the strategies: never call them exact
        exact = P * len(T) <= EXACT_LIMIT and not model.transcendental
    idx = np.unravel_index(np.arange(P), T)
    tables = [g.exact if exact else g.values for g in gs]  # exact: Fractions (symbols stay int codes)
    ev = Evaluation(model, tables, list(idx), exact=exact)
    U = [np.broadcast_to(ev.ref(name, (c,)), (P,)) for c in model.agents.codes]

    def profile(flat: int) -> str:
        return "strategies (" + ", ".join(g.labels[int(i)] for g, i in zip(gs, np.unravel_index(flat, T), strict=True)) + ")"

    for a, u in enumerate(U):  # no equilibrium is claimed over an undefined or infinite payoff
        ev.require_finite(u, f"{name}[{model.agent_label(a)}]", profile, model.defs[name].span)
    U = [u.reshape(T) for u in U]
    if name == "cost":
        U = [-u for u in U]
    return U, gs, exact


def payoff_name(model: Model) -> str:
    """'payoff' (maximised) or 'cost' (minimised: the game is solved on payoffs -cost)."""
    if "payoff" in model.defs:
        return "payoff"
    if "cost" in model.defs:
        return "cost"
    raise MechError("a game needs payoff[i] = ... (or cost[i] = ...) for every player")


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
    """Each player's first strictly dominant strategy, else its first weakly dominant one, else None."""
    out = {}
    for a, u in enumerate(U):
        found = None
        if u.shape[a] > 1:
            for k in range(u.shape[a]):
                if _domination_failure(u, a, k, True, exact) is None:
                    found = (k, "strictly")
                    break
                if found is None and _domination_failure(u, a, k, False, exact) is None:
                    found = (k, "weakly")
        out[a] = found
    return out


def _cross_check(sol: GameSolution) -> str:
    """Compare the vertex enumeration with Gambit's enummixed (both exact for rational games)."""
    from . import gambit

    theirs = {tuple(tuple(float(v) for v in side) for side in p) for p in gambit.mixed_two_player(sol.normal_form)}
    ours = {(tuple(float(v) for v in e.x), tuple(float(v) for v in e.y)) for e in sol.mixed.equilibria}

    def close(a, b):
        return all(np.allclose(x, y, atol=1e-9) for x, y in zip(a, b, strict=True))

    missing = [t for t in theirs if not any(close(t, o) for o in ours)]
    extra = [o for o in ours if not any(close(t, o) for t in theirs)]
    if not missing and not extra:
        return f"cross-check: Gambit's enummixed finds the same {len(theirs)} extreme equilibria"
    return (f"cross-check DISAGREES with Gambit's enummixed: {len(missing)} of its equilibria not found here, "
            f"{len(extra)} found here and not by Gambit")


def iterated_elimination(U: list[np.ndarray], exact: bool) -> list[np.ndarray]:
    """Iterated elimination of strategies strictly dominated by another pure strategy: the indices
    each player keeps. Each round compares all pairs of a player's strategies on the surviving
    profiles as one array operation."""
    alive = [np.arange(s) for s in U[0].shape]
    changed = True
    while changed:
        changed = False
        for a, u in enumerate(U):
            sub = u[np.ix_(*alive)]
            ua = np.moveaxis(sub, a, 0).reshape(len(alive[a]), -1)
            if not exact:
                ua = ua.astype(float)
            diff = ua[:, None, :] - ua[None, :, :]  # (dominator, dominated, profiles of the others)
            strict = (diff > 0).all(axis=2) if exact else (diff > 1e-9 * (1 + np.abs(ua).max())).all(axis=2)
            dominated = strict.any(axis=0)
            if dominated.any() and not dominated.all():
                alive[a] = alive[a][~dominated]
                changed = True
    return alive


def solve(model: Model, mixed: bool = True, cross_check: bool = False, max_cells: int = MAX_GAME_CELLS,
          max_bases: int = MAX_BASES, correlated: bool = False) -> GameSolution | ContinuousSolution:
    """Solve a game block: finite games through payoff arrays, continuous ones through their FOCs.
    max_cells bounds the payoff table, max_bases the vertex enumeration of mixed equilibria;
    ``correlated``: also the correlated equilibria of best and worst total payoff (an LP)."""
    if model.kind == "game" and any(ts.continuous for ts in model.type_spaces):
        return solve_continuous(model)
    sizes = space_sizes(model, None)
    if len(sizes) == 2 and mixed:  # sized before the payoff table is built
        require_bases(*sizes, max_bases)
    U, gs, exact = payoff_arrays(model, max_cells=max_cells)
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
    sol = GameSolution(players, [list(g.labels) for g in gs], eqs, dominant, int(np.prod(U[0].shape)), exact)
    sol.surviving = [[gs[a].labels[k] for k in keep] for a, keep in enumerate(iterated_elimination(U, exact))]
    from . import gambit
    from .nfg import from_model

    sol.sign = -1 if payoff_name(model) == "cost" else 1
    sol.normal_form = from_model(model, U, gs, sol.sign)
    if n == 2 and mixed:
        sol.mixed = mixed_equilibria(U[0], U[1], max_bases)
        sol.notes.extend(sol.mixed.notes)
        if cross_check:
            sol.notes.append(_cross_check(sol) if gambit.available() else
                             "--cross-check needs the gambit extra (pip install mechc[gambit]); not run")
    elif n > 2 and mixed:
        if gambit.available():
            found = gambit.mixed_n_player(sol.normal_form)
            sol.mixed_n = [(p, gambit.regret(U, p)) for p in found]
            dropped = [r for _, r in sol.mixed_n if r > 1e-6]
            sol.mixed_n = [(p, r) for p, r in sol.mixed_n if r <= 1e-6]
            if dropped:
                sol.notes.append(f"{len(dropped)} profile(s) from Gambit failed the regret re-check (> 1e-6) and are not shown")
        else:
            sol.notes.append(f"mixed equilibria of {n}-player games need the gambit extra (pip install mechc[gambit])")
    sol.welfare = _welfare(U, [tuple(gs[a].labels.index(lab) for a, lab in enumerate(p)) for p, _ in eqs], sol.sign)
    order = model.extra.get("moves")
    if order is not None:
        sol.sequential = backward_induction(U, order, exact)
    sol.properties = game_properties(model, sol, U, gs)
    if correlated:
        from .correlated import correlated_equilibrium

        sol.correlated = [correlated_equilibrium(U, exact, sense) for sense in ("max", "min")]
    leader = model.extra.get("leader")
    if leader is not None:
        A, B = (U[0], U[1]) if leader == 0 else (U[1].T, U[0].T)
        sol.stackelberg = stackelberg(A, B, exact, leader)
    return sol


def _exact_recheck(model: Model, gs, prof: tuple[int, ...]) -> bool:
    """No player gains by any unilateral deviation, in exact arithmetic."""
    return _best_deviation(model, gs, prof) is None


def _best_deviation(model: Model, gs, prof: tuple[int, ...]):
    """(player, strategy, gain) of the most profitable unilateral deviation, exactly, or None."""
    n = len(prof)
    tables = [g.exact if not ts.symbolic else g.values for g, ts in zip(gs, model.type_spaces, strict=True)]
    name = payoff_name(model)
    sign = -1 if name == "cost" else 1
    for a in range(n):
        K = gs[a].size
        reports = [np.full(K, prof[j]) if j != a else np.arange(K) for j in range(n)]
        ev = Evaluation(model, tables, reports, exact=True)
        u = [sign * v for v in np.broadcast_to(ev.ref(name, (model.agents.codes[a],)), (K,))]
        k = max(range(K), key=lambda j: u[j])
        if u[k] > u[prof[a]]:
            return a, k, u[k] - u[prof[a]]
    return None


def fmt_payoff(v) -> str:
    return _fmt(v) if isinstance(v, Fraction) else f"{float(v):.6g}"


def _welfare(U, eq_profiles, sign: int) -> dict:
    """Social welfare (sum of payoffs; of costs for cost games) at the optimum and at the best and
    worst pure equilibria, with the price of anarchy and of stability when the ratios make sense."""
    W = U[0].copy()
    for u in U[1:]:
        W = W + u
    opt_k = int(np.argmax(W.astype(float))) if W.dtype != object else max(range(W.size), key=lambda k: W.flat[k])
    opt = W.flat[opt_k]
    out = {"optimum": sign * opt, "optimum_profile": np.unravel_index(opt_k, W.shape), "cost": sign < 0}
    if not eq_profiles:
        return out
    vals = [W[p] for p in eq_profiles]
    worst, best = min(vals), max(vals)
    out.update(worst_equilibrium=sign * worst, best_equilibrium=sign * best)
    num = [sign * worst, sign * best] if sign < 0 else [opt, opt]
    den = [sign * opt, sign * opt] if sign < 0 else [worst, best]
    if all(float(d) > 0 for d in den) and all(float(v) > 0 for v in num):
        out["price_of_anarchy"] = num[0] / den[0]
        out["price_of_stability"] = num[1] / den[1]
    return out


def game_properties(model: Model, sol: GameSolution, U, gs) -> list[dict]:
    """Verdicts for the game's require statements, all decided exactly over every profile."""
    out = []
    players = sol.players
    for req in model.requirements:
        verdict, detail = "verified", ""
        if req.name == "nash":
            prof = tuple(gs[a].labels.index(lab) for a, lab in enumerate(req.args))
            dev = _best_deviation(model, gs, prof)
            if dev is None:
                detail = "no player gains by any unilateral deviation (exact)"
            else:
                a, k, gain = dev
                verdict = "violated"
                detail = (f"{players[a]} gains {fmt_payoff(gain)} by playing {gs[a].labels[k]} instead of "
                          f"{req.args[a]}")
        elif req.name in ("dominant", "strictly_dominant"):
            strict = req.name == "strictly_dominant"
            who = [players.index(req.args[0])] if len(req.args) == 2 else range(len(players))
            bad = None
            for a in who:
                if req.args[-1] not in gs[a].labels:
                    continue
                bad = _domination_failure(U[a], a, gs[a].labels.index(req.args[-1]), strict, sol.exact)
                if bad is not None:
                    k, others = bad
                    ctx = ", ".join(f"{players[j]} plays {gs[j].labels[o]}" for j, o in others)
                    verdict = "violated"
                    detail = (f"for {players[a]}, {gs[a].labels[k]} does "
                              f"{'at least as well' if strict else 'better'} when {ctx}")
                    break
            if bad is None:
                detail = f"{'strictly ' if strict else ''}dominant over all {sol.profiles:,} profiles (exact)"
        elif req.name == "subgame_perfect":
            verdict, detail = _subgame_perfect_verdict(sol, tuple(gs[a].labels.index(lab) for a, lab in enumerate(req.args)))
        elif req.name == "pure_equilibrium":
            if sol.equilibria:
                detail = f"e.g. ({', '.join(sol.equilibria[0][0])})"
            else:
                verdict, detail = "violated", f"none among all {sol.profiles:,} profiles"
        out.append({"label": req.label, "verdict": verdict, "detail": detail,
                    "line": req.span.line if req.span else None})
    return out


def _subgame_perfect_verdict(sol: GameSolution, prof: tuple[int, ...]) -> tuple[str, str]:
    """Is this outcome (one move per player) reached by some subgame-perfect equilibrium?"""
    sq = sol.sequential
    how = "exact" if sq.exact else "float64, tolerance 1e-9"
    if sq.outcomes is None:
        return "unknown", (f"ties at {sq.tie_nodes:,} nodes and {sq.nodes:,} nodes in the tree (more than "
                           f"{ENUM_LIMIT:,}): subgame-perfect outcomes were not enumerated")
    if prof in sq.outcomes:
        return "verified", f"reached by a subgame-perfect equilibrium (backward induction over {sq.nodes:,} nodes, {how})"
    shown = "; ".join(_path(sol, p) for p in sq.outcomes[:3])
    return "violated", f"not a subgame-perfect outcome; the subgame-perfect outcome{'s are' if len(sq.outcomes) > 1 else ' is'} {shown}"


def _path(sol: GameSolution, prof: tuple[int, ...]) -> str:
    """An outcome in move order: 'Owner: 3/10 -> Tuner: Accept'."""
    return " -> ".join(f"{sol.players[p]}: {sol.strategies[p][prof[p]]}" for p in sol.sequential.order)


def _domination_failure(u, a: int, k: int, strict: bool, exact: bool):
    """(other strategy, others' profile) where strategy k of player a is not (strictly) better, or None."""
    ua = np.moveaxis(u, a, 0)
    rest = ua.shape[1:]
    flat = ua.reshape(ua.shape[0], -1)
    tol = 0 if exact else 1e-9  # float games: differences within 1e-9 count as ties
    if not exact:
        flat = flat.astype(float)
    for j in range(flat.shape[0]):
        if j == k:
            continue
        diff = flat[k] - flat[j]
        fail = (diff <= tol) if strict else (diff < -tol)
        if fail.any():
            pos = np.unravel_index(int(np.argmax(fail)), rest)
            others = [(p, int(o)) for p, o in zip([p for p in range(u.ndim) if p != a], pos, strict=True)]
            return j, others
    return None


def _dist(p, labels) -> str:
    """A mixed strategy as 'Top' (pure) or '1/3 Middle + 2/3 Bottom'."""
    played = [(v, lab) for v, lab in zip(p, labels, strict=True) if v != 0]
    if len(played) == 1:
        return played[0][1]
    return " + ".join(f"{fmt_payoff(v)} {lab}" for v, lab in played)


def solution_lines(sol: GameSolution | ContinuousSolution) -> list[str]:
    """The text report of a solved game (one line per fact, without indentation)."""
    if isinstance(sol, ContinuousSolution):
        return continuous_lines(sol)
    return _finite_lines(sol) + _correlated_lines(sol)


def _correlated_lines(sol: GameSolution) -> list[str]:
    out = []
    for ce in sol.correlated or ():
        sg = sol.sign
        best = "lowest" if (ce.sense == "max") == (sg < 0) else "highest"
        how = ("verified in exact rational arithmetic" if ce.exact
               else f"float64, largest deviation gain {ce.max_gain:.2g}")
        out.append(f"correlated equilibrium with the {best} total {'cost' if sg < 0 else 'payoff'} "
                   f"{fmt_payoff(sg * ce.welfare)} (LP optimum; the distribution {how}):")
        out += [f"  ({', '.join(sol.strategies[a][k] for a, k in enumerate(prof))}) with probability {_show(p)}"
                for prof, p in sorted(ce.distribution.items())]
    return out


def _finite_lines(sol: GameSolution) -> list[str]:
    out = []
    sg = sol.sign
    word = "costs" if sg < 0 else "payoffs"
    if sol.sequential is not None:
        out += _sequential_lines(sol, word)
    simultaneous = " of the simultaneous-move game" if sol.sequential is not None else ""
    if sol.equilibria:
        out.append(f"pure Nash equilibria{simultaneous} ({len(sol.equilibria)}), each re-verified: no player gains by deviating")
        shown = sol.equilibria if len(sol.equilibria) <= TEXT_LIMIT else sol.equilibria[:TEXT_LIMIT - 2]
        out += [f"  ({', '.join(p)}) with {word} ({', '.join(fmt_payoff(sg * v) for v in pay)})" for p, pay in shown]
        if len(shown) < len(sol.equilibria):
            out.append(f"  ... and {len(sol.equilibria) - len(shown):,} more (--format json lists them all)")
    else:
        out.append(f"no pure Nash equilibrium{simultaneous}")
    mx = sol.mixed
    if mx is not None:
        how = "exact rationals" if mx.exact else "float64, tolerance 1e-7"
        kind = "degenerate game: " if mx.degenerate else ""
        out.append(f"all Nash equilibria ({len(mx.equilibria)} extreme; {kind}vertex enumeration over "
                   f"{mx.bases:,} bases, each re-verified in {how})")
        for e in mx.equilibria:
            out.append(f"  {sol.players[0]}: {_dist(e.x, sol.strategies[0])};  {sol.players[1]}: "
                       f"{_dist(e.y, sol.strategies[1])}  {word} ({fmt_payoff(sg * e.payoffs[0])}, {fmt_payoff(sg * e.payoffs[1])})")
        for xi, yi in mx.components:
            if len(xi) > 1 or len(yi) > 1:
                xs = " and ".join(f"[{_dist(mx.xs[k], sol.strategies[0])}]" for k in xi)
                ys = " and ".join(f"[{_dist(mx.ys[k], sol.strategies[1])}]" for k in yi)
                out.append(f"  a continuum: every mixture of {xs} against every mixture of {ys}")
    if sol.mixed_n is not None:
        out.append(f"mixed Nash equilibria by Gambit's enumpoly ({len(sol.mixed_n)}), each re-checked: "
                   "no pure deviation gains more than 1e-6")
        for prof, r in sol.mixed_n:
            out.append("  " + ";  ".join(f"{p}: {_dist(x, ss)}" for p, x, ss in
                                         zip(sol.players, prof, sol.strategies, strict=True)) + f"  (regret {r:.1g})")
    dom = [f"{k}: {v[0]} ({v[1]})" for k, v in sol.dominant.items() if v]
    out.append("dominant strategies: " + (", ".join(dom) if dom else "none"))
    if sol.surviving is not None and any(len(s) < len(t) for s, t in zip(sol.surviving, sol.strategies, strict=True)):
        out.append("iterated elimination of strictly dominated strategies leaves: "
                   + "; ".join(f"{p}: {{{', '.join(s)}}}" for p, s in zip(sol.players, sol.surviving, strict=True)))
    st = sol.stackelberg
    if st is not None:
        lead, fol = st.leader, 1 - st.leader
        L, F = sol.strategies[lead], sol.strategies[fol]
        i, j, lv, fv = st.pure
        out.append(f"Stackelberg, {sol.players[lead]} leads: pure commitment {L[i]} -> {sol.players[fol]} plays "
                   f"{F[j]}; {word} ({fmt_payoff(sg * lv)}, {fmt_payoff(sg * fv)}) (leader, follower)")
        how = "exact" if st.exact else "float64, tolerance 1e-7"
        out.append(f"  mixed commitment {_dist(st.x, L)} -> {sol.players[fol]} plays {F[st.response]}; {word} "
                   f"({fmt_payoff(sg * st.value)}, {fmt_payoff(sg * st.follower_value)}) ({st.lps} LPs by HiGHS in "
                   f"{st.solve_s:.3f} s; follower's best response re-checked, {how})")
    w = sol.welfare
    if w:
        kind = "social cost (sum of costs)" if w["cost"] else "welfare (sum of payoffs)"
        opt = ", ".join(sol.strategies[a][k] for a, k in enumerate(w["optimum_profile"]))
        line = f"{kind}: optimum {fmt_payoff(w['optimum'])} at ({opt})"
        if "worst_equilibrium" in w:
            line += (f"; pure equilibria from {fmt_payoff(w['best_equilibrium'])} to {fmt_payoff(w['worst_equilibrium'])}")
        out.append(line)
        if "price_of_anarchy" in w:
            out.append(f"  price of anarchy {_ratio(w['price_of_anarchy'])}, price of stability "
                       f"{_ratio(w['price_of_stability'])} (over pure equilibria)")
    out += property_lines(sol.properties)
    out += [f"note: {n}" for n in sol.notes]
    return out


def _sequential_lines(sol: GameSolution, word: str) -> list[str]:
    sq = sol.sequential
    sg = sol.sign
    how = "exact" if sq.exact else "float64, tolerance 1e-9"
    order = " then ".join(sol.players[p] for p in sq.order)
    out = [f"sequential play ({order}, each seeing the earlier moves): backward induction over "
           f"{sq.nodes:,} decision nodes, {how}"]

    def pays(v) -> str:
        return f"{word} ({', '.join(fmt_payoff(sg * x) for x in v)})"

    if sq.tie_nodes == 0:
        out.append(f"  unique subgame-perfect equilibrium: {_path(sol, sq.path)} with {pays(sq.payoffs)}")
    elif sq.outcomes is not None:
        out.append(f"  subgame-perfect outcomes ({len(sq.outcomes)}; a mover is indifferent at {_nodes(sq.tie_nodes)}):")
        out += [f"    {_path(sol, p)} with {pays(v)}" for p, v in zip(sq.outcomes, sq.outcome_payoffs, strict=True)]
    else:
        out.append(f"  a mover is indifferent at {_nodes(sq.tie_nodes)} (too many to enumerate every subgame-perfect "
                   f"outcome); ties to the first listed move: {_path(sol, sq.path)} with {pays(sq.payoffs)}")
    if sq.responses is not None:
        first, second = sq.order
        L, F = sol.strategies[first], sol.strategies[second]
        runs: list[list] = []  # [first index, last index, responses]
        for i, r in enumerate(sq.responses):
            if runs and runs[-1][2] == r:
                runs[-1][1] = i
            else:
                runs.append([i, i, r])
        parts = [(L[a] if a == b else f"{L[a]} to {L[b]}") + " -> " + " or ".join(F[j] for j in r) for a, b, r in runs]
        out.append(f"  {sol.players[second]}'s best replies: " + "; ".join(parts))
    return out


def _nodes(k: int) -> str:
    return f"{k:,} node" + ("" if k == 1 else "s")


def _ratio(v) -> str:
    return f"{fmt_payoff(v)} = {float(v):.4f}" if isinstance(v, Fraction) and v.denominator != 1 else fmt_payoff(v)


def property_lines(props: list[dict]) -> list[str]:
    return [f"require {p['label']}: {p['verdict']}" + (f" ({p['detail']})" if p["detail"] else "") for p in props]


def _num(v):
    return fmt_payoff(v) if isinstance(v, Fraction) else float(v)


def _sym(v):
    import sympy

    return str(v) if sympy.sympify(v).is_rational else float(v)


def continuous_lines(sol: ContinuousSolution) -> list[str]:
    out = []
    lab = sol.strategy
    if sol.equilibria:
        out.append(f"Nash equilibria ({len(sol.equilibria)}) by {sol.method}, each verified over the whole intervals")
        for e in sol.equilibria:
            prof = ", ".join(f"{lab}[{p}] = {_show(v)}" for p, v in zip(sol.players, e.profile, strict=True))
            out.append(f"  {prof}; payoffs ({', '.join(_show(v) for v in e.payoffs)})")
            if e.formulas:
                out.append("    as formulas of the parameters: " + ", ".join(
                    f"{lab}[{p}] = {f}" for p, f in zip(sol.players, e.formulas, strict=True)))
            out.append(f"    {e.how}")
    else:
        out.append(f"no Nash equilibrium found ({sol.method})")
    st = sol.stackelberg
    if st is not None:
        lead = sol.players[sol.leader]
        prof = ", ".join(f"{lab}[{p}] = {_show(v)}" for p, v in zip(sol.players, st.profile, strict=True))
        out.append(f"Stackelberg, {lead} leads: {prof}; payoffs ({', '.join(_show(v) for v in st.payoffs)})")
        out.append(f"  {st.how}")
    out += property_lines(sol.properties)
    out += [f"note: {n}" for n in sol.notes]
    return out


def _show(v) -> str:
    import sympy

    v = sympy.sympify(v)
    if v.is_rational:
        return fmt_payoff(Fraction(int(v.p), int(v.q)))
    return f"{float(v):.10g}"


def solution_json(model: Model, sol: GameSolution | ContinuousSolution) -> dict:
    if isinstance(sol, ContinuousSolution):
        P = sol.players
        eq = [{"profile": dict(zip(P, map(_sym, e.profile), strict=True)),
               "payoffs": dict(zip(P, map(_sym, e.payoffs), strict=True)),
               "formulas": dict(zip(P, map(str, e.formulas), strict=True)) if e.formulas else None,
               "exact": e.exact, "regret": e.regret, "how": e.how} for e in sol.equilibria]
        out = {"name": model.name, "players": P, "continuous": True, "method": sol.method, "equilibria": eq,
               "properties": sol.properties, "notes": sol.notes}
        if sol.stackelberg is not None:
            st = sol.stackelberg
            out["stackelberg"] = {"leader": P[sol.leader], "profile": dict(zip(P, map(_sym, st.profile), strict=True)),
                                  "payoffs": dict(zip(P, map(_sym, st.payoffs), strict=True))}
        return out
    P = sol.players
    out = {"name": model.name, "players": P, "strategies": sol.strategies, "profiles": sol.profiles,
           "exact": sol.exact,
           "pure_equilibria": [{"profile": dict(zip(P, p, strict=True)),
                                "payoffs": dict(zip(P, [fmt_payoff(sol.sign * v) for v in pay], strict=True))}
                               for p, pay in sol.equilibria],
           "dominant": {k: (None if v is None else {"strategy": v[0], "kind": v[1]}) for k, v in sol.dominant.items()},
           "surviving": dict(zip(P, sol.surviving, strict=True)) if sol.surviving is not None else None,
           "measure": "cost" if sol.sign < 0 else "payoff",
           "properties": sol.properties, "notes": sol.notes}
    if sol.welfare:
        w = sol.welfare
        out["welfare"] = {k: (_num(v) if k != "optimum_profile" else
                              dict(zip(P, (sol.strategies[a][int(i)] for a, i in enumerate(v)), strict=True)))
                          for k, v in w.items() if k != "cost"}
    if sol.correlated:
        out["correlated_equilibria"] = [
            {"objective": ("min" if ce.sense == "max" else "max") + "_total_cost" if sol.sign < 0
             else ce.sense + "_total_payoff", "total": _num(sol.sign * ce.welfare), "exact": ce.exact,
             "max_gain": ce.max_gain,
             "distribution": [{"profile": dict(zip(P, (sol.strategies[a][k] for a, k in enumerate(prof)), strict=True)),
                               "probability": _num(p)} for prof, p in sorted(ce.distribution.items())]}
            for ce in sol.correlated]
    if sol.mixed is not None:
        mx = sol.mixed
        out["mixed_equilibria"] = {
            "degenerate": mx.degenerate, "exact": mx.exact, "bases": mx.bases,
            "equilibria": [{"strategies": {P[0]: dict(zip(sol.strategies[0], map(_num, e.x), strict=True)),
                                           P[1]: dict(zip(sol.strategies[1], map(_num, e.y), strict=True))},
                            "payoffs": dict(zip(P, map(_num, e.payoffs), strict=True))} for e in mx.equilibria],
            "components": [{"x": [list(map(_num, mx.xs[k])) for k in xi], "y": [list(map(_num, mx.ys[k])) for k in yi]}
                           for xi, yi in mx.components]}
    if sol.sequential is not None:
        sq = sol.sequential
        out["sequential"] = {
            "order": [P[p] for p in sq.order], "exact": sq.exact, "nodes": sq.nodes, "tie_nodes": sq.tie_nodes,
            "backward_induction": {"profile": dict(zip(P, (sol.strategies[a][k] for a, k in enumerate(sq.path)), strict=True)),
                                   "payoffs": dict(zip(P, (_num(sol.sign * v) for v in sq.payoffs), strict=True))},
            "subgame_perfect_outcomes": None if sq.outcomes is None else [
                {"profile": dict(zip(P, (sol.strategies[a][k] for a, k in enumerate(o)), strict=True)),
                 "payoffs": dict(zip(P, (_num(sol.sign * v) for v in pay), strict=True))}
                for o, pay in zip(sq.outcomes, sq.outcome_payoffs, strict=True)]}
    if sol.stackelberg is not None:
        st = sol.stackelberg
        lead, fol = st.leader, 1 - st.leader
        i, j, lv, fv = st.pure
        out["stackelberg"] = {
            "leader": P[lead], "exact": st.exact,
            "pure": {"leader": sol.strategies[lead][i], "follower": sol.strategies[fol][j],
                     "payoffs": {"leader": _num(lv), "follower": _num(fv)}},
            "mixed": {"leader": dict(zip(sol.strategies[lead], map(_num, st.x), strict=True)),
                      "follower": sol.strategies[fol][st.response],
                      "payoffs": {"leader": _num(st.value), "follower": _num(st.follower_value)}}}
    return out
