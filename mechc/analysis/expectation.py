"""Expectations of measures under continuous priors, exact where possible, else with a stated error.

Two methods, chosen by a deterministic criterion (never by wall-clock time):

1. **Exact: order cells.** When every continuous type is a scalar with an exactly polynomial
   (piecewise) density on a bounded interval (uniform, triangular, integer beta, their mixtures)
   and the measure, inlined into one expression of the reports, is built from polynomials,
   ``if``/``max``/``min``/``abs``/``argmax`` whose comparisons are of the forms ``b[i] vs b[j]`` or
   ``b[i] vs constant``, the integrand is one polynomial on each *order cell*: a total order of the
   types and the constants (thresholds, support ends, density breakpoints). Each cell is a chain
   ``c <= x_1 <= x_2 <= ... <= c'``, over which a polynomial integrates exactly by iterated
   integration. The branch taken in a cell is decided at one interior rational point, and every
   comparison met on the way is checked to be constant on the cell; a comparison of another form
   (``b[1] + b[2] > 1``, ``b[1] * b[2] > c``) makes the method step aside. The number of cells is
   counted before any work; cells times expression nodes are bounded by ``WORK_BUDGET``.
   Agents with finite type sets are summed over exactly.

2. **Randomised quasi-Monte Carlo.** Otherwise (any prior with a quantile function, vector types,
   smooth or nonlinear rules): ``R`` independent scrambled Sobol sequences (scipy.stats.qmc) from a
   stated seed, mapped through each prior's quantile function, the rules evaluated as numpy arrays.
   The estimate is the mean of the replicate means and its standard error their spread / sqrt(R).
   The sample size doubles until the standard error is at most ``tol / 3`` or the sample budget
   (counted in points, not seconds) is spent; the report states value, standard error, points,
   replicates and seed. Same spec, same seed: the same number on an idle or a loaded machine.
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass
from fractions import Fraction

import numpy as np
import sympy

from ..model.evaluate import Evaluation
from ..model.model import Model, _fmt
from ..model.priors import prior_of
from ..report import Metric
from .symbolic import Inliner, NotApplicable

WORK_BUDGET = 6_000_000  # order cells x expression nodes the exact method may visit
SYMPY_CELLS, SYMPY_VARS = 48, 3  # exponential densities: sympy integrates each cell (seconds per dozen)
FINITE_BUDGET = 4_096  # finite-type profiles summed over exactly by the exact method
REPLICATES = 16  # independent scramblings; the standard error is their spread
FIRST_POINTS = 1 << 10  # points per replicate in the first round
MAX_POINTS = 1 << 20  # points per replicate at most (16.8 M evaluations in all)
CHUNK = 1 << 16  # profiles evaluated per numpy call


@dataclass
class Expectation:
    """The value of one expectation and how it was obtained."""

    value: float
    exact: Fraction | None
    stderr: float | None
    method: str
    samples: int | None = None
    seed: int | None = None
    reached_tol: bool = True

    def metric(self) -> Metric:
        return Metric(self.value, self.stderr, _fmt(self.exact) if self.exact is not None else None, self.method,
                      self.samples, self.seed)


# ---------------------------------------------------------------------------------------- polynomials
# A polynomial in the continuous types is a dict {exponent tuple: Fraction}. Hand-written because
# the exact integrator needs three operations (product, integral in one variable, substitution of a
# variable by another or a constant) millions of times on tiny polynomials, where sympy's Poly
# costs two orders of magnitude more per call.

def _const(c: Fraction, nv: int) -> dict:
    return {(0,) * nv: c} if c else {}


def _var(i: int, nv: int) -> dict:
    e = [0] * nv
    e[i] = 1
    return {tuple(e): Fraction(1)}


def _add(p: dict, q: dict, s: int = 1) -> dict:
    out = dict(p)
    for e, c in q.items():
        v = out.get(e, 0) + s * c
        if v:
            out[e] = v
        else:
            out.pop(e, None)
    return out


def _mul(p: dict, q: dict) -> dict:
    out: dict = {}
    for e1, c1 in p.items():
        for e2, c2 in q.items():
            e = tuple(a + b for a, b in zip(e1, e2, strict=True))
            v = out.get(e, 0) + c1 * c2
            if v:
                out[e] = v
            else:
                out.pop(e, None)
    return out


def _is_const(p: dict) -> bool:
    return all(not any(e) for e in p)


def _const_of(p: dict) -> Fraction:
    return next(iter(p.values())) if p else Fraction(0)


def _at(p: dict, point: list[Fraction]) -> Fraction:
    total = Fraction(0)
    for e, c in p.items():
        term = c
        for x, k in zip(point, e, strict=True):
            if k:
                term *= x ** k
        total += term
    return total


def _integrate(p: dict, i: int, lower, upper) -> dict:
    """Integral of p over x_i from lower to upper; each bound is ('c', Fraction) or ('v', index)."""
    anti: dict = {}
    for e, c in p.items():
        e2 = list(e)
        e2[i] += 1
        anti[tuple(e2)] = c / e2[i]
    return _add(_subst(anti, i, upper), _subst(anti, i, lower), -1)


def _subst(p: dict, i: int, bound) -> dict:
    kind, val = bound
    out: dict = {}
    for e, c in p.items():
        k = e[i]
        e2 = list(e)
        e2[i] = 0
        if kind == "c":
            c = c * val ** k
        else:
            e2[val] += k
        key = tuple(e2)
        v = out.get(key, 0) + c
        if v:
            out[key] = v
        else:
            out.pop(key, None)
    return out


# ---------------------------------------------------------------------------------------- exact method
class _Breakpoint(Exception):
    """A comparison against a constant that is not yet a cell boundary: add it and start again."""

    def __init__(self, var: int, value: Fraction):
        self.var, self.value = var, value


class CellIntegrator:
    """Specialises one inlined expression to the polynomial valid on an order cell.

    Subexpressions without branches are turned into polynomials once (``static``); every
    comparison is classified once by the form of its difference (constant, ``x_i - c`` or
    ``x_i - x_j``, checked to be constant on every cell), so on a cell it costs one comparison of
    two rationals."""

    def __init__(self, expr, syms: list, breaks: set):
        self.expr = expr
        self.pos = {s: k for k, s in enumerate(syms)}
        self.nv = len(syms)
        self.breaks = breaks  # the constants cells are cut at
        self.statics: dict = {}
        self.forms: dict = {}

    def poly(self, point: list[Fraction]) -> dict:
        self.point = point
        self.memo: dict = {}
        return self.num(self.expr)

    # ---- branch-free parts, once
    def static(self, e):
        key = id(e)
        if key not in self.statics:
            self.statics[key] = self._static(e)
        return self.statics[key]

    def _static(self, e):
        nv = self.nv
        if e.is_Rational:
            return _const(Fraction(int(e.p), int(e.q)), nv)
        if e in self.pos:
            return _var(self.pos[e], nv)
        if isinstance(e, sympy.Add | sympy.Mul):
            parts = [self.static(a) for a in e.args]
            if any(p is None for p in parts):
                return None
            out = parts[0]
            for p in parts[1:]:
                out = _add(out, p) if isinstance(e, sympy.Add) else _mul(out, p)
            return out
        if isinstance(e, sympy.Pow):
            base = self.static(e.base)
            return None if base is None else self._power(base, e.exp)
        return None

    def _power(self, base: dict, exp) -> dict:
        if not exp.is_Integer:
            raise NotApplicable("a non-integer power")
        k = int(exp)
        if k < 0:
            if not _is_const(base) or not base:
                raise NotApplicable("a division by a non-constant")
            return _const(_const_of(base) ** k, self.nv)
        out = _const(Fraction(1), self.nv)
        for _ in range(k):
            out = _mul(out, base)
        return out

    # ---- numbers (polynomials), per cell
    def num(self, e) -> dict:
        st = self.static(e)
        if st is not None:
            return st
        key = id(e)
        if key in self.memo:
            return self.memo[key]
        out = self._num(e)
        self.memo[key] = out
        return out

    def _num(self, e) -> dict:
        nv = self.nv
        if e.is_Number:
            raise NotApplicable(f"the number {e} is not rational")
        if isinstance(e, sympy.Add):
            out: dict = {}
            for a in e.args:
                out = _add(out, self.num(a))
            return out
        if isinstance(e, sympy.Mul):
            out = _const(Fraction(1), nv)
            for a in e.args:
                out = _mul(out, self.num(a))
                if not out:
                    return out
            return out
        if isinstance(e, sympy.Pow):
            return self._power(self.num(e.base), e.exp)
        if isinstance(e, sympy.Piecewise):
            for val, cond in e.args:
                if self.truth(cond):
                    return self.num(val)
            raise NotApplicable("an if without a matching branch")
        if isinstance(e, sympy.Max | sympy.Min):
            args = [self.num(a) for a in e.args]
            best = args[0]
            for a in args[1:]:
                d = self.sign(_add(a, best, -1))
                if (d > 0) if isinstance(e, sympy.Max) else (d < 0):
                    best = a
            return best
        if isinstance(e, sympy.Abs):
            a = self.num(e.args[0])
            return a if self.sign(a) >= 0 else _add({}, a, -1)
        raise NotApplicable(f"{type(e).__name__} is not piecewise polynomial")

    # ---- truth values
    def truth(self, c) -> bool:
        if c is sympy.true or c is True:
            return True
        if c is sympy.false or c is False:
            return False
        key = id(c)
        if key in self.memo:
            return self.memo[key]
        out = self._truth(c)
        self.memo[key] = out
        return out

    def _truth(self, c) -> bool:
        if isinstance(c, sympy.And):
            return all(self.truth(a) for a in c.args)
        if isinstance(c, sympy.Or):
            return any(self.truth(a) for a in c.args)
        if isinstance(c, sympy.Not):
            return not self.truth(c.args[0])
        if isinstance(c, sympy.ITE):
            return self.truth(c.args[1]) if self.truth(c.args[0]) else self.truth(c.args[2])
        if isinstance(c, sympy.Xor):
            return sum(self.truth(a) for a in c.args) % 2 == 1
        if isinstance(c, sympy.core.relational.Relational):
            if c.lhs.is_Boolean or c.rhs.is_Boolean:  # comparing two truth values
                same = self.truth(c.lhs) == self.truth(c.rhs)
                return same if isinstance(c, sympy.Eq) else not same
            form = self.forms.get(id(c))
            if form is None:
                lhs, rhs = self.static(c.lhs), self.static(c.rhs)
                if lhs is not None and rhs is not None:
                    form = self.forms[id(c)] = self.form(_add(lhs, rhs, -1))
            s = self.at(form) if form is not None else self.sign(_add(self.num(c.lhs), self.num(c.rhs), -1))
            return {sympy.Eq: s == 0, sympy.Ne: s != 0, sympy.Lt: s < 0, sympy.Le: s <= 0,
                    sympy.Gt: s > 0, sympy.Ge: s >= 0}[type(c)]
        raise NotApplicable(f"the condition {type(c).__name__}")

    def sign(self, d: dict) -> int:
        """The sign on the cell of a difference whose zero set must be a cell boundary."""
        key = tuple(sorted(d.items()))
        form = self.forms.get(key)
        if form is None:
            form = self.forms[key] = self.form(d)
        return self.at(form)

    def form(self, d: dict) -> tuple:
        """Classify a difference: ('k', sign) constant, ('c', s, i, b) = s * sign(x_i - b),
        ('v', s, i, j) = s * sign(x_i - x_j); anything else cannot be decided per cell."""
        if _is_const(d):
            v = _const_of(d)
            return ("k", (v > 0) - (v < 0))
        if any(sum(e) > 1 for e in d):
            raise NotApplicable("a comparison that is not linear in the types")
        coef = {e.index(1): c for e, c in d.items() if any(e)}
        const = sum((c for e, c in d.items() if not any(e)), Fraction(0))
        if len(coef) == 1:
            (i, a), = coef.items()
            b = -const / a
            if b not in self.breaks:
                raise _Breakpoint(i, b)
            return ("c", 1 if a > 0 else -1, i, b)
        if len(coef) == 2:
            (i, a), (j, b) = coef.items()
            if a != -b or const:
                raise NotApplicable("a comparison of a weighted sum of types (not b[i] vs b[j])")
            return ("v", 1 if a > 0 else -1, i, j)
        raise NotApplicable("a comparison involving three or more types")

    def at(self, form: tuple) -> int:
        if form[0] == "k":
            return form[1]
        pt = self.point
        x = pt[form[2]]
        y = form[3] if form[0] == "c" else pt[form[3]]
        return form[1] * ((x > y) - (x < y))


def _cells(gaps: list[list[int]], n_gaps: int):
    """Every order cell: an assignment of variables to gaps between constants, then an order of
    the variables that share a gap. Yields the chain as a list of (gap, variables in order)."""
    for assign in itertools.product(*gaps):
        groups: dict[int, list[int]] = {}
        for v, g in enumerate(assign):
            groups.setdefault(g, []).append(v)
        keys = sorted(groups)
        for orders in itertools.product(*(itertools.permutations(groups[g]) for g in keys)):
            yield list(zip(keys, orders, strict=True))


def _count_cells(gaps: list[list[int]]) -> int:
    """The number of cells _cells yields, by dynamic programming over variables (gap -> count)."""
    # states: how many variables sit in each gap, with the number of assignments reaching it
    states = {(): 1}
    for gs in gaps:
        new: dict = {}
        for key, cnt in states.items():
            occ = dict(key)
            for g in gs:
                occ2 = dict(occ)
                occ2[g] = occ2.get(g, 0) + 1
                k2 = tuple(sorted(occ2.items()))
                new[k2] = new.get(k2, 0) + cnt
        states = new
        if len(states) > 200_000:
            return WORK_BUDGET + 1
    return sum(cnt * math.prod(math.factorial(m) for _, m in key) for key, cnt in states.items())


def _exact_continuous(expr, syms, pieces_per_var):
    """E[expr] for independent continuous variables with the given densities: per variable a list
    of (lo, hi, density) pieces, the density either exact polynomial coefficients (a tuple of
    Fractions: the fast rational path) or a sympy expression in the variable (exponential pieces:
    integrated by sympy, the result an exact sympy number). ``hi`` may be math.inf."""
    nv = len(syms)
    size = sum(1 for _ in sympy.preorder_traversal(expr))
    rational = all(isinstance(d, tuple) for pieces in pieces_per_var for _, _, d in pieces)
    breaks = [{b for lo, hi, _ in pieces for b in (lo, hi)} for pieces in pieces_per_var]
    for _ in range(64):  # each round may learn a new breakpoint
        consts = sorted(set().union(*breaks)) if breaks else []
        # a variable may sit in gap g = (consts[g], consts[g + 1]) inside its support
        gaps = []
        dens = []
        for i in range(nv):
            mine = []
            d_i = {}
            for g in range(len(consts) - 1):
                a, b = consts[g], consts[g + 1]
                for lo, hi, d in pieces_per_var[i]:
                    if lo <= a and b <= hi:
                        mine.append(g)
                        d_i[g] = ({tuple(k if m == i else 0 for m in range(nv)): c for k, c in enumerate(d) if c}
                                  if isinstance(d, tuple) else d.on(syms[i]))
                        break
            gaps.append(mine)
            dens.append(d_i)
        cells = _count_cells(gaps)
        if cells * size > WORK_BUDGET:
            raise NotApplicable(f"{cells:,} order cells x {size:,} expression nodes exceed the exact method's "
                                f"budget of {WORK_BUDGET:,}")
        if not rational and (cells > SYMPY_CELLS or nv > SYMPY_VARS):
            raise NotApplicable(f"exponential densities are integrated exactly for at most {SYMPY_VARS} real types "
                                f"and {SYMPY_CELLS} order cells (here {nv} and {cells:,})")
        integ = CellIntegrator(expr, syms, set(consts))
        try:
            if rational:
                return _sum_cells(integ, gaps, consts, dens, nv)
            total = _sum_cells_sympy(integ, gaps, consts, dens, syms)
            for pieces in pieces_per_var:
                total /= next((d.mass for _, _, d in pieces if not isinstance(d, tuple)), 1)
            return sympy.simplify(sympy.expand(total))
        except _Breakpoint as bp:
            for i in range(nv):  # a threshold on one type is a cell boundary for every type
                breaks[i].add(bp.value)
    raise NotApplicable("too many thresholds")


def _points(chain, consts, nv) -> list[Fraction]:
    """An interior rational point of an order cell (an unbounded last gap counts up from its start)."""
    point = [Fraction(0)] * nv
    for g, order in chain:
        a, b = consts[g], consts[g + 1]
        m = len(order)
        for k, v in enumerate(order):
            point[v] = a + (b - a) * Fraction(k + 1, m + 1) if b != math.inf else a + k + 1
    return point


def _sum_cells_sympy(integ: CellIntegrator, gaps, consts, dens, syms):
    """_sum_cells with sympy integration, for densities with exponential pieces."""
    nv = len(syms)
    total = sympy.Integer(0)

    def bound(c):
        return sympy.oo if c == math.inf else sympy.Rational(c.numerator, c.denominator)

    for chain in _cells(gaps, len(consts) - 1):
        p = integ.poly(_points(chain, consts, nv))
        if not p:
            continue
        f = sympy.Add(*[sympy.Rational(c.numerator, c.denominator)
                        * sympy.Mul(*[s ** k for s, k in zip(syms, e, strict=True) if k]) for e, c in p.items()])
        for g, order in chain:
            for v in order:
                d = dens[v][g]
                f *= (sympy.Add(*[sympy.Rational(c.numerator, c.denominator) * sympy.Mul(*[s ** k for s, k in
                                  zip(syms, e, strict=True) if k]) for e, c in d.items()]) if isinstance(d, dict) else d)
        for g, order in chain:
            for k, v in enumerate(order):
                upper = syms[order[k + 1]] if k + 1 < len(order) else bound(consts[g + 1])
                f = sympy.integrate(sympy.expand(f), (syms[v], bound(consts[g]), upper))
        total += f
    return total


def _sum_cells(integ: CellIntegrator, gaps, consts, dens, nv) -> Fraction:
    total = Fraction(0)
    for chain in _cells(gaps, len(consts) - 1):
        p = integ.poly(_points(chain, consts, nv))
        if not p:
            continue
        for g, order in chain:
            for v in order:
                p = _mul(p, dens[v][g])
        # iterated integration along the chain, from the bottom: each variable from the constant
        # that opens its gap to the next element above it (the next variable of its gap, or the
        # constant that closes the gap)
        for g, order in chain:
            for k, v in enumerate(order):
                upper = ("v", order[k + 1]) if k + 1 < len(order) else ("c", consts[g + 1])
                p = _integrate(p, v, ("c", consts[g]), upper)
        total += _const_of(p)
    return total


def _density(pr) -> list:
    """(lo, hi, density) pieces of a prior for the exact method: polynomial coefficients, or a
    sympy expression for the exponential density truncated to [lo, hi] (hi may be infinite)."""
    ps = pr.density_pieces()
    if ps is not None:
        return [(p.lo, p.hi, tuple(p.coeffs)) for p in ps]
    if pr.name == "exponential" and pr.lo is not None and not pr.components:
        if pr.args[0] * max(abs(pr.lo), abs(pr.hi) if pr.hi is not None else 0) > 64:
            raise NotApplicable(f"the prior {pr.describe()} spans more than 64 of its scale lengths")
        x = sympy.Dummy("x", real=True)
        rate = sympy.Rational(pr.args[0])
        lo = sympy.Rational(pr.lo)
        # the truncation's normaliser is applied once, after integration (keeps sympy's terms small)
        mass = 1 - sympy.exp(-rate * (sympy.Rational(pr.hi) - lo)) if pr.hi is not None else sympy.Integer(1)
        return [(pr.lo, pr.hi if pr.hi is not None else math.inf,
                 _ExpDensity(rate * sympy.exp(-rate * (x - lo)), x, mass))]
    raise NotApplicable(f"the prior {pr.describe()} has no polynomial or exponential density")


def _has_exponential(model: Model) -> bool:
    return any(ts.continuous and prior_of(ts).density_pieces() is None for ts in model.type_spaces)


class _ExpDensity:
    """A density expression in a placeholder variable, bound to a coordinate on use."""

    def __init__(self, expr, var, mass):
        self.expr, self.var, self.mass = expr, var, mass  # the density is expr / mass

    def on(self, sym):
        return self.expr.subs(self.var, sym)


def exact_expectation(model: Model, expr):
    """E[expr] in exact rationals by order cells (raises NotApplicable with the reason).

    Every continuous coordinate (one per agent, or one per agent and item for vector types) is a
    variable of the integral; finite types are summed over."""
    spaces = model.type_spaces
    cont = [k for k, ts in enumerate(spaces) if ts.continuous]
    fin = [k for k, ts in enumerate(spaces) if not ts.continuous]
    syms, pieces, coords = [], [], {}
    for k in cont:
        ts = spaces[k]
        ps = _density(prior_of(ts))
        if ts.items is None:
            coords[k] = sympy.Symbol(f"x{len(syms) + 1}", real=True)
            syms.append(coords[k])
            pieces.append(ps)
        else:
            coords[k] = {}
            for code in ts.items.codes:
                coords[k][code] = sympy.Symbol(f"x{len(syms) + 1}", real=True)
                syms.append(coords[k][code])
                pieces.append(ps)
    for k in fin:
        if spaces[k].items is not None:
            raise NotApplicable("finite vector types mixed with real intervals")
    n_fin = math.prod(len(spaces[k].values) for k in fin)
    if n_fin > FINITE_BUDGET:
        raise NotApplicable(f"{n_fin:,} finite-type profiles")
    total = Fraction(0)
    for combo in itertools.product(*(range(len(spaces[k].values)) for k in fin)):
        reports: list = [coords.get(k) for k in range(model.n_agents)]
        w = Fraction(1)
        for k, j in zip(fin, combo, strict=True):
            ts = spaces[k]
            reports[k] = sympy.Integer(ts.values[j]) if ts.symbolic else sympy.Rational(ts.values[j])
            w *= ts.probs[j]
        if not w:
            continue
        f = Inliner(model, reports, {}, evaluate=False).go(expr, {})
        total += w * _exact_continuous(f, syms, pieces)
    if isinstance(total, sympy.Basic):
        total = sympy.simplify(total)
        if total.is_Rational:
            return Fraction(int(total.p), int(total.q))
    return total


# ---------------------------------------------------------------------------------------- RQMC
def rqmc_expectations(model: Model, exprs: dict, tol: float, seed: int,
                      max_points: int = MAX_POINTS) -> dict[str, Expectation]:
    """E[expr] for each named expression by randomised quasi-Monte Carlo (see the module doc)."""
    from scipy.stats import qmc

    dims = []  # (agent, item count, continuous?)
    for ts in model.type_spaces:
        k = len(ts.items) if ts.items is not None else 1
        dims.append(k)
    d = sum(dims)
    seqs = np.random.SeedSequence(seed).spawn(REPLICATES)
    engines = [qmc.Sobol(d, scramble=True, seed=np.random.default_rng(s)) for s in seqs]
    sums = {name: np.zeros(REPLICATES) for name in exprs}
    drawn = 0
    target = FIRST_POINTS
    priors = [prior_of(ts) if ts.continuous else None for ts in model.type_spaces]
    cum = [None if ts.continuous else np.cumsum([float(p) for p in ts.probs]) for ts in model.type_spaces]
    out: dict[str, Expectation] = {}
    while True:
        while drawn < target:
            m = min(CHUNK, target - drawn)
            for r, eng in enumerate(engines):
                u = eng.random(m)
                vals = _evaluate(model, exprs, u, dims, priors, cum)
                for name, v in vals.items():
                    sums[name][r] += v.sum()
            drawn += m
        means = {name: s / drawn for name, s in sums.items()}
        errs = {name: float(np.std(mu, ddof=1) / math.sqrt(REPLICATES)) for name, mu in means.items()}
        done = all(e <= tol / 3 for e in errs.values())
        if done or 2 * target > max_points:
            for name, mu in means.items():
                out[name] = Expectation(float(np.mean(mu)), None, errs[name],
                                        "randomised quasi-Monte Carlo (scrambled Sobol)", drawn * REPLICATES,
                                        seed, errs[name] <= tol / 3)
            return out
        target *= 2


def _evaluate(model: Model, exprs: dict, u: np.ndarray, dims, priors, cum) -> dict[str, np.ndarray]:
    """The expressions at m sampled type profiles (one row of u per profile)."""
    m = u.shape[0]
    tables, reports, col = [], [], 0
    for a, ts in enumerate(model.type_spaces):
        k = dims[a]
        block = u[:, col:col + k]
        col += k
        if ts.continuous:
            tables.append(priors[a].ppf(block).reshape(m, k))
            reports.append(np.arange(m))
        else:  # a finite type: the row of its table that the uniform point falls in
            table = np.array([[v] for v in ts.values], dtype=np.int64 if ts.symbolic else float)
            idx = np.minimum(np.searchsorted(cum[a], block[:, 0], side="right"), len(ts.values) - 1)
            tables.append(table)
            reports.append(idx)
    ev = Evaluation(model, tables, reports, exact=False)
    out = {}

    def where(r: int) -> str:
        return "types (" + ", ".join(_fmt_val(t[reports[a][r]]) for a, t in enumerate(tables)) + ")"

    for name, expr in exprs.items():
        with np.errstate(all="ignore"):
            val = np.broadcast_to(np.asarray(ev.eval(expr, {}), dtype=float), (m,))
        ev.require_finite(val, f"measure '{name}'", where, model.span)  # the one rule (language §4.5)
        out[name] = val
    return out


def _fmt_val(row) -> str:
    vals = [float(x) for x in np.atleast_1d(row)]
    text = [f"{v:.6g}" for v in vals]
    return text[0] if len(text) == 1 else "(" + ", ".join(text) + ")"


# ---------------------------------------------------------------------------------------- front door
def measure_expectations(model: Model, tol: float = 1e-4, seed: int = 0) -> dict[str, Metric]:
    """Every measure of a model with continuous types: exact where the order-cell method applies,
    else randomised QMC to the tolerance; metrics state the method, error, samples and seed."""
    out: dict[str, Metric] = {}
    numeric = {}
    reasons = {}
    for ms in model.measures:
        try:
            v = exact_expectation(model, ms.expr)
        except NotApplicable as e:
            numeric[ms.name] = ms.expr
            reasons[ms.name] = str(e)
            continue
        how = ("exact: integration over order cells (sympy, exponential densities)" if _has_exponential(model)
               else "exact: piecewise-polynomial integration over order cells")
        if isinstance(v, Fraction):
            out[ms.name] = Expectation(float(v), v, None, how).metric()
        else:  # an exact sympy number (exponential priors)
            out[ms.name] = Metric(float(v.evalf(30)), None, str(v), how)
    if numeric:
        got = rqmc_expectations(model, numeric, tol, seed)
        for name, ex in got.items():
            ex.method += (f", {REPLICATES} replicates, seed {seed}; the exact method does not apply: {reasons[name]}"
                          + ("" if ex.reached_tol else f"; the point budget was spent before reaching --tol {tol:g}"))
            out[name] = ex.metric()
    return {ms.name: out[ms.name] for ms in model.measures}
