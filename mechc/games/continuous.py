"""Continuous games: players choose real numbers in intervals.

Candidates come from the first-order conditions, solved with sympy: each player is either at a bound
of its interval or interior (d payoff_i / d s_i = 0), and every such pattern is tried (3^n systems,
small n). The FOCs are first solved with the parameters kept as symbols, so the answer can be
shown as a formula (Cournot: q = (a - c) / (3 b)), then with their values when that fails. When
sympy finds nothing, iterated best response (each player's best response by a grid and a bounded
scalar polish, scipy) is run and its convergence reported as it is.

Whether sympy is asked at all is decided before calling it, from the system alone, never by a clock
(the answer must not depend on the machine's load): a linear system (every FOC numerator of degree 1)
is solved for any number of players up to MAX_LINEAR_PLAYERS; a nonlinear one only with at most
MAX_SYMBOLIC_PLAYERS players and a Bezout bound (the product of the numerators' degrees, the most
isolated solutions a polynomial system can have) of at most MAX_BEZOUT. Anything else takes the
numeric path, and the report says why.

Every candidate is then verified as an equilibrium, player by player, over the whole interval:

* exactly, when the player's payoff is a polynomial in its own strategy with the others fixed at
  the (rational or algebraic) candidate: the maximum over [lo, hi] is attained at a bound or at a
  real root of the derivative, all compared in exact arithmetic;
* otherwise numerically (4001-point grid plus a bounded polish around the best points), with the
  regret found and the tolerance stated; such an equilibrium is reported as numerically checked.
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass, field

import numpy as np
import sympy

from ..analysis.symbolic import Inliner, NotApplicable
from ..errors import EvalError, MechError
from ..model.model import Model

MAX_LINEAR_PLAYERS = 200  # a linear FOC system is one sparse elimination: cheap for many players
MAX_SYMBOLIC_PLAYERS = 4  # nonlinear systems: every bound/interior pattern, 3^4 = 81 systems
MAX_BEZOUT = 16  # nonlinear systems: at most this many isolated solutions (Bezout bound)
MAX_FOLLOWER_DEGREE = 4  # Stackelberg: the follower's FOC is solved in radicals up to a quartic
MAX_ROUNDS = 100  # iterated best response: the round budget, stated in the output
MAX_BEST_RESPONSES = 1_000  # iterated best response: rounds x players, so many players get fewer rounds
GRID = 4001
TOL = 1e-9


@dataclass
class ContinuousEquilibrium:
    profile: tuple  # sympy numbers (exact when found symbolically)
    payoffs: tuple
    formulas: tuple | None  # each player's strategy as a formula of the parameters, when found
    exact: bool  # every best response checked in exact arithmetic
    regret: float  # largest gain from a deviation found (0 when exact)
    how: str


@dataclass
class ContinuousSolution:
    players: list[str]
    strategy: str
    bounds: list[tuple]
    equilibria: list[ContinuousEquilibrium]
    method: str
    notes: list[str] = field(default_factory=list)
    stackelberg: ContinuousEquilibrium | None = None
    leader: int | None = None
    properties: list[dict] = field(default_factory=list)


class _SymbolicParams(Inliner):
    """Inline with the parameters left as real symbols."""

    def _i_ParamSymbol(self, e, env):
        ptype, value = self.model.params[e.name]
        if ptype == "bool":
            return super()._i_ParamSymbol(e, env)
        return sympy.Symbol(e.name, real=True)


def payoff_expressions(model: Model, symbolic_params: bool):
    """Each player's payoff as a closed sympy expression in one symbol per player's strategy."""
    name = model.report_name
    labels = [model.agent_label(a) for a in range(model.n_agents)]
    xs = [sympy.Symbol(f"{name}[{lab}]", real=True) for lab in labels]
    inl = (_SymbolicParams if symbolic_params else Inliner)(model, xs, {})
    d = model.defs["payoff"]
    us = [inl.go(d.body, {d.index_vars[0]: c}) for c in model.agents.codes]
    return xs, us


def _param_values(model: Model) -> dict:
    return {sympy.Symbol(k, real=True): sympy.Rational(v) for k, (t, v) in model.params.items() if t != "bool"}


def _degree(e, xs) -> int | None:
    """Total degree of e in the symbols xs (None: not a polynomial in them). Term by term, since
    building a Poly over 50 generators costs seconds."""
    if not e.is_polynomial(*xs):
        return None
    gens = set(xs)
    return max((sum(int(p) for f, p in t.as_powers_dict().items() if f in gens)
                for t in sympy.Add.make_args(sympy.expand(e))), default=0)


def _foc_degrees(xs, us) -> list[int] | None:
    """The degree in the strategies of each first-order condition's numerator, or None when one is not
    a rational function of the strategies (sympy would be guessing)."""
    out = []
    for x, u in zip(xs, us, strict=True):
        foc = sympy.diff(u, x)
        d = _degree(foc if foc.is_polynomial(*xs) else sympy.numer(sympy.together(foc)), xs)
        if d is None:
            return None
        out.append(d)
    return out


def symbolic_refusal(xs, us) -> str | None:
    """Why the FOC system is not handed to sympy (None: it is). Decided from the system's size alone:
    number of players, and for nonlinear systems the Bezout bound, so the same spec always takes
    the same path whatever the machine's load."""
    degrees = _foc_degrees(xs, us)
    n = len(xs)
    if degrees is None:
        return "the first-order conditions are not rational functions of the strategies"
    if max(degrees, default=0) <= 1:
        if n > MAX_LINEAR_PLAYERS:
            return f"{n} players: linear first-order conditions are solved symbolically up to {MAX_LINEAR_PLAYERS}"
        return None
    bezout = math.prod(max(d, 1) for d in degrees)
    if n > MAX_SYMBOLIC_PLAYERS or bezout > MAX_BEZOUT:
        return (f"{n} players, degrees {'x'.join(map(str, degrees))} (Bezout bound {bezout:,}): nonlinear "
                f"first-order conditions are solved symbolically only up to {MAX_SYMBOLIC_PLAYERS} players and "
                f"a Bezout bound of {MAX_BEZOUT}")
    return None


