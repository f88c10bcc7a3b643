"""Automated mechanism design: ``design`` blocks solved as linear programs (cvxpy + HiGHS).

Decision variables are one value per report profile for each ``decide`` rule and agent. Every
expression the constraints and the objective use (utilities, payments, feasibility sides) must be
affine in those values; its coefficients are read off the array evaluator by evaluating it with
the decisions set to 0 and to each unit vector, over all profiles at once, and checked against a
random point. Constraint families are assembled as sparse COO matrices (never one Python
constraint object per scalar) and handed to cvxpy as a few vectorised constraints. The optimum is
snapped to exact rationals where it allows and re-verified by the exhaustive checker.
"""

from __future__ import annotations

import dataclasses
import math
import time
from dataclasses import dataclass, field
from fractions import Fraction

import numpy as np
import scipy.sparse as sp
import sympy

from .. import errors
from ..analysis.exhaustive import ExhaustiveChecker, Options
from ..analysis.grid import default_grid, grids, space_sizes
from ..errors import EvalError, MechError
from ..limits import MAX_DESIGN_VARIABLES, refuse_if, size_text
from ..model.evaluate import Evaluation
from ..model.model import Measure, Model, Requirement, _fmt
from ..report import Report
from ..solver_output import quiet_solver_output
from .certify import ExactProgram, certify
from .continuum import ContinuumEstimate, grids_needed
from .continuum import extrapolate as extrapolate_continuum
from .discretise import describe as describe_discretisation
from .discretise import discretised

SUPPORTED = ("dsic", "eps_dsic", "bic", "eps_bic", "ex_post_ir", "interim_ir", "weak_budget_balance",
             "strong_budget_balance", "no_positive_transfers", "feasible")


class DesignError(MechError):
    pass


class SolverFailure(DesignError, errors.SolverFailure):
    """The numerical solver gave up before a verdict (exit code 3)."""


def _solve(prob, solver: str, **opts) -> None:
    """prob.solve, with a solver that fails or returns no usable solution reported as such."""
    import cvxpy as cp

    try:
        with quiet_solver_output():
            prob.solve(solver=solver, **opts)
    except (cp.error.SolverError, ValueError) as e:  # ValueError: cvxpy's "Cannot unpack invalid solution"
        why = str(e).split(": Solution(")[0].splitlines()[0][:160]
        raise SolverFailure(f"solver {solver} failed: {why}") from None


def feasible_rows(model: Model):
    """Each `feasible` line of a design or contract as (label, lhs - rhs, sign, equality): the row is
    sign * (lhs - rhs) <= 0, or lhs - rhs == 0. Semantic analysis admits only these comparisons."""
    for c in model.constraints:
        e = c.expr
        if not isinstance(e, sympy.core.relational.Relational) or isinstance(e, sympy.Ne):
            raise DesignError(f"the feasibility constraint at line {c.span.line} must be one comparison (<=, >=, ==)")
        equality = isinstance(e, sympy.Eq)
        sign = 1.0 if equality or isinstance(e, sympy.LessThan | sympy.StrictLessThan) else -1.0
        yield f"feasible (line {c.span.line})", e.lhs - e.rhs, sign, equality


@dataclass
class DesignResult:
    model: Model  # the design with its decisions filled in (tables), ready for the checker
    status: str
    objective: float | None
    objective_exact: str | None
    values: dict  # (decision, agent code) -> array over report profiles (shape T_1 x ... x T_n)
    rows: dict  # constraint family -> number of rows
    variables: int
    build_s: float
    solve_s: float
    solver: str
    verification: Report | None = None
    notes: list = field(default_factory=list)
    program: str = "LP"  # LP, or QP when the objective has a (concave/convex) quadratic part
    grid: int | None = None  # points per real interval the design was solved on
    solver_objective: float | None = None  # the solver's own optimum (before snapping and re-checking)
    continuum: ContinuumEstimate | None = None  # real intervals: the continuum estimate from a ladder of grids
    timings: dict = field(default_factory=dict)  # seconds: verify_s, certify_s, extrapolation_s
    verified_objective: str | None = None  # exact objective of the rules shown (re-verified; optimal only if certified)
    certificate: str = ""  # how the optimum was certified exact, or why it was not

    @property
    def discretisation(self) -> str | None:
        """How real intervals were made finite (None for a finite design)."""
        return describe_discretisation(self.model)


def require_design_size(model: Model, k: int) -> tuple[list[int], list[tuple]]:
    """Report profiles per agent and the decision rules of a design on k points per interval, sized in
    exact integers before any grid is built (np.prod wraps around in int64: 65536^4 is 0);
    ResourceLimit beyond MAX_DESIGN_VARIABLES decision variables."""
    sizes = space_sizes(model, k)
    decisions = [(name, code) for name, d in model.defs.items() if d.body is None for code in model.agents.codes]
    P = math.prod(sizes)
    refuse_if(len(decisions) * P, MAX_DESIGN_VARIABLES, f"decision variables of the design ({len(decisions)} rules "
              f"x {size_text(P)} report profiles):", "a smaller --grid or --param")
    return sizes, decisions


