"""Exact optimality certificates for the linear (and separable concave quadratic) programs of
designs and contracts.

The solver's optimum is a float. It is called exact only when an exact Karush-Kuhn-Tucker
certificate is established in rational arithmetic: a primal point x and multipliers (y >= 0 for the
inequality rows, z for the equalities, lambda/mu >= 0 for the bounds) such that

- x satisfies every constraint exactly (primal feasibility);
- grad f(x) = A^T y + E^T z - lambda + mu exactly, for "maximize f" (stationarity; f = c.x + sum q x^2
  with q <= 0, so these conditions are sufficient);
- every multiplier is zero where its constraint is slack (complementary slackness).

The rational point and multipliers are recovered from the solver's floats: the constraints tight
at the float optimum (and the multipliers the solver reports nonzero) define square-or-larger
linear systems, solved by sparse exact elimination; unknowns the systems leave free take the
solver's value rounded to a nearby fraction. The work is counted (entries touched) and bounded:
past the budget, nothing is claimed.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from fractions import Fraction

import numpy as np

WORK_BUDGET = 3_000_000  # entries touched by the exact eliminations before giving up (a few seconds)
TIGHT = 1e-7  # relative slack below which a constraint counts as tight at the float optimum
DENOMINATORS = (1000, 10**6)


class TooLarge(Exception):
    pass


@dataclass
class ExactProgram:
    """maximize c.x + sum_j q_j x_j^2 + c0 (q <= 0) subject to A x <= b, E x == e, lo <= x <= hi.

    Rows are sparse: lists of (column indices, Fraction coefficients). A minimisation is stated with
    the objective negated (``negated`` records it for reporting)."""

    n: int
    c: list
    c0: Fraction
    ub: list  # [(cols, vals)]
    b: list
    eq: list
    e: list
    lo: list  # Fraction or None
    hi: list
    q: list | None = None
    negated: bool = False

    def __post_init__(self):
        data = [*self.c, self.c0, *self.b, *self.e, *(v for _, vals in self.ub + self.eq for v in vals),
                *(v for v in self.lo + self.hi if v is not None), *(self.q or ())]
        if not all(isinstance(v, Fraction | int) for v in data):
            raise TypeError("an exact program holds Fractions (a float slipped in)")

    def objective(self, x) -> Fraction:
        v = self.c0 + sum(cj * xj for cj, xj in zip(self.c, x, strict=True) if cj)
        if self.q is not None:
            v += sum(qj * xj * xj for qj, xj in zip(self.q, x, strict=True) if qj)
        return -v if self.negated else v


@dataclass
class Certificate:
    certified: bool
    objective: Fraction | None = None  # the exact optimum (in the program's own sense) when certified
    x: list | None = None  # the exact optimal point
    reason: str = ""
    work: int = 0
    stats: dict = field(default_factory=dict)


def _dot(cols, vals, x) -> Fraction:
    return sum((v * x[j] for j, v in zip(cols, vals, strict=True)), Fraction(0))


class _Eliminator:
    """Sparse exact Gaussian elimination of equations sum_j a_j u_j = r, one at a time."""

    def __init__(self, budget: list, rank=None):
        self.pivots: list = []  # (var, row dict with coefficient 1 on var, rhs)
        self.where: dict = {}  # var -> position in pivots
        self.budget = budget
        self.rank = rank or (lambda var: var)  # pivots are chosen smallest rank first

    def add(self, row: dict, rhs: Fraction) -> bool:
        """Add an equation; False when it contradicts the earlier ones."""
        row = {k: v for k, v in row.items() if v}
        while True:
            # eliminate the earliest pivot left in the row: its pivot row holds no earlier pivot, so
            # the earliest position only grows
            pos = min((self.where[k] for k in row if k in self.where), default=None)
            if pos is None:
                break
            var, prow, prhs = self.pivots[pos]
            f = row[var]
            self.budget[0] -= len(prow) + len(row)
            if self.budget[0] < 0:
                raise TooLarge
            for k, v in prow.items():
                nv = row.get(k, 0) - f * v
                if nv:
                    row[k] = nv
                else:
                    row.pop(k, None)
            rhs -= f * prhs
        if not row:
            return rhs == 0
        var = min(row, key=self.rank)
        a = row[var]
        self.where[var] = len(self.pivots)
        self.pivots.append((var, {k: v / a for k, v in row.items()}, rhs / a))
        return True

    def solve(self, free_value) -> dict:
        """A solution: unknowns no equation pins take free_value(var); the pivots follow."""
        out: dict = {}
        for var, prow, prhs in reversed(self.pivots):
            s = prhs
            for k, v in prow.items():
                if k != var:
                    if k not in out:
                        out[k] = free_value(k)
                    s -= v * out[k]
            out[var] = s
        return out


def _snap(v: float, den: int) -> Fraction:
    return Fraction(float(v)).limit_denominator(den)


def _tight(lhs: float, rhs: float) -> bool:
    return abs(lhs - rhs) <= TIGHT * (1 + abs(rhs))


def certify(p: ExactProgram, x_float, y_float, z_float, lo_dual, hi_dual, candidates=()) -> Certificate:
    """An exact KKT certificate near the solver's point, or the reason there is none. ``candidates``
    are rational points to try first (e.g. the snapped, re-verified design)."""
    budget = [WORK_BUDGET]
    x_float = np.asarray(x_float, dtype=float)
    try:
        points = itertools.chain((list(c) for c in candidates), _primal_from_tight(p, x_float, y_float, budget))
        reason = "no rational point near the solver's optimum satisfies every constraint exactly"
        tried = set()
        for x in points:  # lazily: the eliminations run only when the candidates fail
            if x is None or tuple(x) in tried:
                continue
            tried.add(tuple(x))
            bad = _primal_violation(p, x)
            if bad:
                continue
            for ok, why in _duals(p, x, y_float, z_float, lo_dual, hi_dual, budget):
                if ok:
                    return Certificate(True, p.objective(x), x, "exact KKT certificate: primal and dual feasible, "
                                       "stationary and complementary in rational arithmetic",
                                       WORK_BUDGET - budget[0])
                reason = why
    except TooLarge:
        return Certificate(False, reason=f"the exact elimination exceeded its budget of {WORK_BUDGET:,} entries",
                           work=WORK_BUDGET)
    return Certificate(False, reason=reason, work=WORK_BUDGET - budget[0])


def _primal_violation(p: ExactProgram, x) -> str:
    for j, v in enumerate(x):
        if (p.lo[j] is not None and v < p.lo[j]) or (p.hi[j] is not None and v > p.hi[j]):
            return f"bound of variable {j}"
    for i, (cols, vals) in enumerate(p.ub):
        if _dot(cols, vals, x) > p.b[i]:
            return f"inequality row {i}"
    for i, (cols, vals) in enumerate(p.eq):
        if _dot(cols, vals, x) != p.e[i]:
            return f"equality row {i}"
    return ""


def _primal_from_tight(p: ExactProgram, xf, yf, budget: list):
    """Rational points on the constraints tight at the float optimum (free coordinates rounded): first
    only the rows the solver gives a nonzero multiplier (complementary slackness needs those tight),
    then every tight row. Yields points (None when the equations contradict each other)."""
    lhs = [float(sum(float(v) * xf[j] for j, v in zip(cols, vals, strict=True))) for cols, vals in p.ub]
    tight = [i for i in range(len(p.ub)) if _tight(lhs[i], float(p.b[i]))]
    support = [i for i in tight if abs(yf[i]) > TIGHT] if len(yf) else []
    for rows in (support, tight):
        el = _Eliminator(budget)
        ok = True
        for j in range(p.n):
            for bound in (p.lo[j], p.hi[j]):
                if ok and bound is not None and _tight(xf[j], float(bound)):
                    ok = el.add({j: Fraction(1)}, bound)
        for (cols, vals), rhs in zip(p.eq, p.e, strict=True):
            ok = ok and el.add(dict(zip(cols, vals, strict=True)), rhs)
        for i in rows:
            cols, vals = p.ub[i]
            ok = ok and el.add(dict(zip(cols, vals, strict=True)), p.b[i])
        if not ok:
            yield None
            continue
        for den in DENOMINATORS:
            sol = el.solve(lambda j, den=den: _snap(xf[j], den))
            yield [sol.get(j, _snap(xf[j], den)) for j in range(p.n)]


def _duals(p: ExactProgram, x, yf, zf, lof, hif, budget: list):
    """Multipliers for the exact point x, one attempt per rounding of the solver's multipliers:
    unknowns are the multipliers of constraints tight at x that the solver reports nonzero (and
    every equality's); the elimination pivots on the solver's largest first, the rest take their
    rounded values. Yields (ok, reason)."""
    n = p.n
    grad = list(p.c) if p.q is None else [cj + 2 * qj * xj for cj, qj, xj in zip(p.c, p.q, x, strict=True)]
    # unknown u: ("y", i), ("z", i), ("l", j), ("m", j); column of the stationarity system per unknown
    unknowns, guess = [], {}
    for i, (cols, vals) in enumerate(p.ub):
        if abs(yf[i]) > TIGHT and _dot(cols, vals, x) == p.b[i]:
            unknowns.append(("y", i))
            guess[("y", i)] = max(yf[i], 0.0)
    for i in range(len(p.eq)):
        unknowns.append(("z", i))
        guess[("z", i)] = zf[i]
    for j in range(n):
        if p.lo[j] is not None and x[j] == p.lo[j]:
            unknowns.append(("l", j))
            guess[("l", j)] = max(lof[j], 0.0)
        if p.hi[j] is not None and x[j] == p.hi[j]:
            unknowns.append(("m", j))
            guess[("m", j)] = max(hif[j], 0.0)
    index = {u: k for k, u in enumerate(unknowns)}
    rows: list[dict] = [dict() for _ in range(n)]  # stationarity: one equation per variable
    for u in unknowns:
        kind, i = u
        k = index[u]
        if kind == "y":
            cols, vals = p.ub[i]
        elif kind == "z":
            cols, vals = p.eq[i]
        else:
            cols, vals = [i], [Fraction(-1 if kind == "l" else 1)]
        for j, v in zip(cols, vals, strict=True):
            rows[j][k] = rows[j].get(k, 0) + v
    el = _Eliminator(budget, rank=lambda k: (-abs(guess[unknowns[k]]), k))
    for j in range(n):
        if not el.add(rows[j], grad[j]):
            yield False, "no multipliers on the constraints tight at the rational optimum make it stationary"
            return
    for den in DENOMINATORS:
        yield _check_dual(p, x, grad, unknowns, index, guess, el, den)


def _check_dual(p: ExactProgram, x, grad, unknowns, index, guess, el, den) -> tuple[bool, str]:
    n = p.n
    sol = el.solve(lambda k: _snap(guess[unknowns[k]], den))
    vals = {u: sol.get(index[u], _snap(guess[u], den)) for u in unknowns}
    negative = [u for u, v in vals.items() if u[0] != "z" and v < 0]
    if negative:
        return False, f"the exact multipliers include {len(negative)} negative ones (dual infeasible)"
    # independent re-check: stationarity, and for a linear program equal primal and dual objectives
    lhs = [Fraction(0)] * n
    dual_obj = Fraction(0)
    for (kind, i), v in vals.items():
        if not v:
            continue
        if kind in ("y", "z"):
            cols, coefs = p.ub[i] if kind == "y" else p.eq[i]
            for j, a in zip(cols, coefs, strict=True):
                lhs[j] += a * v
            dual_obj += v * (p.b[i] if kind == "y" else p.e[i])
        else:
            lhs[i] += -v if kind == "l" else v
            dual_obj += -v * p.lo[i] if kind == "l" else v * p.hi[i]
    if lhs != grad:
        return False, "the exact multipliers do not make the point stationary"
    if p.q is None and dual_obj + p.c0 != sum((cj * xj for cj, xj in zip(p.c, x, strict=True)), p.c0):
        return False, "the exact primal and dual objectives differ"
    return True, ""