def _solve_focs(eqs, free) -> list[dict]:
    """Solutions of a FOC system: a linear one by elimination (linsolve), any other by sympy.solve."""
    if all((_degree(e, free) or 0) <= 1 and e.is_polynomial(*free) for e in eqs):
        return [dict(zip(free, t, strict=True)) for t in sympy.linsolve(eqs, free)]
    return sympy.solve(eqs, free, dict=True)


def _foc_candidates(xs, us, bounds, subs=None):
    """Solutions of every bound/interior pattern of the first-order conditions."""
    out = []
    n = len(xs)
    # every bound/interior pattern for up to 4 players (81 systems); beyond that the interior one only
    patterns = itertools.product(("in", "lo", "hi"), repeat=n) if n <= MAX_SYMBOLIC_PLAYERS else [("in",) * n]
    for pattern in patterns:
        fixed = {x: (b[0] if p == "lo" else b[1]) for x, p, b in zip(xs, pattern, bounds, strict=True) if p != "in"}
        free = [x for x, p in zip(xs, pattern, strict=True) if p == "in"]
        if not free:
            out.append(dict(fixed))
            continue
        eqs = [sympy.diff(u, x).subs(fixed) for x, u, p in zip(xs, us, pattern, strict=True) if p == "in"]
        try:
            sols = _solve_focs(eqs, free)
        except (NotImplementedError, ValueError, TypeError):
            continue
        for s in sols:
            if set(s) >= set(free):
                out.append({**fixed, **s})
    return out


def _numeric(v) -> float:
    return float(sympy.N(v, 30))


def _best_response_exact(u, x, lo, hi):
    """max over [lo, hi] of a polynomial u(x) with exact coefficients: (max value, argmax) or None."""
    try:
        poly = sympy.Poly(sympy.expand(u), x)
    except sympy.PolynomialError:
        return None
    if not all(c.is_number and (c.is_rational or c.is_algebraic) for c in poly.coeffs()):
        return None
    points = [lo, hi]
    dpoly = poly.diff(x)
    if dpoly.degree() > 0:
        points += [r for r in sympy.real_roots(dpoly) if lo <= r <= hi]
    vals = [(sympy.nsimplify(poly.eval(p)) if p.is_rational else poly.eval(p), p) for p in points]
    return max(vals, key=lambda t: _numeric(t[0]))