class LPBuilder:
    """The program's constraint families as sparse blocks. ``exact=True`` builds the same blocks in
    rational arithmetic (object arrays of Fractions) for the optimality certificate; the float
    build's linearity checks are then not repeated."""

    def __init__(self, model: Model, grid: int | None = None, exact: bool = False):
        if model.kind != "design":
            raise DesignError(f"{model.name} is a mechanism, not a design block")
        self.model = model
        self.k = grid or default_grid(model)
        self.T, self.decisions = require_design_size(model, self.k)
        self.P = math.prod(self.T)
        self.n = model.n_agents
        self.codes = model.agents.codes
        self.m = len(self.decisions)
        self.N = self.m * self.P
        self.grids = grids(model, self.k)
        self.exact = exact
        self.probs = [g.exact_probs if exact else g.probs for g in self.grids]
        self.tables = [g.exact if exact else g.values for g in self.grids]
        self.dtype = object if exact else float
        self.rows: dict[str, int] = {}
        self.ub: list = []  # (rows, cols, vals, rhs) blocks of A x <= b
        self.eq: list = []

    # ---- affine extraction
    def _cache(self, k_on: int | None) -> dict:
        cache = {}
        for k, key in enumerate(self.decisions):
            cache[(key[0], (key[1],))] = (Fraction(int(k == k_on)) if self.exact else 1.0 if k == k_on else 0.0)
        return cache

    def affine(self, fn, reports, true_types=None):
        """(c0, [c_k]) with fn(evaluation) == c0 + sum_k c_k * d_k for decisions d_k at the report profile."""
        def run(k_on):
            ev = Evaluation(self.model, self.tables, reports, self.exact, true_types, self._cache(k_on))
            with np.errstate(all="ignore"):
                return np.asarray(fn(ev), dtype=self.dtype)

        c0 = run(None)
        with np.errstate(all="ignore"):  # a value that is not finite is named below
            coef = [np.asarray(run(k) - c0, dtype=self.dtype) for k in range(self.m)]
        shape = np.broadcast_shapes(c0.shape, *(c.shape for c in coef), *(np.shape(r) for r in reports),
                                    *(np.shape(t) for t in (true_types or {}).values()))
        c0 = np.broadcast_to(c0, shape)
        coef = [np.broadcast_to(c, shape) for c in coef]
        if self.exact:
            return c0, coef
        # affinity check at a random point (the same values at every profile)
        rng = np.random.default_rng(7)
        d = rng.uniform(-3, 3, self.m)
        cache = {(key[0], (key[1],)): float(d[k]) for k, key in enumerate(self.decisions)}
        ev = Evaluation(self.model, [g.values for g in self.grids], reports, False, true_types, cache)
        got = np.broadcast_to(np.asarray(fn(ev), dtype=float), shape)
        # undefined or infinite whatever the decisions are: the spec is invalid at that profile
        ev.require_finite(got, "a value the design reads", self.point_text(reports, true_types, shape), self.model.span)
        with np.errstate(all="ignore"):
            want = c0 + sum(c * dk for c, dk in zip(coef, d, strict=True))
        if not (np.all(np.isfinite(want)) and np.allclose(got, want, rtol=1e-9, atol=1e-9)):
            raise DesignError("an expression used by the design is not linear in the decision variables "
                              f"({', '.join(sorted({k[0] for k in self.decisions}))}); linear programs need "
                              "utilities, payments and constraints affine in them")
        return c0, coef

    def point_text(self, reports, true_types, shape):
        """flat index into ``shape`` -> the report profile (and true type) it stands for, in the spec's terms."""
        def text(flat: int) -> str:
            at = [int(np.broadcast_to(r, shape).reshape(-1)[flat]) for r in reports]
            out = "reports (" + ", ".join(self.grids[a].labels[i] for a, i in enumerate(at)) + ")"
            for a, t in (true_types or {}).items():
                i = int(np.broadcast_to(t, shape).reshape(-1)[flat])
                out += f" with agent {self.model.agent_label(a)}'s true type {self.grids[a].labels[i]}"
            return out
        return text

    # ---- indices
    def flat(self, a: int, own, others_idx: tuple):
        """Flat profile index for agent a's report `own` and the others' indices (arrays)."""
        full = []
        it = iter(others_idx)
        for j in range(self.n):
            full.append(own if j == a else next(it))
        return np.ravel_multi_index(tuple(np.broadcast_arrays(*full)), self.T)

    def _add(self, family, rows, cols, vals, rhs, equality=False):
        (self.eq if equality else self.ub).append((rows, cols, vals, rhs))
        self.rows[family] = self.rows.get(family, 0) + len(rhs)

    def _offset(self, equality=False) -> int:
        return sum(len(b[3]) for b in (self.eq if equality else self.ub))

    # ---- constraint families
    def utility_blocks(self, a: int):
        """Coefficients of agent a's utility for (true t, report r, others c): arrays (T, T, R)."""
        Ta = self.T[a]
        others = [j for j in range(self.n) if j != a]
        Tot = [self.T[j] for j in others] or [1]
        R = int(np.prod(Tot)) if others else 1
        oidx = np.unravel_index(np.arange(R), Tot) if others else ()
        reports = [None] * self.n
        for k, j in enumerate(others):
            reports[j] = oidx[k][None, None, :]
        reports[a] = np.arange(Ta)[None, :, None]
        true = {a: np.arange(Ta)[:, None, None]}
        c0, coef = self.affine(lambda ev: ev.eval(self.model.utility, {self.model.utility_var: self.codes[a]}),
                               reports, true)
        shape = (Ta, Ta, R)
        c0 = np.broadcast_to(c0, shape)
        coef = [np.broadcast_to(c, shape) for c in coef]
        prof = self.flat(a, np.arange(Ta)[:, None], tuple(o[None, :] for o in oidx)) if others else np.arange(Ta)[:, None]
        w = np.ones(R, dtype=self.dtype)
        for k, j in enumerate(others):
            w = w * self.probs[j][oidx[k]]
        return c0, coef, prof, w, R

    def add_ic(self, req: Requirement, interim: bool):
        eps = (Fraction(req.args[0]) if self.exact else float(req.args[0])) if req.args else 0
        for a in range(self.n):
            c0, coef, prof, w, R = self.utility_blocks(a)
            Ta = self.T[a]
            t, r = np.nonzero(~np.eye(Ta, dtype=bool))  # every (true type, misreport) pair, t != r
            if not interim:
                # u(t; r, c) - u(t; t, c) <= eps for every c: rows (pair, c)
                npair = len(t)
                row = np.arange(npair * R).reshape(npair, R) + self._offset()
                rows, cols, vals = [], [], []
                for k, c in enumerate(coef):
                    rows += [row, row]
                    cols += [k * self.P + prof[r], k * self.P + prof[t]]
                    vals += [c[t, r, :], -c[t, t, :]]
                rhs = (eps - (c0[t, r, :] - c0[t, t, :])).reshape(-1)
            else:
                npair = len(t)
                row = np.broadcast_to(np.arange(npair)[:, None] + self._offset(), (npair, R))
                rows, cols, vals = [], [], []
                for k, c in enumerate(coef):
                    rows += [row, row]
                    cols += [k * self.P + prof[r], k * self.P + prof[t]]
                    vals += [c[t, r, :] * w[None, :], -c[t, t, :] * w[None, :]]
                rhs = eps - ((c0[t, r, :] - c0[t, t, :]) * w[None, :]).sum(axis=1)
            self._add(req.label, np.concatenate([x.reshape(-1) for x in rows]),
                      np.concatenate([x.reshape(-1) for x in cols]), np.concatenate([x.reshape(-1) for x in vals]), rhs)

    def add_ir(self, req: Requirement, interim: bool):
        for a in range(self.n):
            c0, coef, prof, w, R = self.utility_blocks(a)
            Ta = self.T[a]
            diag = np.arange(Ta)
            if not interim:  # -u(t; t, c) <= 0
                row = np.arange(Ta * R).reshape(Ta, R) + self._offset()
                rows = [row] * len(coef)
                cols = [k * self.P + prof[diag] for k in range(self.m)]
                vals = [-c[diag, diag, :] for c in coef]
                rhs = c0[diag, diag, :].reshape(-1)
            else:
                row = np.broadcast_to(np.arange(Ta)[:, None] + self._offset(), (Ta, R))
                rows = [row] * len(coef)
                cols = [k * self.P + prof[diag] for k in range(self.m)]
                vals = [-c[diag, diag, :] * w[None, :] for c in coef]
                rhs = (c0[diag, diag, :] * w[None, :]).sum(axis=1)
            self._add(req.label, np.concatenate([x.reshape(-1) for x in rows]),
                      np.concatenate([x.reshape(-1) for x in cols]), np.concatenate([x.reshape(-1) for x in vals]), rhs)

    def profile_affine(self, fn):
        """An expression over truthful report profiles: (c0 (P,), [c_k (P,)])."""
        idx = np.unravel_index(np.arange(self.P), self.T)
        c0, coef = self.affine(fn, list(idx))
        return np.broadcast_to(c0, (self.P,)), [np.broadcast_to(c, (self.P,)) for c in coef]

    def add_profile_rows(self, family, c0, coef, sign, equality=False):
        """sign * (c0 + sum_k c_k d_k(p)) <= 0 (or == 0) for every profile p."""
        sign = int(sign)  # +-1: an int keeps exact coefficients exact
        p = np.arange(self.P)
        row = p + self._offset(equality)
        rows = np.concatenate([row] * self.m)
        cols = np.concatenate([k * self.P + p for k in range(self.m)])
        vals = np.concatenate([sign * c for c in coef])
        self._add(family, rows, cols, vals, -sign * c0, equality)

    def pay_sum(self, ev):
        return sum(ev.ref("pay", (c,)) for c in self.codes)

    def add_requirement(self, req: Requirement):
        name = req.name
        if name not in SUPPORTED:
            raise DesignError(f"{req.label} cannot be a design constraint (supported: {', '.join(SUPPORTED)})")
        if name in ("dsic", "eps_dsic"):
            self.add_ic(req, interim=False)
        elif name in ("bic", "eps_bic"):
            self.add_ic(req, interim=True)
        elif name == "ex_post_ir":
            self.add_ir(req, interim=False)
        elif name == "interim_ir":
            self.add_ir(req, interim=True)
        elif name in ("weak_budget_balance", "strong_budget_balance"):
            c0, coef = self.profile_affine(self.pay_sum)
            self.add_profile_rows(req.label, c0, coef, -1.0, equality=name == "strong_budget_balance")
        elif name == "no_positive_transfers":
            for code in self.codes:
                c0, coef = self.profile_affine(lambda ev, code=code: ev.ref("pay", (code,)))
                self.add_profile_rows(req.label, c0, coef, -1.0)
        elif name == "feasible":
            for label, diff, sign, equality in feasible_rows(self.model):
                c0, coef = self.profile_affine(lambda ev, diff=diff: ev.eval(diff, {}))
                self.add_profile_rows(label, c0, coef, sign, equality=equality)

    def objective(self):
        """(sense, linear coefficients, diagonal quadratic coefficients or None, constant)."""
        sense, expr, _ = self.model.objective
        idx = list(np.unravel_index(np.arange(self.P), self.T))

        one = Fraction(1) if self.exact else 1.0

        def f(values: dict) -> np.ndarray:
            cache = {(key[0], (key[1],)): values.get(k, 0 * one) for k, key in enumerate(self.decisions)}
            ev = Evaluation(self.model, self.tables, idx, self.exact, None, cache)
            with np.errstate(all="ignore"):
                out = np.broadcast_to(np.asarray(ev.eval(expr, {}), dtype=self.dtype), (self.P,))
            ev.require_finite(out, "the objective", self.point_text(idx, None, (self.P,)), self.model.objective[2])
            return out

        c0 = f({})
        lin, quad = [], []
        for k in range(self.m):
            f1, f2 = f({k: one}), f({k: 2 * one})
            q = (f2 - 2 * f1 + c0) / 2
            lin.append(f1 - c0 - q)
            quad.append(q)
        w = np.ones(self.P, dtype=self.dtype)
        for a in range(self.n):
            w = w * self.probs[a][idx[a]]
        if self.exact:  # the float build checked the shape of the objective
            q = np.concatenate([w * qk for qk in quad])
            return sense, np.concatenate([w * ck for ck in lin]), (None if not q.any() else q), (w * c0).sum()
        for k in range(self.m):  # only separable (diagonal) quadratics: cross terms must vanish
            for j in range(k + 1, self.m):
                cross = f({k: 1.0, j: 1.0}) - f({k: 1.0}) - f({j: 1.0}) + c0
                if not np.allclose(cross, 0, atol=1e-9):
                    raise DesignError("the objective multiplies two different decisions; only sums of "
                                      "one-decision quadratics (like 10*q - q^2/2) are supported")
        rng = np.random.default_rng(11)
        d = rng.uniform(-3, 3, self.m)
        want = c0 + sum(lin[k] * d[k] + quad[k] * d[k] ** 2 for k in range(self.m))
        if not np.allclose(f(dict(enumerate(d))), want, rtol=1e-9, atol=1e-9):
            raise DesignError("the objective is not a polynomial of degree <= 2 in the decision variables")
        q = np.concatenate([w * qk for qk in quad])
        if np.allclose(q, 0):
            q = None
        elif (sense == "maximize" and (q > 1e-12).any()) or (sense == "minimize" and (q < -1e-12).any()):
            raise DesignError(f"the objective is not {'concave' if sense == 'maximize' else 'convex'} in the "
                              "decisions, so it cannot be solved as a convex program")
        return sense, np.concatenate([w * ck for ck in lin]), q, float((w * c0).sum())

    def matrices(self):
        def stack(blocks):
            if not blocks:
                return None, None
            rows = np.concatenate([b[0] for b in blocks])
            cols = np.concatenate([b[1] for b in blocks])
            vals = np.concatenate([b[2] for b in blocks])
            rhs = np.concatenate([b[3] for b in blocks])
            keep = vals != 0
            A = sp.coo_matrix((vals[keep], (rows[keep], cols[keep])), shape=(len(rhs), self.N)).tocsr()
            return A, rhs

        return stack(self.ub), stack(self.eq)

    def exact_program(self) -> ExactProgram:
        """The program in rational arithmetic (build with exact=True), stated as a maximisation."""
        sense, c, q, c0 = self.objective()
        neg = sense == "minimize"

        def rows(blocks):
            if not blocks:
                return [], []
            r = np.concatenate([b[0].reshape(-1) for b in blocks])
            cols = np.concatenate([b[1].reshape(-1) for b in blocks])
            vals = np.concatenate([b[2].reshape(-1) for b in blocks])
            rhs = [Fraction(v) for b in blocks for v in np.asarray(b[3]).reshape(-1)]
            out = [([], []) for _ in rhs]
            for i, j, v in zip(r.tolist(), cols.tolist(), vals.tolist(), strict=True):
                if v:
                    out[i][0].append(j)
                    out[i][1].append(Fraction(v))
            return out, rhs

        ub, b = rows(self.ub)
        eq, e = rows(self.eq)
        lo, hi = [None] * self.N, [None] * self.N
        for k, (name, _) in enumerate(self.decisions):
            bnd = self.model.defs[name].bounds or (None, None)
            for j in range(k * self.P, (k + 1) * self.P):
                lo[j], hi[j] = bnd[0], bnd[1]
        s = -1 if neg else 1
        return ExactProgram(self.N, [s * Fraction(v) for v in c], s * Fraction(c0), ub, b, eq, e, lo, hi,
                            None if q is None else [s * Fraction(v) for v in q], negated=neg)

    def bounds(self):
        lo = np.full(self.N, -np.inf)
        hi = np.full(self.N, np.inf)
        for k, (name, _) in enumerate(self.decisions):
            b = self.model.defs[name].bounds or (None, None)
            if b[0] is not None:
                lo[k * self.P:(k + 1) * self.P] = float(b[0])
            if b[1] is not None:
                hi[k * self.P:(k + 1) * self.P] = float(b[1])
        return lo, hi


