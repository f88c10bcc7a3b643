"""Search back end: maximise each agent's regret over continuous type spaces, with a stated budget.

Three stages per agent, all evaluated as numpy arrays through the Model evaluator:

1. breakpoints: piecewise-linear mechanisms change allocation where a report crosses another
   report, a constant of the spec (a reserve, a threshold) or an interval end. Misreports at those
   points (and just above/below them) are tried against sampled true types and others' reports.
   Gradient-based misreport search misses these jumps (the RegretNet critique: utility is flat
   almost everywhere and jumps at breakpoints); enumerating them does not.
2. global search: scipy's differential evolution over (true type, misreport, others' reports),
   evaluating whole populations at once (``vectorized=True``), no gradient polish.
3. expected regret under the prior by Monte Carlo (stated seed): for sampled true profiles, the
   best misreport among a grid plus the breakpoints; mean and standard error.

A gain found is re-checked in exact rational arithmetic (floats are exact rationals) before it is
called a violation. Search never yields ``proved`` or ``verified``. A utility that is undefined or
infinite at a point the search evaluates is an EvalError naming that point (the evaluator's rule).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from fractions import Fraction

import numpy as np
import sympy

from ..model.evaluate import Evaluation
from ..model.model import Model, Requirement, TypeSpace, _fmt
from ..model.priors import prior_of
from ..report import Counterexample, Metric, PropertyResult

TOL = 1e-9
TAIL = 1e-6  # an unbounded type is searched between these quantiles of its prior


@dataclass
class SearchOptions:
    seed: int = 0
    samples: int = 2_000  # (true type, others) samples in the breakpoint stage, per agent
    de_maxiter: int = 60
    de_popsize: int = 30
    mc_samples: int = 4_000
    mc_grid: int = 41  # misreport grid for the Monte Carlo regret estimate


class RegretSearch:
    def __init__(self, model: Model, opts: SearchOptions | None = None):
        self.model = model
        self.opts = opts or SearchOptions()
        self.n = model.n_agents
        self.evaluations = 0
        self.K = [len(ts.items) if ts.items is not None else 1 for ts in model.type_spaces]
        self.constants = self._constants()

    # ---- the spec's breakpoints
    def _constants(self) -> list[float]:
        found = set()
        for d in self.model.defs.values():
            for node in sympy.preorder_traversal(d.body):
                if node.is_Rational:
                    found.add(float(node))
        for ptype, value in self.model.params.values():
            if ptype == "real":
                found.add(float(value))
        return sorted(found)

    def breakpoints(self, ts: TypeSpace) -> np.ndarray:
        lo, hi = _window(ts)
        width = hi - lo
        pts = [lo, hi] + [c for c in self.constants if lo <= c <= hi]
        around = [p + s * width * d for p in pts for s in (-1, 1) for d in (1e-6, 1e-3)]
        return np.unique(np.clip(np.array(pts + around), lo, hi))

    # ---- sampling
    def sample(self, ts: TypeSpace, rng, size) -> np.ndarray:
        if not ts.continuous:
            vals = np.array([float(v) for v in ts.values]) if not ts.symbolic else np.array(ts.values)
            return rng.choice(vals, size=size, p=np.array([float(p) for p in ts.probs]))
        u = rng.random(size)
        prior = prior_of(ts)
        uniform = prior.uniform_on()
        if uniform is not None:
            lo, hi = (float(x) for x in uniform)
            return lo + (hi - lo) * u
        return prior.ppf(u)

    # ---- evaluation: utility of agent a with true type `true` when the reports are `reports`
    def utility(self, a: int, true: np.ndarray, reports: list[np.ndarray]) -> np.ndarray:
        """true: (N, K_a); reports: per agent (N, K_j). Returns (N,) utilities (float64)."""
        N = len(true)
        tables = [np.asarray(r, dtype=float).reshape(N, self.K[j]) for j, r in enumerate(reports)]
        tables[a] = np.concatenate([tables[a], np.asarray(true, dtype=float).reshape(N, self.K[a])])
        idx = [np.arange(N) for _ in range(self.n)]
        ev = Evaluation(self.model, tables, idx, true_types={a: np.arange(N, 2 * N)})
        self.evaluations += N
        u = np.broadcast_to(np.asarray(ev.eval(self.model.utility, {self.model.utility_var: self.model.agents.codes[a]}),
                                       dtype=float), (N,))

        def point(row: int) -> str:
            def vec(t, r):
                vals = [f"{float(v):.6g}" for v in t[r]]
                return vals[0] if len(vals) == 1 else "(" + ", ".join(vals) + ")"
            return (f"reports ({', '.join(vec(t, row) for t in tables)}) with agent {self.model.agent_label(a)}'s "
                    f"true type {vec(tables[a], N + row)}")

        ev.require_finite(u, f"the utility of agent {self.model.agent_label(a)}", point, self.model.defs["utility"].span)
        return u

    def gains(self, a, true, others, misreports):
        """Gain of each misreport row over the truth: arrays of N rows (K-vectors per agent)."""
        truthful = list(others)
        truthful[a] = true
        lie = list(others)
        lie[a] = misreports
        return self.utility(a, true, lie) - self.utility(a, true, truthful)

    # ---- the search for one agent
    def search_agent(self, a: int, rng) -> tuple[float, tuple]:
        ts = self.model.type_spaces[a]
        o = self.opts
        S = o.samples
        true = self.sample(ts, rng, (S, self.K[a]))
        others = [self.sample(t, rng, (S, self.K[j])) if j != a else None
                  for j, t in enumerate(self.model.type_spaces)]
        best = (-math.inf, None)
        # stage 1: misreports at breakpoints (constants, ends, others' reports) and a coarse grid
        if ts.continuous:
            cands = np.concatenate([self.breakpoints(ts), np.linspace(*_window(ts), 21)])
        else:
            cands = np.array([float(v) for v in ts.values])
        cand_rows = [np.full((S, self.K[a]), c) for c in cands]
        for j in range(self.n):
            if j != a and self.K[j] == self.K[a] and ts.continuous:
                lo, hi = _window(ts)
                for d in (0.0, 1e-6, -1e-6):
                    cand_rows.append(np.clip(others[j] + d * (hi - lo), lo, hi))
        for mis in cand_rows:
            g = self.gains(a, true, others, mis)
            k = int(np.argmax(g))
            if g[k] > best[0]:
                best = (float(g[k]), (true[k].copy(), [None if x is None else x[k].copy() for x in others], mis[k].copy()))
        # stage 2: differential evolution over (true, misreport, others), vectorised; stage 3: polish
        if all(t.continuous for t in self.model.type_spaces):
            layout = self._layout(a)
            bounds = np.array([_window(self.model.type_spaces[j]) for _, j in layout])

            def neg_gain(x):
                x = x.reshape(len(layout), -1)
                tr, reps = self._unpack(a, layout, x)
                return -self.gains(a, tr, reps, reps[a])

            from scipy import optimize  # on first use: scipy costs start-up time

            res = optimize.differential_evolution(neg_gain, bounds, maxiter=o.de_maxiter, popsize=o.de_popsize,
                                                  seed=int(rng.integers(2**31)), vectorized=True, polish=False,
                                                  updating="deferred", tol=0)
            starts = [res.x]
            if best[1] is not None:
                starts.append(self._pack(a, layout, *best[1]))
            for x0 in starts:
                x, g = self._polish(neg_gain, np.asarray(x0, float), bounds)
                if g > best[0]:
                    tr, reps = self._unpack(a, layout, x.reshape(-1, 1))
                    best = (g, (tr[0], [None if j == a else reps[j][0] for j in range(self.n)], reps[a][0]))
        return best

    # ---- coordinates: reports of every agent, then the agent's true type
    def _layout(self, a: int) -> list[tuple[str, int]]:
        lay = [("report", j) for j in range(self.n) for _ in range(self.K[j])]
        return lay + [("true", a)] * self.K[a]

    def _unpack(self, a, layout, x):  # x: (dims, pop)
        pop = x.shape[1]
        reps = [np.zeros((pop, self.K[j])) for j in range(self.n)]
        tr = np.zeros((pop, self.K[a]))
        cols = dict.fromkeys(range(self.n), 0)
        tcol = 0
        for d, (kind, j) in enumerate(layout):
            if kind == "report":
                reps[j][:, cols[j]] = x[d]
                cols[j] += 1
            else:
                tr[:, tcol] = x[d]
                tcol += 1
        return tr, reps

    def _pack(self, a, layout, true, others, mis) -> np.ndarray:
        rows = [np.atleast_1d(mis) if j == a else np.atleast_1d(others[j]) for j in range(self.n)]
        return np.concatenate([*rows, np.atleast_1d(true)]).astype(float)

    @staticmethod
    def _polish(neg_gain, x, bounds, steps=(1e-1, 3e-2, 1e-2, 3e-3, 1e-3, 1e-4, 1e-5, 1e-6), rounds=40):
        """Compass search: try +-step on every coordinate at once (one batch), move to the best
        improvement, shrink the step when none improves. Works across jumps, unlike gradients."""
        width = bounds[:, 1] - bounds[:, 0]
        g = -float(neg_gain(x.reshape(-1, 1))[0])
        dims = len(x)
        for step in steps:
            for _ in range(rounds):
                moves = np.repeat(x[:, None], 2 * dims, axis=1)
                for d in range(dims):
                    moves[d, 2 * d] += step * width[d]
                    moves[d, 2 * d + 1] -= step * width[d]
                moves = np.clip(moves, bounds[:, :1], bounds[:, 1:])
                vals = -neg_gain(moves)
                k = int(np.argmax(vals))
                if vals[k] <= g:
                    break
                x, g = moves[:, k].copy(), float(vals[k])
        return x, g

    # ---- expected regret by Monte Carlo
    def expected_regret(self, a: int, rng) -> tuple[float, float]:
        ts = self.model.type_spaces[a]
        M = self.opts.mc_samples
        true = self.sample(ts, rng, (M, self.K[a]))
        others = [self.sample(t, rng, (M, self.K[j])) if j != a else None for j, t in enumerate(self.model.type_spaces)]
        if ts.continuous and self.K[a] == 1:
            cands = np.concatenate([self.breakpoints(ts), np.linspace(*_window(ts), self.opts.mc_grid)])
        elif not ts.continuous and self.K[a] == 1:
            cands = np.array([float(v) for v in ts.values])
        else:
            cands = None
        regret = np.zeros(M)
        if cands is not None:
            for c in cands:
                regret = np.maximum(regret, self.gains(a, true, others, np.full((M, 1), c)))
        for j in range(self.n):
            if j != a and self.K[j] == self.K[a]:
                regret = np.maximum(regret, self.gains(a, true, others, others[j]))
        return float(regret.mean()), float(regret.std(ddof=1) / math.sqrt(M))

    # ---- the property
    def check(self, req: Requirement) -> tuple[PropertyResult, dict[str, Metric]]:
        eps = req.args[0] if req.args else Fraction(0)
        rng = np.random.default_rng(self.opts.seed)
        best_overall = (-math.inf, None, None)
        for a in range(self.n):
            g, where = self.search_agent(a, rng)
            if g > best_overall[0]:
                best_overall = (g, a, where)
        exp = [self.expected_regret(a, rng) for a in range(self.n)]
        worst = max(range(self.n), key=lambda a: exp[a][0])
        metrics = {"max_regret_found": Metric(max(best_overall[0], 0.0), None, None,
                                              f"largest gain found by search (seed {self.opts.seed})"),
                   "expected_regret_mc": Metric(exp[worst][0], exp[worst][1], None,
                                                f"Monte Carlo, {self.opts.mc_samples} samples per agent, seed "
                                                f"{self.opts.seed}; best misreport among breakpoints and a "
                                                f"{self.opts.mc_grid}-point grid (a lower bound)")}
        budget = (f"{self.evaluations:,} utility evaluations (breakpoints + grid on {self.opts.samples} samples per "
                  f"agent, differential evolution {self.opts.de_popsize}x{self.opts.de_maxiter}), seed {self.opts.seed}")
        windows = sorted({f"{ts.describe()} within [{_window(ts)[0]:.6g}, {_window(ts)[1]:.6g}]"
                          for ts in self.model.type_spaces if not ts.bounded})
        if windows:
            budget += ("; unbounded types searched between the prior's " f"{TAIL:g} and 1 - {TAIL:g} quantiles: "
                       + ", ".join(windows))
        stats_ = {"max_regret": max(best_overall[0], 0.0), "evaluations": self.evaluations, "seed": self.opts.seed}
        g, a, where = best_overall
        if g > float(eps) + TOL:
            cx = self._recheck(a, where, eps)
            if cx is not None:
                return PropertyResult(req.label, "violated", "search",
                                      f"search found a gain of {g:.6g} > {_fmt(eps)}; {budget}; counterexample re-checked "
                                      "in exact rational arithmetic", cx, stats_), metrics
        return PropertyResult(req.label, "passed-search", "search",
                              f"no gain above {_fmt(eps)} found; largest regret found {max(g, 0.0):.3g}; {budget}",
                              None, stats_), metrics

    def _recheck(self, a, where, eps) -> Counterexample | None:
        # floats are exact rationals, but the breakpoint a float stands for (0.71 -> 71/100) is
        # usually the simplest rational nearby: try that first, then the floats themselves
        for snap in (lambda f: Fraction(f).limit_denominator(10**6), Fraction):
            cx = self._recheck_at(a, where, eps, snap)
            if cx is not None:
                return cx
        return None

    def _recheck_at(self, a, where, eps, snap) -> Counterexample | None:
        true, others, mis = where
        m = self.model
        spaces = m.type_spaces

        def conv(x, ts):
            return [_clip(snap(float(v)), ts.lo, ts.hi) if ts.continuous else Fraction(float(v))
                    for v in np.atleast_1d(x)]

        vals = [conv(x, spaces[j]) if x is not None else None for j, x in enumerate(others)]
        tv = conv(true, spaces[a])
        mv = conv(mis, spaces[a])

        def u(report_a):
            prof = list(vals)
            prof[a] = report_a
            tables, idx = [], []
            for j, row in enumerate(prof):
                rows = [row] + ([tv] if j == a else [])
                tab = np.empty((len(rows), len(row)), dtype=object)
                for r, rr in enumerate(rows):
                    for c, v in enumerate(rr):
                        tab[r, c] = v
                tables.append(tab)
                idx.append(np.array([0]))
            ev = Evaluation(m, tables, idx, exact=True, true_types={a: np.array([1])})
            return np.asarray(ev.eval(m.utility, {m.utility_var: m.agents.codes[a]})).reshape(-1)[0]

        u_t, u_l = u(tv), u(mv)
        if not u_l - u_t > eps:
            return None

        def lab(vs):
            return _fmt(vs[0]) if len(vs) == 1 else "(" + ", ".join(_fmt(v) for v in vs) + ")"

        others_l = {m.agent_label(j): lab(vals[j]) for j in range(self.n) if j != a}
        fields = {"agent": m.agent_label(a), "true_type": lab(tv), "misreport": lab(mv), "others_reports": others_l,
                  "utility_truthful": float(u_t), "utility_misreport": float(u_l), "gain": float(u_l - u_t),
                  "exact_values": {"utility_truthful": _fmt(u_t), "utility_misreport": _fmt(u_l),
                                   "gain": _fmt(u_l - u_t)}}
        oth = ", ".join(f"{k}: {v}" for k, v in others_l.items())
        return Counterexample("misreport", fields,
                              f"agent {fields['agent']} with true type {fields['true_type']} gains {_fmt(u_l - u_t)} by "
                              f"reporting {fields['misreport']} instead of the truth (utility {_fmt(u_t)} -> {_fmt(u_l)})"
                              + (f" when the others report {oth}" if oth else ""), True)


def _window(ts: TypeSpace) -> tuple[float, float]:
    """The range searched for a real type: its interval, an infinite end replaced by the prior's
    TAIL (or 1 - TAIL) quantile."""
    return prior_of(ts).window(TAIL)


def _clip(v: Fraction, lo: Fraction | None, hi: Fraction | None) -> Fraction:
    v = v if lo is None else max(v, lo)
    return v if hi is None else min(v, hi)


def check_search(model: Model, req: Requirement, opts: SearchOptions | None = None):
    """Search for misreport gains (dsic/eps_dsic); None for other properties."""
    if req.name not in ("dsic", "eps_dsic") or model.utility is None:
        return None
    if any(ts.symbolic for ts in model.type_spaces):
        return None
    return RegretSearch(model, opts).check(req)