def _best_response_numeric(f, lo: float, hi: float, who: str = "a player"):
    """(max value, argmax) of a vectorised f on [lo, hi]: a grid, then a bounded polish of the best points.
    A payoff that is undefined or infinite on the grid is an EvalError: no best response is read from it."""
    from scipy.optimize import minimize_scalar

    grid = np.linspace(lo, hi, GRID)
    with np.errstate(all="ignore"):
        vals = np.asarray(f(grid), dtype=float) * np.ones_like(grid)
    bad = ~np.isfinite(vals)
    if bad.any():
        k = int(np.argmax(bad))
        raise EvalError(f"the payoff of {who} is {'undefined' if np.isnan(vals[k]) else 'infinite'} at its strategy "
                        f"{grid[k]:.6g} (log of a number <= 0, division by zero or overflow)", None,
                        "guard the payoff with 'if' where it is undefined")
    best = float(vals.max())
    arg = float(grid[vals.argmax()])
    step = (hi - lo) / (GRID - 1)
    for k in np.argsort(vals)[-3:]:
        a, b = max(lo, grid[k] - step), min(hi, grid[k] + step)
        with np.errstate(all="ignore"):
            r = minimize_scalar(lambda t: -float(f(np.array([t]))[0]), bounds=(a, b), method="bounded",
                                options={"xatol": 1e-12})
        if np.isfinite(r.fun) and -r.fun > best:
            best, arg = -r.fun, float(r.x)
    return best, arg


def verify(xs, us, bounds, profile) -> tuple[bool, float, str] | None:
    """(exact, regret, how) when no player gains by deviating (exactly or within tolerance), else None."""
    exact, worst = True, 0.0
    for k, (x, u) in enumerate(zip(xs, us, strict=True)):
        others = {y: profile[j] for j, y in enumerate(xs) if j != k}
        uk = u.xreplace(others)  # xreplace: one pass, where subs re-walks the payoff once per player
        here = uk.xreplace({x: profile[k]})
        lo, hi = bounds[k]
        br = _best_response_exact(uk, x, lo, hi) if all(v.is_number for v in profile) else None
        if br is not None:
            diff = sympy.simplify(br[0] - here)
            if diff.is_rational:
                if diff > 0:
                    return None
                continue
            if _numeric(diff) > 1e-20:  # algebraic irrationals: compared to 30 digits, not exactly
                return None
            exact = False
            continue
        exact = False
        f = sympy.lambdify(x, uk, "numpy")
        others_text = ", ".join(f"{y} = {v}" for y, v in others.items())
        best, _ = _best_response_numeric(f, float(lo), float(hi), f"the player choosing {x} (others at {others_text})")
        h = float(f(np.array([float(profile[k])]))[0])
        regret = best - h
        if regret > TOL * (1 + abs(h)):
            return None
        worst = max(worst, regret)
    how = ("exact: each payoff is a polynomial in the player's own strategy; its maximum over the interval "
           "was compared in exact arithmetic") if exact else (
        f"numerical: best responses by a {GRID}-point grid and a bounded polish; largest gain found "
        f"{worst:.2g} (tolerance {TOL:g} relative)")
    return exact, worst, how