def solve_design(model: Model, grid: int | None = None, solver: str = "HIGHS", verify: bool = True,
                 skip: tuple = (), extrapolate: bool = True) -> DesignResult:
    """The optimal mechanism of a design block. Real intervals are solved on ``grid`` equal-probability
    points each (discretise.py); the result then also carries an estimate of the continuum optimum
    from a ladder of coarser grids (continuum.py), unless ``extrapolate`` is False."""
    k = grid or default_grid(model)
    if model.kind == "design":
        require_design_size(model, k)
    if model.kind == "design" and not model.finite:
        result = _solve_finite(discretised(model, k), k, solver, verify, skip)
        if extrapolate and not skip and result.status in ("optimal", "optimal_inaccurate"):
            t = time.perf_counter()
            values = {k: result.solver_objective}
            for k2 in grids_needed(k):
                if k2 not in values:
                    r = _solve_finite(discretised(model, k2), k2, solver, False, ())
                    if r.status not in ("optimal", "optimal_inaccurate"):
                        result.notes.append(f"no continuum estimate: the design on {k2} points is {r.status}")
                        break
                    values[k2] = r.solver_objective
            else:
                result.continuum = extrapolate_continuum(values)
            result.timings["extrapolation_s"] = time.perf_counter() - t
        return result
    return _solve_finite(model, k, solver, verify, skip)