def solve_continuous(model: Model) -> ContinuousSolution:
    if "payoff" not in model.defs:
        raise MechError("a game needs payoff[i] = ... for every player")
    labels = [model.agent_label(a) for a in range(model.n_agents)]
    bounds = [(sympy.Rational(ts.lo), sympy.Rational(ts.hi)) for ts in model.type_spaces]
    try:
        xs, us = payoff_expressions(model, symbolic_params=False)
    except NotApplicable as e:
        raise MechError(f"continuous game {model.name}: the payoffs cannot be written in closed form ({e})") from None
    sol = ContinuousSolution(labels, model.report_name, bounds, [], "first-order conditions (sympy)")
    values = _param_values(model)
    formulas: dict = {}
    algebraic = all(u.is_rational_function(*xs) for u in us)
    if not algebraic:
        sol.notes.append("the payoffs are not rational functions of the strategies: first-order conditions "
                         "solved numerically")
    refusal = symbolic_refusal(xs, us) if algebraic else None
    if refusal:
        algebraic = False
        sol.notes.append(f"first-order conditions not solved symbolically ({refusal}): solved numerically")
    if values and algebraic:  # keep the parameters symbolic to show formulas; interior solutions only
        try:
            xs_s, us_s = payoff_expressions(model, symbolic_params=True)
            sym_sols = [] if symbolic_refusal(xs_s, us_s) else \
                _solve_focs([sympy.diff(u, x) for x, u in zip(xs_s, us_s, strict=True)], xs_s)
            for s in sym_sols:
                if set(s) == set(xs_s):
                    point = tuple(sympy.simplify(s[x].subs(values)) for x in xs_s)
                    formulas[point] = tuple(sympy.factor(s[x]) for x in xs_s)
        except (NotApplicable, NotImplementedError, ValueError, TypeError):
            pass
    cands = _foc_candidates(xs, us, bounds) if algebraic else []
    seen = set()
    for c in cands:
        try:
            profile = tuple(sympy.nsimplify(sympy.simplify(c[x])) if c[x].is_rational is False else c[x] for x in xs)
        except (TypeError, KeyError):
            continue
        if not all(v.is_number and v.is_real for v in profile):
            continue
        if not all(lo <= v <= hi for v, (lo, hi) in zip(profile, bounds, strict=True)):
            continue
        if profile in seen:
            continue
        seen.add(profile)
        ok = verify(xs, us, bounds, profile)
        if ok is None:
            continue
        pay = tuple(sympy.simplify(u.xreplace(dict(zip(xs, profile, strict=True)))) for u in us)
        sol.equilibria.append(ContinuousEquilibrium(profile, pay, formulas.get(profile), ok[0], ok[1], ok[2]))
    if not sol.equilibria:
        sol.method = "iterated best response (grid + bounded polish), refined by scipy's root finder on the FOCs"
        eq, note = _iterated_best_response(xs, us, bounds)
        sol.notes.append(note)
        if eq is not None:
            profile = tuple(sympy.Float(v, 15) for v in eq)
            ok = verify(xs, us, bounds, profile)
            if ok is not None:
                pay = tuple(u.subs(dict(zip(xs, profile, strict=True))) for u in us)
                sol.equilibria.append(ContinuousEquilibrium(profile, pay, None, False, ok[1], ok[2]))
            else:
                sol.notes.append("the point it stopped at is not an equilibrium (a player gains by deviating)")
    sol.equilibria.sort(key=lambda e: tuple(_numeric(v) for v in e.profile))
    sol.properties = _properties(model, sol, xs, us, bounds)
    leader = model.extra.get("leader")
    if leader is not None:
        sol.leader = leader
        sol.stackelberg = _stackelberg(xs, us, bounds, leader, sol.notes)
    return sol


def _properties(model: Model, sol: ContinuousSolution, xs, us, bounds) -> list[dict]:
    out = []
    for req in model.requirements:
        if req.name == "nash":
            prof = tuple(sympy.Rational(a) for a in req.args)
            ok = verify(xs, us, bounds, prof)
            if ok is None:
                verdict, detail = "violated", "a player gains by deviating"
            else:
                verdict, detail = ("verified" if ok[0] else "passed-search"), ok[2]
        elif req.name == "pure_equilibrium":
            if sol.equilibria:
                e = sol.equilibria[0]
                verdict = "verified" if e.exact else "passed-search"
                detail = "e.g. (" + ", ".join(str(v) for v in e.profile) + ")"
            else:
                verdict, detail = "unknown", "none found; that does not prove none exists"
        else:
            verdict, detail = "unknown", "not checked for continuous strategy sets"
        out.append({"label": req.label, "verdict": verdict, "detail": detail,
                    "line": req.span.line if req.span else None})
    return out


def _budget_text(n: int, rounds: int) -> str:
    return (f"budget {MAX_BEST_RESPONSES:,} best responses over {n} players" if rounds < MAX_ROUNDS
            else f"budget {MAX_ROUNDS} rounds")