def _solve_finite(model: Model, grid: int | None, solver: str, verify: bool, skip: tuple) -> DesignResult:
    import cvxpy as cp

    t0 = time.perf_counter()
    b = LPBuilder(model, grid)
    for req in model.requirements:
        if req.label not in skip:
            b.add_requirement(req)
    sense, c, quad, c0 = b.objective()
    (A_ub, b_ub), (A_eq, b_eq) = b.matrices()
    lo, hi = b.bounds()
    integer = [j for k, (name, _) in enumerate(b.decisions)
               if len(model.defs[name].bounds or ()) > 2 and model.defs[name].bounds[2]
               for j in range(k * b.P, (k + 1) * b.P)]
    # cvxpy takes the integer entries of a vector as one tuple of indices per dimension
    x = cp.Variable(b.N, integer=[tuple(integer)]) if integer else cp.Variable(b.N)
    cons = {}
    if A_ub is not None:
        cons["ub"] = A_ub @ x <= b_ub
    if A_eq is not None:
        cons["eq"] = A_eq @ x == b_eq
    fin_lo, fin_hi = np.isfinite(lo), np.isfinite(hi)
    if fin_lo.any():
        cons["lo"] = x[np.flatnonzero(fin_lo)] >= lo[fin_lo]
    if fin_hi.any():
        cons["hi"] = x[np.flatnonzero(fin_hi)] <= hi[fin_hi]
    expr = c @ x + c0
    if quad is not None:  # a separable concave (or convex) quadratic: DCP via cp.square
        expr = expr + cp.sum(cp.multiply(quad, cp.square(x)))
    obj = (cp.Maximize if sense == "maximize" else cp.Minimize)(expr)
    prob = cp.Problem(obj, list(cons.values()))
    build_s = time.perf_counter() - t0
    t1 = time.perf_counter()
    opts = {}
    if solver == "HIGHS" and sum(b.rows.values()) > 20_000 and not integer:
        # interior point (with HiGHS's default crossover to a vertex) is several times faster than
        # dual simplex on large incentive-constraint systems (bench/bench_design.py)
        opts["highs_options"] = {"solver": "ipm"}
    _solve(prob, solver, **opts)
    solve_s = time.perf_counter() - t1
    status = prob.status
    result = DesignResult(model, status, None, None, {}, dict(b.rows), b.N, build_s, solve_s, solver,
                          program=("MI" if integer else "") + ("LP" if quad is None else "QP"), grid=b.k)
    if status not in ("optimal", "optimal_inaccurate"):
        if status.startswith("infeasible") and not skip and b.N <= 20_000:
            # which constraint family makes it so: the ones whose removal restores feasibility
            culprits = [r.label for r in model.requirements
                        if _solve_finite(model, grid, solver, False, (r.label,)).status
                        in ("optimal", "optimal_inaccurate", "unbounded")]
            if culprits:
                result.notes.append("feasible again without: " + ", ".join(culprits))
            else:
                result.notes.append("no single constraint family is to blame (only together) or the bounds of "
                                    "the decisions conflict")
        return result
    if status == "optimal_inaccurate":
        result.notes.append("the solver reports an inaccurate optimum")
    values = np.asarray(x.value, dtype=float)
    tables = {}
    for k, (name, code) in enumerate(b.decisions):
        tables[(name, code)] = values[k * b.P:(k + 1) * b.P].reshape(b.T)
    result.values = tables
    result.objective = result.solver_objective = float(prob.value)
    if verify:
        t2 = time.perf_counter()
        verify_design(result, b)
        result.timings["verify_s"] = time.perf_counter() - t2
        t3 = time.perf_counter()
        if integer:
            result.certificate = "a mixed-integer program: mechc has no exact certificate for it"
        else:
            duals = {k: np.atleast_1d(np.asarray(con.dual_value, dtype=float)) for k, con in cons.items()}
            lo_dual, hi_dual = np.zeros(b.N), np.zeros(b.N)
            lo_dual[fin_lo], hi_dual[fin_hi] = duals.get("lo", 0.0), duals.get("hi", 0.0)
            certify_design(result, b, skip, x.value, duals.get("ub", []), duals.get("eq", []), lo_dual, hi_dual)
        result.timings["certify_s"] = time.perf_counter() - t3
    return result