def _iterated_best_response(xs, us, bounds, rounds: int = MAX_ROUNDS):
    """Each player in turn plays its numerical best response; once the changes are below 1e-6 the
    point is refined by solving the interior players' first-order conditions with scipy."""
    from scipy.optimize import fsolve

    n = len(xs)
    rounds = min(rounds, max(1, MAX_BEST_RESPONSES // n))  # a budget in best responses, stated below
    plain = [sympy.Symbol(f"s{k}") for k in range(n)]  # names lambdify takes as they are (q[1] is not one)
    fs = [sympy.lambdify(plain, u.xreplace(dict(zip(xs, plain, strict=True))), "numpy") for u in us]
    q = [float(lo + hi) / 2 for lo, hi in bounds]
    change, done = np.inf, 0
    for _ in range(rounds):
        done += 1
        change = 0.0
        for k in range(n):
            def f(t, k=k):  # the others' strategies as scalars: numpy broadcasts them
                return np.broadcast_to(fs[k](*[v if j != k else t for j, v in enumerate(q)]), np.shape(t))
            _, arg = _best_response_numeric(f, float(bounds[k][0]), float(bounds[k][1]))
            change = max(change, abs(arg - q[k]))
            q[k] = arg
        if change < 1e-6:
            break
    else:
        return None, (f"iterated best response did not converge in its budget of {rounds} rounds "
                      f"({_budget_text(n, rounds)}; last change {change:.2g})")
    lo = [float(b[0]) for b in bounds]
    hi = [float(b[1]) for b in bounds]
    inner = [k for k in range(len(xs)) if lo[k] + 1e-6 < q[k] < hi[k] - 1e-6]
    note = (f"iterated best response converged after {done} of at most {rounds} rounds ({_budget_text(n, rounds)}; "
            f"largest change {change:.1g})")
    if inner:
        grads = [sympy.lambdify(plain, sympy.diff(us[k], xs[k]).xreplace(dict(zip(xs, plain, strict=True))), "numpy")
                 for k in inner]

        def focs(z):
            p = list(q)
            for k, v in zip(inner, z, strict=True):
                p[k] = v
            return [float(g(*p)) for g in grads]

        z, info, ier, _ = fsolve(focs, [q[k] for k in inner], full_output=True, xtol=1e-14)
        if ier == 1 and all(lo[k] <= v <= hi[k] for k, v in zip(inner, z, strict=True)):
            for k, v in zip(inner, z, strict=True):
                q[k] = float(v)
            note += "; refined by solving the first-order conditions (scipy fsolve)"
    return q, note


def _stackelberg(xs, us, bounds, leader: int, notes: list) -> ContinuousEquilibrium | None:
    """The leader maximises its payoff given the follower's best response (interior FOC, symbolic)."""
    f = 1 - leader
    xl, xf = xs[leader], xs[f]
    foc = sympy.numer(sympy.together(sympy.diff(us[f], xf)))
    try:
        degree = sympy.Poly(foc, xf).degree()
    except (sympy.PolynomialError, sympy.GeneratorsNeeded):
        degree = None
    if degree is None or degree > MAX_FOLLOWER_DEGREE:
        notes.append("Stackelberg: the follower's first-order condition is not a polynomial of degree at most "
                     f"{MAX_FOLLOWER_DEGREE} in its strategy; not solved")
        return None
    try:
        br = sympy.solve(sympy.diff(us[f], xf), xf)
    except (NotImplementedError, ValueError, TypeError):
        br = None
    if not br or len(br) != 1:
        notes.append("Stackelberg: the follower's best response has no unique closed form; not solved")
        return None
    lo_f, hi_f = bounds[f]
    resp = br[0]
    ul = sympy.expand(us[leader].subs(xf, resp))
    lo, hi = bounds[leader]
    best = _best_response_exact(ul, xl, lo, hi)
    if best is None:
        notes.append("Stackelberg: the leader's reduced payoff is not a polynomial; not solved")
        return None
    ql = best[1]
    qf = resp.subs(xl, ql)
    if not (lo_f <= qf <= hi_f):
        notes.append("Stackelberg: the follower's interior best response leaves its interval; not solved")
        return None
    # the follower's response is verified as a best response over its whole interval
    ok = verify([xf], [us[f].subs(xl, ql)], [bounds[f]], (qf,))
    if ok is None:
        return None
    profile = [None, None]
    profile[leader], profile[f] = ql, qf
    pay = tuple(sympy.simplify(u.subs({xl: ql, xf: qf})) for u in us)
    return ContinuousEquilibrium(tuple(profile), pay, None, ok[0], ok[1],
                                 "leader's payoff maximised exactly along the follower's best response "
                                 f"{xf} = {sympy.simplify(resp)}")