CERTIFY_MAX_VARIABLES = 5_000
CERTIFY_MAX_ROWS = 200_000


def certify_design(result: DesignResult, b: LPBuilder, skip: tuple, x, y, z, lo_dual, hi_dual) -> None:
    """Label the optimum exact only with an exact certificate (certify.py) for the program rebuilt in
    rational arithmetic; a certified point other than the re-verified one is re-verified in turn."""
    rows = sum(b.rows.values())
    if b.model.transcendental:
        result.certificate = "the design uses exp/log/sqrt or non-integer powers: no exact arithmetic"
        return
    if b.N > CERTIFY_MAX_VARIABLES or rows > CERTIFY_MAX_ROWS:
        result.certificate = (f"too large to certify exactly ({b.N:,} variables, {rows:,} rows; the exact "
                              f"certificate is tried up to {CERTIFY_MAX_VARIABLES:,} variables and "
                              f"{CERTIFY_MAX_ROWS:,} rows)")
        return
    eb = LPBuilder(b.model, b.k, exact=True)
    for req in b.model.requirements:
        if req.label not in skip:
            eb.add_requirement(req)
    program = eb.exact_program()
    shown = [v for key in b.decisions for v in np.asarray(result.values[key], dtype=object).reshape(-1)]
    cands = [shown] if all(isinstance(v, Fraction) for v in shown) else []
    cert = certify(program, x, y, z, lo_dual, hi_dual, cands)
    result.certificate = cert.reason
    if not cert.certified:
        result.objective = result.solver_objective
        return
    if cert.x != shown:
        tables = {key: np.array(cert.x[k * b.P:(k + 1) * b.P], dtype=object).reshape(b.T)
                  for k, key in enumerate(b.decisions)}
        result.values = tables
        verify_design(result, b, candidates=(tables,))
    if result.verified_objective != _fmt(cert.objective):  # the certificate and the checker disagree: a bug
        raise DesignError(f"the certified optimum {_fmt(cert.objective)} differs from the re-verified objective "
                          f"{result.verified_objective}")
    result.objective_exact = result.verified_objective
    result.objective = float(cert.objective)


def _snap(tables: dict, denominator: int) -> dict:
    out = {}
    for key, arr in tables.items():
        snapped = np.empty(arr.shape, dtype=object)
        for idx, v in np.ndenumerate(arr):
            snapped[idx] = Fraction(float(v)).limit_denominator(denominator)
        out[key] = snapped
    return out


def concrete_model(model: Model, tables: dict, extra_measures=()) -> Model:
    """The design with its decisions filled in: the checker reads them as tables by report profile."""
    reqs = tuple(model.requirements)
    measures = tuple(extra_measures) + tuple(model.measures)
    return dataclasses.replace(model, requirements=reqs, measures=measures,
                               extra={**model.extra, "decided": tables})


def verify_design(result: DesignResult, b: LPBuilder, candidates=None) -> None:
    """Snap to exact rationals (if the snapped mechanism still satisfies every constraint) and
    re-check with the exhaustive checker. A design that fails its own re-check is an error. The
    re-verified objective is exact but not necessarily optimal: only certify_design says optimal."""
    m = result.model
    sense, expr, span = m.objective
    objective = Measure("objective", expr, span)
    last = None
    for tables in candidates or (_snap(result.values, 1000), _snap(result.values, 10**6),
                                 {k: v.astype(object) for k, v in result.values.items()}):
        concrete = concrete_model(m, tables, (objective,))
        try:
            report = ExhaustiveChecker(concrete, Options(grid=b.k, grid_measures=True)).run()
        except EvalError as e:
            raise DesignError(f"the designed mechanism could not be evaluated: {e}") from None
        last = report
        if all(p.verdict in ("verified", "passed-search") for p in report.properties):
            result.verification = report
            result.model = concrete
            met = report.metrics["objective"]
            result.objective = met.value
            result.verified_objective = met.exact
            result.values = tables
            return
    bad = [f"{p.name}: {p.verdict}" for p in last.properties if p.verdict not in ("verified", "passed-search")]
    raise DesignError("the optimal mechanism fails its own re-check (" + "; ".join(bad) + "); "
                      "the solver's tolerance may be too loose for this problem")


def rules_data(result: DesignResult, limit: int = 64) -> dict:
    """The designed rules as data: per report profile (small spaces) or min/mean/max per rule and
    agent. Values are exact strings when the rules are rational, floats otherwise."""
    m = result.model
    b_grids = grids(m, result.grid)
    T = [g.size for g in b_grids]
    P = int(np.prod(T))

    def value(v):
        return _fmt(v) if isinstance(v, Fraction) else float(v)

    if P > limit:
        summary = {}
        for (name, code), arr in sorted(result.values.items(), key=lambda kv: (kv[0][0], kv[0][1])):
            a = np.asarray(arr, dtype=float)
            summary[f"{name}[{m.agents.label(code)}]"] = {"min": float(a.min()), "mean": float(a.mean()),
                                                          "max": float(a.max())}
        return {"summary": summary}
    names = sorted({k[0] for k in result.values})
    profiles = []
    for p in range(P):
        idx = np.unravel_index(p, T)
        profiles.append({"reports": [b_grids[a].labels[i] for a, i in enumerate(idx)],
                         "rules": {name: [value(result.values[(name, code)][idx]) for code in m.agents.codes]
                                   for name in names}})
    return {"profiles": profiles}


def describe_rules(result: DesignResult, limit: int = 64) -> list[str]:
    """The designed rules as a table (small spaces) or a summary."""
    data = rules_data(result, limit)
    if "summary" in data:
        return [f"{k}: min {v['min']:.4g}, mean {v['mean']:.4g}, max {v['max']:.4g}" for k, v in data["summary"].items()]

    def show(v):
        return v if isinstance(v, str) else f"{v:.4g}"

    return [f"reports ({', '.join(row['reports'])}): "
            + "  ".join(f"{name}=(" + ", ".join(show(v) for v in vals) + ")" for name, vals in row["rules"].items())
            for row in data["profiles"]]


def _report_is(m: Model, g: list, a: int, i: int) -> str:
    """The condition "agent a reports its i-th type" in spec syntax (one comparison per item for
    vector types)."""
    ts, agent = m.type_spaces[a], m.agent_label(a)
    if ts.items is None:
        return f"{m.report_name}[{agent}] == {g[a].labels[i]}"
    values = list(ts.values)
    return " and ".join(f"{m.report_name}[{agent}, {ts.items.label(code)}] == {ts.labels[values.index(c)]}"
                        for code, c in zip(ts.items.codes, g[a].exact[i], strict=True))


def designed_spec(result: DesignResult, limit: int = 400) -> str | None:
    """The designed mechanism as a concrete ``mechanism`` block (decisions written out per report
    profile), which ``mechc check`` accepts and verifies; None when the space is too large."""
    from .. import ast
    from ..fmt import Formatter, parse_with_comments

    m = result.model
    g = grids(m, result.grid)
    T = [x.size for x in g]
    P = int(np.prod(T))
    if P > limit or "source" not in m.extra:
        return None
    spec, _ = parse_with_comments(m.extra["source"], m.file)
    mech = next(x for x in spec.mechanisms if x.name == m.name)
    f = Formatter([], m.extra["source"].splitlines())
    f.kind = "mechanism"
    agent_var = m.agent_var
    lines = [f"# Designed by mechc from {m.file}: the decisions of design {m.name}, written out per report profile."]
    if result.discretisation:
        lines.append(f"# Real intervals discretised: {result.discretisation}; the objective is the grid's.")
    objective = (f"{result.objective_exact} (certified optimal)" if result.objective_exact else
                 f"{result.objective!r} (the solver's optimum, not certified exact); these rules re-verified: "
                 f"{result.verified_objective or 'float'}")
    lines += [f"# Objective ({m.objective[0]}): {objective}.",
             f"mechanism {m.name}Designed {{"]
    if mech.doc:
        lines.append(f'  "{mech.doc} (designed)"'.replace("\n", " "))
    for item in mech.items:
        if isinstance(item, ast.Decide):
            continue
        if isinstance(item, ast.Objective):
            lines.append(f"  measure objective = expect {f.expr(item.body)}")
            continue
        if isinstance(item, ast.TypeDecl) and "discretised" in m.extra:
            # the interval becomes the finite space the design was solved on; the declaration keeps
            # its agent and item indices (type v[i, k in Items] ...)
            text = f.item(item)
            head = text[:text.index("]") + 1]
            labels = [m.agent_label(a) for a in range(m.n_agents)]
            ts = m.type_spaces[labels.index(item.agent) if item.agent in labels else 0]
            probs = ", ".join(_fmt(p) for p in ts.probs)
            lines.append(f"  {head} in {{{', '.join(ts.labels)}}} ~ [{probs}]")
            continue
        lines.append("  " + f.item(item))
    names = sorted({k[0] for k in result.values})
    for name in names:
        branches = []
        for p in range(P):
            idx = np.unravel_index(p, T)
            cond = " and ".join(_report_is(m, g, a, i) for a, i in enumerate(idx))
            vals = [result.values[(name, code)][idx] for code in m.agents.codes]
            vals = [_fmt(v) if isinstance(v, Fraction) else repr(float(v)) for v in vals]
            if len(set(vals)) == 1:
                value = vals[0]
            else:
                value = vals[-1]
                for a in reversed(range(len(vals) - 1)):
                    value = f"if {agent_var} == {m.agent_label(a)} then {vals[a]} else {value}"
                value = f"({value})"
            branches.append((cond, value))
        expr = branches[-1][1]
        for cond, value in reversed(branches[:-1]):
            expr = f"if {cond} then {value} else {expr}"
        lines.append(f"  {name}[{agent_var}] = {expr}")
    lines.append("}")
    return "\n".join(lines) + "\n"


@dataclass
class ContractResult:
    status: str
    objective: float | None
    objective_exact: str | None
    wages: dict  # (decision, index label) -> value
    values: dict  # other plain definitions at the optimum (e.g. the principal's payoff)
    checks: dict  # constraint -> True when it holds in exact arithmetic
    rows: dict
    solve_s: float
    notes: list = field(default_factory=list)
    target: str = ""
    decisions: int = 0  # size of the linear program (decision variables), also when it is infeasible
    verified_objective: str | None = None  # exact objective of the wages shown (re-checked, maybe not optimal)
    certificate: str = ""  # how the optimum was certified exact, or why it was not


def solve_contract(model: Model, solver: str = "HIGHS") -> ContractResult:
    """A ``contract`` block: choose the decisions (wages per outcome...) so that the agent's best
    action is the implemented one (utility[target] >= utility[a] for every action a), with
    participation if required, optimising the objective; one linear program. With
    ``implement Actions`` (a set), one program per action, and the best implementable one wins."""
    if model.kind != "contract":
        raise DesignError(f"{model.name} is not a contract block")
    spec = model.extra["implement"]
    if spec[0] != "*":
        return _solve_contract_for(model, spec[0], spec[1], solver)
    actions = spec[2]
    sense = model.objective[0]
    results = []
    for code in actions.codes:
        r = _solve_contract_for(model, actions.label(code), code, solver)
        r.notes.append(f"implementing {actions.label(code)}: {r.status}"
                       + (f", objective {r.objective_exact or r.objective}" if r.objective is not None else ""))
        results.append(r)
    feasible = [r for r in results if r.objective is not None]
    if not feasible:
        return results[0]
    best = (max if sense == "maximize" else min)(feasible, key=lambda r: r.objective)
    best.notes = [n for r in results for n in r.notes[-1:]] + [f"best: implement {best.target}"]
    return best


def _solve_contract_for(model: Model, target_label: str, target, solver: str) -> ContractResult:
    import cvxpy as cp

    util = model.defs["utility"]
    actions = util.index_sets[0]
    decisions = [(name, code) for name, d in model.defs.items() if d.body is None for code in d.index_sets[0].codes]
    m = len(decisions)

    def ev_at(values) -> Evaluation:
        cache = {(n, (c,)): Fraction(values[k]) if isinstance(values[k], Fraction) else float(values[k])
                 for k, (n, c) in enumerate(decisions)}
        exact = all(isinstance(v, Fraction) for v in values)
        return Evaluation(model, [], [], exact, None, cache)

    exact = not model.transcendental

    def affine(fn):
        """(c0, [c_k]) of an expression affine in the decisions: exact Fractions when the contract
        allows exact arithmetic (checked for linearity in floats at a random point first)."""
        zero = [0.0] * m
        ev0 = ev_at(zero)
        value = fn(ev0)
        ev0.require_finite(value, "a value the contract reads", lambda _: "every decision equal to 0", model.span)
        c0 = float(value)
        coef = np.array([float(fn(ev_at([1.0 if j == k else 0.0 for j in range(m)]))) - c0 for k in range(m)])
        d = np.random.default_rng(5).uniform(0, 3, m)
        if abs(float(fn(ev_at(list(d)))) - (c0 + coef @ d)) > 1e-9 * (1 + abs(c0)):
            raise DesignError("the contract's utilities and objective must be linear in the decisions")
        if not exact:
            return c0, list(coef)
        e0 = Fraction(fn(ev_at([Fraction(0)] * m)))
        return e0, [Fraction(fn(ev_at([Fraction(int(j == k)) for j in range(m)]))) - e0 for k in range(m)]

    ub, b_ub, eq, b_eq, families = [], [], [], [], {}
    u_t0, u_t = affine(lambda ev: ev.ref("utility", (target,)))
    for a in actions.codes:
        if a == target:
            continue
        u_a0, u_a = affine(lambda ev, a=a: ev.ref("utility", (a,)))
        ub.append([x - y for x, y in zip(u_a, u_t, strict=True)])  # U(a) - U(target) <= 0
        b_ub.append(u_t0 - u_a0)
        families["implement " + target_label] = families.get("implement " + target_label, 0) + 1
    wants_ir = any(r.name == "ex_post_ir" for r in model.requirements)
    if wants_ir:
        ub.append([-x for x in u_t])
        b_ub.append(u_t0)
        families["ir"] = 1
    # `feasible` lines: linear (in)equalities on the decisions, enforced in every contract (the
    # block has no reading in which they could be optional) and re-checked exactly below
    for label, diff, sign, equality in feasible_rows(model):
        f0, f = affine(lambda ev, diff=diff: ev.eval(diff, {}))
        if equality:
            eq.append(f)  # f0 + f x == 0
            b_eq.append(-f0)
        else:
            sg = 1 if sign > 0 else -1  # an int keeps exact coefficients exact
            ub.append([sg * v for v in f])  # sign * (f0 + f x) <= 0
            b_ub.append(-sg * f0)
        families[label] = 1
    sense, expr, _ = model.objective
    from ..model.nodes import Aggregate, IndexVar

    bind = {IndexVar("implemented"): target}
    budget = isinstance(expr, Aggregate) and expr.op == "max" and sense == "minimize" and expr.where is sympy.true \
        and len(expr.vars) == 1
    n = m + budget
    if budget:
        # min-budget: minimise the largest of affine terms through an epigraph variable B (the last one)
        ub = [row + [0] for row in ub]
        eq = [row + [0] for row in eq]
        set_codes = Evaluation(model, [], []).set_codes(expr.sets[0])
        for code in set_codes:
            t0, t = affine(lambda ev, code=code: ev.eval(expr.body, {**bind, expr.vars[0]: code}))
            ub.append([*t, -1])  # t x + t0 <= B
            b_ub.append(-t0)
        families["budget"] = len(set_codes)
        c0, c = 0, [0] * m + [1]
    else:
        c0, c = affine(lambda ev: ev.eval(expr, bind))
    lo = [model.defs[name].bounds[0] if model.defs[name].bounds else None for name, _ in decisions] + [None] * budget
    hi = [model.defs[name].bounds[1] if model.defs[name].bounds else None for name, _ in decisions] + [None] * budget
    x = cp.Variable(n)
    cons = {}
    if ub:
        cons["ub"] = np.array(ub, dtype=float) @ x <= np.array(b_ub, dtype=float)
    if eq:
        cons["eq"] = np.array(eq, dtype=float) @ x == np.array(b_eq, dtype=float)
    lo_idx = [j for j, v in enumerate(lo) if v is not None]
    hi_idx = [j for j, v in enumerate(hi) if v is not None]
    if lo_idx:
        cons["lo"] = x[np.array(lo_idx)] >= np.array([float(lo[j]) for j in lo_idx])
    if hi_idx:
        cons["hi"] = x[np.array(hi_idx)] <= np.array([float(hi[j]) for j in hi_idx])
    objective_term = np.array(c, dtype=float) @ x + float(c0)
    prob = cp.Problem((cp.Maximize if sense == "maximize" else cp.Minimize)(objective_term), list(cons.values()))
    t = time.perf_counter()
    _solve(prob, solver)
    solve_s = time.perf_counter() - t
    if prob.status not in ("optimal", "optimal_inaccurate"):
        return ContractResult(prob.status, None, None, {}, {}, {}, families, solve_s, target=target_label,
                              decisions=m)

    def recheck(vals):
        """Every constraint at rational decisions, in exact arithmetic: (checks, evaluation)."""
        ev = ev_at(vals)
        u_target = ev.ref("utility", (target,))
        checks = {f"{target_label} >= {actions.label(a)}": bool(u_target >= ev.ref("utility", (a,)))
                  for a in actions.codes if a != target}
        if wants_ir:
            checks["ir"] = bool(u_target >= 0)
        for con in model.constraints:
            checks[f"feasible (line {con.span.line})"] = bool(ev.eval(con.expr, {}))
        checks["bounds"] = all((lo[k] is None or v >= lo[k]) and (hi[k] is None or v <= hi[k])
                               for k, v in enumerate(vals))
        return checks, ev

    # snap to rationals, re-check every constraint exactly, keep the feasible snap whose objective
    # is closest to the solver's optimum (small denominators first on ties)
    best = None
    for den in (1000, 10**6):
        vals = [Fraction(float(v)).limit_denominator(den) for v in x.value[:m]]
        checks, ev = recheck(vals)
        if all(checks.values()):
            obj = ev.eval(expr, bind)
            gap = abs(float(obj) - float(prob.value))
            if best is None or gap < best[0] - 1e-12:
                best = (gap, vals, ev, checks, obj)
    cert, note = None, "the contract uses exp/log/sqrt or non-integer powers: no exact arithmetic, no certificate"
    if exact:
        neg = sense == "minimize"
        program = ExactProgram(n, [-v if neg else v for v in c], -Fraction(c0) if neg else Fraction(c0),
                               [_sparse_row(r) for r in ub], list(b_ub), [_sparse_row(r) for r in eq], list(b_eq),
                               lo, hi, negated=neg)
        duals = {k: np.atleast_1d(np.asarray(con.dual_value, dtype=float)) for k, con in cons.items()}
        lo_dual, hi_dual = np.zeros(n), np.zeros(n)
        lo_dual[lo_idx] = duals.get("lo", [])
        hi_dual[hi_idx] = duals.get("hi", [])
        cands = [best[1] + ([best[4]] if budget else [])] if best is not None else []
        cert = certify(program, x.value, duals.get("ub", []), duals.get("eq", []), lo_dual, hi_dual, cands)
        note = cert.reason
    if cert is not None and cert.certified:
        vals = cert.x[:m]
        checks, ev = recheck(vals)
        obj = ev.eval(expr, bind)
        if not all(checks.values()) or obj != cert.objective:  # the certificate and the model disagree: a bug
            raise DesignError("the certified optimal contract fails its own exact re-check")
        best = (0.0, vals, ev, checks, obj)
    elif best is None:
        raise DesignError("the optimal contract fails its own exact re-check: " +
                          ", ".join(k for k, v in checks.items() if not v))
    _, vals, ev, checks, obj = best
    wages = {(n_, model.defs[n_].index_sets[0].label(code)): v for (n_, code), v in zip(decisions, vals, strict=True)}
    values = {n_: ev.ref(n_, ()) for n_, d in model.defs.items() if d.body is not None and not d.index_sets}
    certified = cert is not None and cert.certified
    verified = _fmt(obj) if isinstance(obj, Fraction) else None
    r = ContractResult(prob.status, float(obj) if certified else float(prob.value), verified if certified else None,
                       wages, values, checks, families, solve_s, target=target_label, decisions=m,
                       verified_objective=verified, certificate=note)
    if not certified:
        r.notes.append(f"not certified optimal ({note}); the wages shown are the best rational contract "
                       "re-checked exactly, the objective the solver's float optimum")
    return r


def _sparse_row(row) -> tuple[list, list]:
    cols = [j for j, v in enumerate(row) if v]
    return cols, [Fraction(row[j]) for j in cols]
