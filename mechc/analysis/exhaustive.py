"""Exhaustive property checking on finite type spaces (or a stated grid over intervals).

Phase 1 evaluates every rule once per report profile, in bounded chunks of the flattened profile
space, and keeps the arrays the properties need (truthful utilities, payments, allocations, and
the report-only definitions the utility reads). Phase 2 derives, per agent, the utility of every
(true type, report, others' reports) block from those arrays: the true-type axis is the only new
work. No Python loop runs over profiles; loops run over agents, chunks and set elements.

Verdicts: ``verified`` only when every type space is finite; a grid over an interval gives
``passed-search`` naming the grid. A violation is re-checked in exact rational arithmetic at the
reported profile before it is shown.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable
from dataclasses import dataclass
from fractions import Fraction

import numpy as np
import sympy

from ..errors import EvalError, ResourceLimit
from ..limits import SMT_BUDGET, SMT_TIMEOUT_S, size_text
from ..model.evaluate import Evaluation
from ..model.model import Model, Requirement, _fmt
from ..model.nodes import DefRef, make_aggregate
from ..report import Counterexample, Metric, PropertyResult, Report
from .grid import AgentGrid, default_grid, grids, quadrature_text, space_sizes

TOL = 1e-9
MAX_TYPES_PER_AGENT = 2_000_000
EXACT_CELL_LIMIT = 200_000
EXACT_RECHECK_LIMIT = 200_000
MISREPORT_PROPS = ("dsic", "eps_dsic")
INTERIM_PROPS = ("bic", "eps_bic")


@dataclass
class Options:
    grid: int | None = None
    max_cells: int = 4_000_000_000
    max_memory_gb: float = 4.0
    exact: str = "auto"  # auto | always | never
    chunk_cells: int = 1 << 21
    progress: Callable[[str, float], None] | None = None
    method: str = "auto"  # auto | exhaustive | smt
    timeout: float = SMT_TIMEOUT_S
    smt_budget: int = SMT_BUDGET
    seed: int = 0  # for the search back end and quasi-Monte Carlo expectations
    tol: float = 1e-4  # absolute error target of expectations that are not exact
    grid_measures: bool = False  # measures on intervals under the grid's discrete prior (design)


def _shape(sizes) -> str:
    """Sizes per agent for a message: all of them for a few agents, a summary for thousands."""
    if len(sizes) <= 8:
        return " x ".join(f"{t:,}" for t in sizes)
    return f"{sizes[0]:,} x {sizes[1]:,} x ... x {sizes[-1]:,} ({len(sizes):,} agents)"


def _exact_str(v) -> str:
    return _fmt(v) if isinstance(v, Fraction) else repr(float(v))


class ExhaustiveChecker:
    def __init__(self, model: Model, opts: Options):
        self.model = model
        self.opts = opts
        self.k = opts.grid or default_grid(model)  # points per real dimension
        sizes = space_sizes(model, self.k)
        if max(sizes) > MAX_TYPES_PER_AGENT or math.prod(sizes) > opts.max_cells:
            raise ResourceLimit(
                f"the type spaces have {_shape(sizes)} points "
                f"({size_text(math.prod(sizes))} report profiles); the limit is {opts.max_cells:.3g} cells and "
                f"{MAX_TYPES_PER_AGENT:,} types per agent", "--max-cells (or a smaller --grid)")
        self.grids: list[AgentGrid] = grids(model, self.k)
        self.T = [g.size for g in self.grids]
        self.P = math.prod(self.T)
        self.n = model.n_agents
        self.codes = model.agents.codes
        self.reqs = model.requirements
        names = {r.name for r in self.reqs}
        self.need_misreport = bool(names & set(MISREPORT_PROPS))
        self.need_interim = bool(names & set(INTERIM_PROPS))
        self.need_utility = model.utility is not None and bool(
            names & {"dsic", "eps_dsic", "bic", "eps_bic", "ex_post_ir", "interim_ir"})
        self.frontier = self._frontier() if (self.need_misreport or self.need_interim) else []
        self.cells = self._estimate_cells()
        self.exact = opts.exact == "always" or (
            opts.exact == "auto" and not model.transcendental and self.cells <= EXACT_CELL_LIMIT)
        self.tables = [g.exact if self.exact and not ts.symbolic else g.values
                       for g, ts in zip(self.grids, model.type_spaces, strict=True)]
        self.probs = [g.exact_probs if self.exact else g.probs for g in self.grids]

    # ------------------------------------------------------------------ planning
    def _frontier(self) -> list[tuple[str, tuple]]:
        """Report-only definitions the utility reads directly: evaluated once, reused per agent."""
        defs, found, seen = self.model.defs, [], set()

        def walk(expr):
            for node in sympy.preorder_traversal(expr):
                if isinstance(node, DefRef) and node.name not in seen:
                    seen.add(node.name)
                    d = defs[node.name]
                    if d.reads_types:
                        walk(d.body)
                    else:
                        found.append(node.name)

        walk(self.model.utility)
        return [(name, combo) for name in found
                for combo in itertools.product(*(s.codes for s in defs[name].index_sets))]

    def _estimate_cells(self) -> int:
        cells = self.P * max(1, len(self.frontier) + 2 * self.n)
        if self.need_misreport or self.need_interim:
            cells += sum(t * self.P for t in self.T)
        return cells

    def check_limits(self) -> None:
        stored = len(self.frontier) + 3 * self.n + 4
        mem_gb = (stored * self.P * 8 * 1.5 + self.opts.chunk_cells * 8 * 12) / 2**30
        if self.cells > self.opts.max_cells:
            raise ResourceLimit(
                f"this check needs {size_text(self.cells)} utility evaluations ({size_text(self.P)} report profiles "
                f"of sizes {_shape(self.T)}); the limit is {self.opts.max_cells:.3g}",
                "--max-cells")
        if mem_gb > self.opts.max_memory_gb:
            raise ResourceLimit(
                f"this check would keep about {mem_gb:.1f} GiB of arrays for {size_text(self.P)} report profiles; "
                f"the limit is {self.opts.max_memory_gb:g} GiB", "--max-memory")

    # ------------------------------------------------------------------ descriptions
    def space_text(self) -> str:
        parts = []
        for ts in self.model.type_spaces:
            if ts.continuous:
                k = self.k
                s = f"{ts.describe()} (grid of {k} points for grid checks)"
            else:
                s = ts.describe()
            if ts.items is not None:
                s += f" per item of {ts.items.name}"
            parts.append(s)
        uniq = sorted(set(parts), key=parts.index)
        who = f"{self.n} agent{'s' if self.n > 1 else ''}"
        body = uniq[0] if len(uniq) == 1 else "; ".join(
            f"{self.model.agent_label(k)}: {p}" for k, p in enumerate(parts))
        return f"{who}, types {body} ({self.P:,} report profiles)"

    def method_text(self) -> tuple[str, str]:
        if self.model.finite:
            method = "exhaustive"
        else:
            method = f"grid-{self.k}"
        arith = "exact rational arithmetic" if self.exact else f"float64, tolerance {TOL:g} (relative)"
        return method, arith

    def verdict_ok(self) -> str:
        return "verified" if self.model.finite else "passed-search"

    def ok_detail(self, what: str) -> str:
        method, arith = self.method_text()
        if self.model.finite:
            return f"holds on all {what}; {arith}"
        return (f"no violation on the {self.k}-point grid per type dimension "
                f"({what}); {arith}; a grid is not a proof over the interval")

    # ------------------------------------------------------------------ labels
    def label(self, a: int, t: int) -> str:
        return self.grids[a].labels[t]

    def profile_text(self, idx: tuple[int, ...]) -> str:
        return "(" + ", ".join(self.label(a, int(t)) for a, t in enumerate(idx)) + ")"

    def others_dict(self, a: int, idx: tuple[int, ...]) -> dict:
        return {self.model.agent_label(j): self.label(j, int(idx[j])) for j in range(self.n) if j != a}

    # ------------------------------------------------------------------ evaluation helpers
    def evaluation(self, reports, exact=None, true_types=None, cache=None) -> Evaluation:
        exact = self.exact if exact is None else exact
        tables = ([g.exact if not ts.symbolic else g.values for g, ts in zip(self.grids, self.model.type_spaces, strict=True)]
                  if exact else [g.values for g in self.grids])
        return Evaluation(self.model, tables, reports, exact, true_types, cache)

    def utility(self, ev: Evaluation, a: int):
        return ev.eval(self.model.utility, {self.model.utility_var: self.codes[a]})

    def exact_at(self, idx: tuple[int, ...], fn, true_types: dict | None = None):
        """Evaluate fn(evaluation) exactly at one report profile."""
        ev = self.evaluation([np.array([int(t)]) for t in idx], exact=True,
                             true_types={a: np.array([int(t)]) for a, t in (true_types or {}).items()})
        out = np.asarray(fn(ev)).reshape(-1)[0]
        return out, ev.inexact or self.model.transcendental

    def exact_interim(self, a: int, t: int, r: int):
        """E over the others' prior of agent a's utility with true type t reporting r, in exact
        arithmetic (None when the others' profiles exceed EXACT_RECHECK_LIMIT)."""
        others = [j for j in range(self.n) if j != a]
        R = self.P // self.T[a]
        if R > EXACT_RECHECK_LIMIT:
            return None, True
        pos = np.unravel_index(np.arange(R), [self.T[j] for j in others]) if others else ()
        reports = [None] * self.n
        reports[a] = np.full(R, r)
        w = np.full(R, Fraction(1), dtype=object)
        for k, j in enumerate(others):
            reports[j] = pos[k]
            w = w * self.grids[j].exact_probs[pos[k]]
        ev = self.evaluation(reports, exact=True, true_types={a: np.full(R, t)})
        u = np.broadcast_to(self.utility(ev, a), (R,))
        return (u * w).sum(), ev.inexact or self.model.transcendental

    def rule_label(self, name: str, codes: tuple = ()) -> str:
        """``name[i, ...]`` in the spec's spelling of the index elements."""
        sets = self.model.defs[name].index_sets
        return name + ("[" + ", ".join(s.label(c) for s, c in zip(sets, codes, strict=True)) + "]" if codes else "")

    def rule_span(self, name: str):
        d = self.model.defs.get(name)
        return d.span if d is not None else self.model.span

    def grid_measures(self):
        """The measures computed on the profiles: all on finite spaces; on intervals only when asked
        (design optimises the grid's prior), else analysis.expectation integrates them."""
        return self.model.measures if self.model.finite or self.opts.grid_measures else ()

    # ------------------------------------------------------------------ phase 1
    def _dtype(self, name: str, numeric):
        kind = self.model.defs[name].vtype.kind
        if kind == "int" and not self.exact:
            return np.int8  # widened by _store_put if a value does not fit
        return {"bool": bool, "elem": np.int64, "outcome": np.int64, "opt": np.int64}.get(kind, numeric)

    @staticmethod
    def _store_put(store: dict, key, s: int, e: int, val) -> None:
        """Write a chunk of a stored rule array. Integer-valued rules are kept in the narrowest
        integer type that holds them (first-touch memory is most of the cost of a large store),
        widened in place of the whole array when a chunk needs more."""
        arr = store[key]
        if arr.dtype.kind == "i" and np.asarray(val).dtype.kind == "f":
            for dt in (np.int8, np.int16, np.int32, np.int64, np.float64):
                if np.dtype(dt).itemsize < arr.dtype.itemsize:
                    continue
                if dt is np.float64 or np.all((val >= np.iinfo(dt).min) & (val <= np.iinfo(dt).max)):
                    break
            if np.dtype(dt) != arr.dtype:
                arr = store[key] = arr.astype(dt)
        arr[s:e] = val

    def phase1(self) -> dict:
        m = self.model
        P, n = self.P, self.n
        dt = object if self.exact else float
        names = {r.name for r in self.reqs}
        keep = {}
        if self.need_utility and names & {"ex_post_ir", "interim_ir"}:  # dsic/bic recompute per agent
            keep["u"] = [np.empty(P, dt) for _ in range(n)]
        if names & {"weak_budget_balance", "strong_budget_balance", "no_positive_transfers"}:
            keep["pay"] = [np.empty(P, dt) for _ in range(n)]
        if "monotone" in names:
            keep["x"] = [np.empty(P, dt) for _ in range(n)]
        if "feasible" in names:
            keep["feasible"] = [np.empty(P, bool) for _ in m.constraints]
        if "efficient" in names and m.welfare is not None:
            keep["welfare"] = [np.empty(P, dt), np.empty(P, dt)]
        store = {key: np.empty(P, self._dtype(key[0], dt)) for key in self.frontier}
        # measures on continuous priors are integrated by analysis.expectation, not on the grid
        measures = {ms.name: (Fraction(0) if self.exact else 0.0) for ms in self.grid_measures()}
        chunk = max(1, self.opts.chunk_cells // max(1, len(self.frontier) + n))
        for s in range(0, P, chunk):
            e = min(P, s + chunk)
            idx = np.unravel_index(np.arange(s, e), self.T)
            ev = self.evaluation(list(idx))
            w = self.probs[0][idx[0]]
            for a in range(1, n):
                w = w * self.probs[a][idx[a]]

            def prof(flat, s=s):
                return "reports " + self.profile_text(np.unravel_index(s + flat, self.T))

            def put(arr, val, what, rule, s=s, e=e, ev=ev):
                val = np.broadcast_to(val, (e - s,))
                ev.require_finite(val, what, prof, self.rule_span(rule))
                arr[s:e] = val

            for a in range(n):
                if "u" in keep:
                    put(keep["u"][a], self.utility(ev, a), f"the utility of agent {m.agent_label(a)}", "utility")
                if "pay" in keep:
                    put(keep["pay"][a], ev.ref("pay", (self.codes[a],)), f"pay[{m.agent_label(a)}]", "pay")
                if "x" in keep:
                    put(keep["x"][a], ev.ref("x", (self.codes[a],)), f"x[{m.agent_label(a)}]", "x")
            for k, c in enumerate(m.constraints if "feasible" in keep else ()):
                keep["feasible"][k][s:e] = np.broadcast_to(ev.eval(c.expr, {}), (e - s,))
            if "welfare" in keep:
                put(keep["welfare"][0], ev.eval(m.welfare[0], {}), "the welfare of the chosen outcome", "choice")
                put(keep["welfare"][1], ev.eval(m.welfare[1], {}), "the best welfare", "choice")
            for key in store:
                val = np.broadcast_to(ev.ref(*key), (e - s,))
                ev.require_finite(val, self.rule_label(*key), prof, self.rule_span(key[0]))
                self._store_put(store, key, s, e, val)
            for ms in self.grid_measures():
                val = np.broadcast_to(ev.eval(ms.expr, {}), (e - s,))
                ev.require_finite(val, f"measure '{ms.name}'", prof, ms.span)
                with np.errstate(all="ignore"):
                    measures[ms.name] += (w * val).sum()
            if self.opts.progress:
                self.opts.progress("rules", e / P)
        for ms in self.grid_measures():  # finite terms can still sum past the float64 range
            if not math.isfinite(measures[ms.name]):
                raise EvalError(f"measure '{ms.name}' is not finite (float64 overflow in the expectation)", ms.span,
                                "rescale the measured quantity")
        keep["store"] = store
        keep["measures"] = measures
        return keep

    # ------------------------------------------------------------------ phase 2
    def others_weights(self, a: int):
        w = np.ones(1, dtype=object if self.exact else float)
        if self.exact:
            w[0] = Fraction(1)
        for j in range(self.n):
            if j != a:
                w = np.multiply.outer(w, self.probs[j]).reshape(-1)
        return w

    def _blocks(self, a: int):
        """Blocks of the others' report space for agent ``a``: per block, one slice per agent axis.

        Leading other axes are fixed one index at a time and the next one is cut into ranges, so a
        (true type x report x block) array stays under ``chunk_cells`` and every stored rule array
        is read through a view in its own layout (no transposed copy per agent)."""
        others = [j for j in range(self.n) if j != a]
        Ta = self.T[a]
        sizes = [self.T[j] for j in others]
        if not others:
            yield [slice(None)] * self.n
            return
        m = 1
        while m < len(others) and Ta * Ta * math.prod(sizes[m:]) > self.opts.chunk_cells:
            m += 1
        g = max(1, self.opts.chunk_cells // (Ta * Ta * math.prod(sizes[m:])))
        for pre in itertools.product(*(range(sizes[k]) for k in range(m - 1))):
            for s0 in range(0, sizes[m - 1], g):
                ix = [slice(None)] * self.n
                for k, v in enumerate(pre):
                    ix[others[k]] = slice(v, v + 1)
                ix[others[m - 1]] = slice(s0, min(sizes[m - 1], s0 + g))
                yield ix

    def phase2(self, store: dict) -> dict:
        """Per agent: regret of every (true type, misreport, others) and interim utilities.

        Blocks hold every (report profile in the block, true type of agent a) pair."""
        m = self.model
        n = self.n
        thresholds = sorted({Fraction(0)} | {r.args[0] for r in self.reqs if r.name in ("eps_dsic",)})
        out = {"dsic": [], "bic": []}
        total_work = sum(self.T) * self.P
        done = 0
        full = {key: arr.reshape(self.T) for key, arr in store.items()}
        for a in range(n):
            Ta = self.T[a]
            others = [j for j in range(n) if j != a]
            Tothers = [self.T[j] for j in others] or [1]
            ar = np.arange(Ta)
            counts = {th: 0 for th in thresholds}
            max_gain = -math.inf
            cands: list[tuple[float, int, int, int]] = []
            expected = 0.0 if not self.exact else Fraction(0)
            EU = None
            for ix in self._blocks(a):
                ranges = [np.arange(self.T[j])[ix[j]] for j in range(n)]
                bo_shape = [len(ranges[j]) for j in others]
                Bo = math.prod(bo_shape)
                # Block layout (own report, own true type, others' reports flattened): a contiguous
                # copy of each stored rule block costs 1/Ta of the block's work and keeps every
                # pass over the (report, true, others) array a long contiguous sweep.
                cache = {key: np.ascontiguousarray(np.moveaxis(v[tuple(ix)], a, 0)).reshape(Ta, 1, Bo)
                         for key, v in full.items()}
                pos_o = np.unravel_index(np.arange(Bo), bo_shape) if others else ()
                reports = [None] * n
                reports[a] = ar.reshape(Ta, 1, 1)
                w_o = None
                for k, j in enumerate(others):
                    rj = ranges[j][pos_o[k]]
                    reports[j] = rj.reshape(1, 1, Bo)
                    w_o = self.probs[j][rj] if w_o is None else w_o * self.probs[j][rj]
                if w_o is None:
                    w_o = self.probs[a][:1] * 0 + 1
                ev = self.evaluation(reports, true_types={a: ar.reshape(1, Ta, 1)}, cache=cache)
                U = np.broadcast_to(self.utility(ev, a), (Ta, Ta, Bo))

                def prof(flat, ranges=ranges, pos_o=pos_o, others=others, a=a, Bo=Bo, Ta=Ta):
                    r, t, b = np.unravel_index(flat, (Ta, Ta, Bo))
                    idx = [0] * n
                    idx[a] = int(r)
                    for k, j in enumerate(others):
                        idx[j] = int(ranges[j][pos_o[k][b]])
                    return (f"reports {self.profile_text(tuple(idx))} with agent {m.agent_label(a)}'s true type "
                            f"{self.label(a, t)}")

                ev.require_finite(U, f"the utility of agent {m.agent_label(a)}", prof, self.rule_span("utility"))
                if self.need_misreport:
                    # U is built once; then one max and (only where needed) one compare per threshold
                    truth = U[ar, ar, :]  # (true, others)
                    regret = U.max(axis=0) - truth
                    rf = regret.astype(float) if self.exact else regret
                    top = float(rf.max())
                    tol = 0 if self.exact else TOL * (1.0 + np.abs(truth))
                    for th in thresholds:
                        if top > float(th):
                            bound = truth + (th if self.exact else float(th) + tol)
                            counts[th] += int(np.count_nonzero(U > bound[None]))
                    expected += (self.probs[a][:, None] * w_o[None, :] * regret).sum()
                    t, b = np.unravel_index(int(np.argmax(rf)), rf.shape)
                    g = float(rf[t, b])
                    max_gain = max(max_gain, g)
                    r = int(np.argmax(np.asarray(U[:, t, b], dtype=float)))
                    glob = [int(ranges[j][pos_o[k][b]]) for k, j in enumerate(others)]
                    c = int(np.ravel_multi_index(glob, Tothers)) if others else 0
                    cands.append((g, int(t), r, c))
                    cands = sorted(cands, key=lambda z: -z[0])[:8]
                if self.need_interim:
                    contrib = (U * w_o[None, None, :]).sum(axis=2).T  # (true, report)
                    EU = contrib if EU is None else EU + contrib
                done += U.size
                if self.opts.progress:
                    self.opts.progress("regret", done / total_work)
            out["dsic"].append({"counts": counts, "max_gain": max(max_gain, 0.0), "cands": cands,
                                "expected": expected, "cases": Ta * (Ta - 1) * (self.P // Ta), "others": others,
                                "Tothers": Tothers})
            out["bic"].append(EU)
        return out

    # ------------------------------------------------------------------ verdicts
    def run(self) -> Report:
        with np.errstate(all="ignore"):  # every value the verdicts read was checked finite where it was made
            try:
                return self._run()
            except OverflowError:  # an exact (rational) value that no double holds, met where verdicts use floats
                raise EvalError("a value exceeds double precision (about 1.8e308) on some profile: the exact "
                                "arithmetic holds it, but utilities, regrets and metrics are reported as floats",
                                hint="rescale the spec's numbers (e.g. amounts in thousands)") from None

    def _run(self) -> Report:
        self.check_limits()
        m = self.model
        kept = self.phase1()
        regret = self.phase2(kept["store"]) if (self.need_misreport or self.need_interim) else None
        results = []
        metrics: dict[str, Metric] = {}
        for req in self.reqs:
            fn = getattr(self, "prop_" + req.name)
            res = fn(req, kept, regret, metrics)
            res.line = req.span.line
            results.append(res)
        method, arith = self.method_text()
        for ms in self.grid_measures():
            v = kept["measures"][ms.name]
            how = "exact expectation under the prior" if self.exact else "expectation under the prior (float64)"
            if not m.finite:
                how = (f"expectation under the grid's discrete prior ({self.k} points per type dimension), "
                       f"{quadrature_text(m)}; not the continuous prior")
            metrics[ms.name] = Metric(float(v), None, _fmt(v) if isinstance(v, Fraction) else None, how)
        notes = []
        if m.constraints and not any(r.name == "feasible" for r in self.reqs):
            notes.append(f"{len(m.constraints)} feasibility constraint(s) declared but not checked: add 'require feasible'")
        if not m.finite and self.opts.grid is None:
            notes.append(f"real intervals were checked on the default {self.k}-point grid; choose another with --grid K")
        if not self.reqs:
            notes.append("the spec requires no property: add e.g. 'require dsic'")
        return Report(m.file, m.name, {k: (_fmt(v) if isinstance(v, Fraction) else v) for k, (_, v) in m.params.items()},
                      self.space_text(), results, metrics, notes, doc=m.doc)

    # ---- misreport properties
    def _recheck_misreport(self, a: int, cand, others, Tothers, eps: Fraction):
        g, t, r, c = cand
        o = np.unravel_index(c, Tothers) if others else ()
        idx = [0] * self.n
        for k, j in enumerate(others):
            idx[j] = int(o[k])
        truthful = list(idx)
        truthful[a] = t
        lie = list(idx)
        lie[a] = r
        u_t, inex1 = self.exact_at(tuple(truthful), lambda ev: self.utility(ev, a), {a: t})
        u_l, inex2 = self.exact_at(tuple(lie), lambda ev: self.utility(ev, a), {a: t})
        gain = u_l - u_t
        exact = not (inex1 or inex2)
        ok = gain > eps if exact else float(gain) > float(eps) + TOL * (1 + abs(float(u_t)))
        if not ok:
            return None
        m = self.model
        fields = {
            "agent": m.agent_label(a), "true_type": self.label(a, t), "misreport": self.label(a, r),
            "others_reports": self.others_dict(a, tuple(idx)),
            "utility_truthful": float(u_t), "utility_misreport": float(u_l), "gain": float(gain),
            "exact_values": {"utility_truthful": _exact_str(u_t), "utility_misreport": _exact_str(u_l),
                             "gain": _exact_str(gain)},
        }
        oth = ", ".join(f"{k}: {v}" for k, v in fields["others_reports"].items())
        summary = (f"agent {fields['agent']} with true type {fields['true_type']} gains {_exact_str(gain)} by reporting "
                   f"{fields['misreport']} instead of the truth (utility {_exact_str(u_t)} -> {_exact_str(u_l)})"
                   + (f" when the others report {oth}" if oth else ""))
        return Counterexample("misreport", fields, summary, exact)

    def _misreport_prop(self, req: Requirement, regret, metrics) -> PropertyResult:
        eps = req.args[0] if req.args else Fraction(0)
        method, arith = self.method_text()
        stats_all = regret["dsic"]
        total_cases = sum(s["cases"] for s in stats_all)
        n_viol = sum(s["counts"][eps] for s in stats_all)
        max_regret = max(s["max_gain"] for s in stats_all)
        exp_regret = max(float(s["expected"]) for s in stats_all)
        stats = {"max_regret": max_regret, "expected_regret": exp_regret, "violations": n_viol,
                 "cases": total_cases, "violation_fraction": n_viol / total_cases if total_cases else 0.0}
        on = "" if self.model.finite else f" on the {self.k}-point grid"
        prior = "under the prior" if self.model.finite else f"under the {self.k}-point grid's discrete prior"
        metrics.setdefault("max_regret", Metric(max_regret, None, None, "max over agents, types, misreports, others" + on))
        metrics.setdefault("expected_regret", Metric(exp_regret, None, None,
                                                     f"max over agents of E[max gain from misreporting] {prior}"))
        metrics.setdefault("ic_violation_fraction", Metric(stats["violation_fraction"], None, None,
                                                           "share of (agent, type, misreport, others) cases with a "
                                                           "gain" + on))
        what = f"{total_cases:,} (agent, true type, misreport, others' reports) cases"
        if n_viol == 0:
            return PropertyResult(req.label, self.verdict_ok(), method, self.ok_detail(what), None, stats)
        for a, s in enumerate(stats_all):
            for cand in s["cands"]:
                if cand[0] <= float(eps):
                    continue
                cx = self._recheck_misreport(a, cand, s["others"], s["Tothers"], eps)
                if cx is not None:
                    detail = (f"{n_viol:,} of {what} gain more than {_fmt(eps)} by misreporting; max regret "
                              f"{max_regret:.6g}; counterexample re-checked in "
                              + ("exact rational arithmetic" if cx.exact else "floating point (the spec uses exp/log/sqrt)"))
                    return PropertyResult(req.label, "violated", method, detail, cx, stats)
        return PropertyResult(req.label, "unknown", method,
                              f"float64 found gains up to {max_regret:.3g} but none survived the exact re-check "
                              "(likely rounding at ties)", None, stats)

    def prop_dsic(self, req, kept, regret, metrics):
        return self._misreport_prop(req, regret, metrics)

    prop_eps_dsic = prop_dsic

    # ---- interim properties
    def prop_bic(self, req, kept, regret, metrics):
        eps = req.args[0] if req.args else Fraction(0)
        method, arith = self.method_text()
        worst = None
        n_viol, cases, exp_regret, max_regret = 0, 0, 0.0, 0.0
        for a, EU in enumerate(regret["bic"]):
            diag = np.diagonal(EU)
            gain = EU - diag[:, None]
            gf = gain.astype(float)
            viol = (gain > eps) if self.exact else (gf > float(eps) + TOL * (1 + np.abs(diag.astype(float))[:, None]))
            n_viol += int(np.count_nonzero(viol))
            Ta = EU.shape[0]
            cases += Ta * (Ta - 1)
            reg = gf.max(axis=1)
            exp_regret = max(exp_regret, float((self.grids[a].probs * reg).sum()))
            max_regret = max(max_regret, float(gf.max()))
            if np.any(viol):
                flat = int(np.argmax(np.where(viol, gf, -np.inf)))
                t, r = np.unravel_index(flat, gf.shape)
                if worst is None or gf[t, r] > worst[0]:
                    worst = (float(gf[t, r]), a, int(t), int(r), EU[t, t], EU[t, r])
        stats = {"max_interim_regret": max_regret, "expected_interim_regret": exp_regret,
                 "violations": n_viol, "cases": cases}
        what = f"{cases:,} (agent, type, misreport) pairs, interim expectation over the others' prior"
        if n_viol == 0:
            return PropertyResult(req.label, self.verdict_ok(), method, self.ok_detail(what), None, stats)
        g, a, t, r, eu_t, eu_r = worst
        m = self.model
        exact = self.exact and not m.transcendental
        if not self.exact:  # re-check the interim gain in exact arithmetic before showing it
            x_t, inex1 = self.exact_interim(a, t, t)
            x_r, inex2 = self.exact_interim(a, t, r)
            if x_t is not None and x_r is not None:
                exact = not (inex1 or inex2)
                if exact and not x_r - x_t > eps:
                    return PropertyResult(req.label, "unknown", method,
                                          f"float64 found an interim gain of {g:.3g} that the exact re-check does not "
                                          "confirm (likely rounding)", None, stats)
                eu_t, eu_r = x_t, x_r
        fields = {"agent": m.agent_label(a), "true_type": self.label(a, t), "misreport": self.label(a, r),
                  "interim_utility_truthful": float(eu_t), "interim_utility_misreport": float(eu_r),
                  "gain": float(eu_r - eu_t)}
        if exact:
            fields["exact_values"] = {"interim_utility_truthful": _exact_str(eu_t),
                                      "interim_utility_misreport": _exact_str(eu_r), "gain": _exact_str(eu_r - eu_t)}
        summary = (f"agent {fields['agent']} with type {fields['true_type']} expects {_exact_str(eu_r - eu_t)} more by "
                   f"reporting {fields['misreport']} (interim utility {_exact_str(eu_t)} -> {_exact_str(eu_r)})")
        cx = Counterexample("interim", fields, summary, exact)
        if not m.finite:
            return PropertyResult(req.label, "unknown", method,
                                  f"on the grid the discretised prior gives interim regret {g:.4g} ({summary}); "
                                  "a grid only approximates interim expectations under a continuous prior, so this is "
                                  "not a proof of violation", cx, stats)
        return PropertyResult(req.label, "violated", method,
                              f"{n_viol} of {what} gain by misreporting; counterexample "
                              + ("in exact rational arithmetic" if exact else f"in {arith}"), cx, stats)

    prop_eps_bic = prop_bic

    # ---- ex-post properties on truthful profiles
    def _profile_violation(self, req, arr, bad, value_name: str, describe) -> PropertyResult:
        """Common shape of per-profile properties: ``bad`` marks violating profiles."""
        method, arith = self.method_text()
        n_bad = int(np.count_nonzero(bad))
        stats = {"violations": n_bad, "profiles": int(bad.size)}
        if n_bad == 0:
            return PropertyResult(req.label, self.verdict_ok(), method,
                                  self.ok_detail(f"{bad.size:,} {value_name}"), None, stats)
        flat = int(np.argmax(bad.reshape(-1)))
        cx = describe(flat)
        if cx is None:
            return PropertyResult(req.label, "unknown", method,
                                  "float64 found a violation that did not survive the exact re-check", None, stats)
        return PropertyResult(req.label, "violated", method,
                              f"fails on {n_bad:,} of {bad.size:,} {value_name}; counterexample re-checked in "
                              + ("exact rational arithmetic" if cx.exact else "floating point"), cx, stats)

    def _pidx(self, flat_profile: int) -> tuple[int, ...]:
        return tuple(int(x) for x in np.unravel_index(flat_profile, self.T))

    def _profile_fields(self, idx) -> dict:
        return {self.model.agent_label(a): self.label(a, t) for a, t in enumerate(idx)}

    def prop_ex_post_ir(self, req, kept, regret, metrics):
        U = np.stack(kept["u"])  # (n, P)
        Uf = U.astype(float)
        bad = (U < 0) if self.exact else (Uf < -TOL * (1 + np.abs(Uf)))

        def describe(flat):
            a, p = np.unravel_index(flat, U.shape)
            idx = self._pidx(p)
            u, inexact = self.exact_at(idx, lambda ev: self.utility(ev, int(a)))
            if not u < 0:
                return None
            f = {"agent": self.model.agent_label(int(a)), "types": self._profile_fields(idx), "utility": float(u),
                 "exact_values": {"utility": _exact_str(u)}}
            return Counterexample("profile", f, f"agent {f['agent']} gets utility {_exact_str(u)} < 0 when the types "
                                                f"are {self.profile_text(idx)} and everyone reports truthfully", not inexact)

        return self._profile_violation(req, U, bad, "(agent, truthful profile) cases", describe)

    def prop_interim_ir(self, req, kept, regret, metrics):
        method, arith = self.method_text()
        worst, n_bad, cases = None, 0, 0
        for a in range(self.n):
            Ta = self.T[a]
            Ua = np.moveaxis(kept["u"][a].reshape(self.T), a, 0).reshape(Ta, -1)
            w = self.others_weights(a)
            iu = Ua @ w
            bad = (iu < 0) if self.exact else (iu < -TOL * (1 + np.abs(Ua) @ w))
            n_bad += int(np.count_nonzero(bad))
            cases += Ta
            for t in np.flatnonzero(bad):
                if worst is None or float(iu[t]) < float(worst[2]):
                    worst = (a, int(t), iu[t])
        stats = {"violations": n_bad, "cases": cases}
        what = f"{cases} (agent, type) pairs, expectation over the others' prior"
        if worst is None:
            return PropertyResult(req.label, self.verdict_ok(), method, self.ok_detail(what), None, stats)
        a, t, v = worst
        exact = self.exact and not self.model.transcendental
        if not self.exact:  # re-check in exact arithmetic before showing it
            xv, inexact = self.exact_interim(a, t, t)
            if xv is not None:
                exact = not inexact
                if exact and not xv < 0:
                    return PropertyResult(req.label, "unknown", method, "float64 found an interim loss that the "
                                          "exact re-check does not confirm (likely rounding)", None, stats)
                v = xv
        f = {"agent": self.model.agent_label(a), "type": self.label(a, t), "interim_utility": float(v),
             "exact_values": {"interim_utility": _exact_str(v)}}
        cx = Counterexample("interim", f, f"agent {f['agent']} with type {f['type']} expects utility {_exact_str(v)} < 0",
                            exact)
        verdict = "violated" if self.model.finite else "unknown"
        detail = f"{n_bad} of {what} expect a loss" + ("" if self.model.finite else
                                                       "; on a grid this only approximates the continuous prior")
        return PropertyResult(req.label, verdict, method, detail, cx, stats)

    def _pay_sum(self, ev):
        total = 0
        for a in range(self.n):
            total = total + ev.ref("pay", (self.codes[a],))
        return total

    def _bb(self, req, kept, strong: bool):
        S = sum(kept["pay"])
        Sf = np.asarray(S, dtype=float)
        scale = TOL * (1 + sum(np.abs(np.asarray(p, dtype=float)) for p in kept["pay"]))
        if strong:
            bad = (S != 0) if self.exact else (np.abs(Sf) > scale)
        else:
            bad = (S < 0) if self.exact else (Sf < -scale)

        def describe(flat):
            idx = self._pidx(flat)
            s, inexact = self.exact_at(idx, self._pay_sum)
            if (s == 0) if strong else not (s < 0):
                return None
            f = {"reports": self._profile_fields(idx), "total_payment": float(s),
                 "exact_values": {"total_payment": _exact_str(s)}}
            rel = "!= 0" if strong else "< 0"
            return Counterexample("profile", f, f"at reports {self.profile_text(idx)} the payments sum to "
                                                f"{_exact_str(s)} {rel}", not inexact)

        return self._profile_violation(req, S, bad, "report profiles", describe)

    def prop_weak_budget_balance(self, req, kept, regret, metrics):
        return self._bb(req, kept, strong=False)

    def prop_strong_budget_balance(self, req, kept, regret, metrics):
        return self._bb(req, kept, strong=True)

    def prop_no_positive_transfers(self, req, kept, regret, metrics):
        Pm = np.stack(kept["pay"])
        bad = (Pm < 0) if self.exact else (Pm < -TOL * (1 + np.abs(Pm)))

        def describe(flat):
            a, p = np.unravel_index(flat, Pm.shape)
            idx = self._pidx(p)
            v, inexact = self.exact_at(idx, lambda ev: ev.ref("pay", (self.codes[int(a)],)))
            if not v < 0:
                return None
            f = {"agent": self.model.agent_label(int(a)), "reports": self._profile_fields(idx), "pay": float(v),
                 "exact_values": {"pay": _exact_str(v)}}
            return Counterexample("profile", f, f"agent {f['agent']} is paid {_exact_str(-v)} (pay {_exact_str(v)} < 0) "
                                                f"at reports {self.profile_text(idx)}", not inexact)

        return self._profile_violation(req, Pm, bad, "(agent, report profile) cases", describe)

    def prop_efficient(self, req, kept, regret, metrics):
        at, best = kept["welfare"]
        bad = (at < best) if self.exact else (
            np.asarray(at, float) < np.asarray(best, float) - TOL * (1 + np.abs(np.asarray(best, float))))
        m = self.model
        choice_set = m.sets[m.defs["choice"].vtype.key]
        agg = m.welfare[1]
        arg = make_aggregate("argmax", agg.vars, agg.sets, None, agg.body, None)

        def describe(flat):
            idx = self._pidx(flat)
            w_at, i1 = self.exact_at(idx, lambda ev: ev.eval(m.welfare[0], {}))
            w_best, i2 = self.exact_at(idx, lambda ev: ev.eval(m.welfare[1], {}))
            if not w_at < w_best:
                return None
            chosen, _ = self.exact_at(idx, lambda ev: ev.ref("choice"))
            better, _ = self.exact_at(idx, lambda ev: ev.eval(arg, {}))
            f = {"types": self._profile_fields(idx), "chosen": choice_set.label(int(chosen)),
                 "welfare_chosen": float(w_at), "better_outcome": choice_set.label(int(better)),
                 "welfare_better": float(w_best),
                 "exact_values": {"welfare_chosen": _exact_str(w_at), "welfare_better": _exact_str(w_best)}}
            return Counterexample("profile", f, f"at types {self.profile_text(idx)} (reported truthfully) the mechanism "
                                                f"chooses {f['chosen']} with welfare {_exact_str(w_at)}, but "
                                                f"{f['better_outcome']} gives {_exact_str(w_best)}", not (i1 or i2))

        return self._profile_violation(req, at, bad, "truthful profiles", describe)

    def prop_monotone(self, req, kept, regret, metrics):
        method, arith = self.method_text()
        worst = None
        n_bad, cases = 0, 0
        for a in range(self.n):
            Ta = self.T[a]
            X = np.moveaxis(kept["x"][a].reshape(self.T), a, 0).reshape(Ta, -1)
            order = np.argsort(self.grids[a].values[:, 0], kind="stable")
            X = X[order]
            drop = X[:-1] - X[1:]
            bad = (drop > 0) if self.exact else (drop > TOL * (1 + np.abs(X[:-1])))
            n_bad += int(np.count_nonzero(bad))
            cases += drop.size
            if worst is None and np.any(bad):
                k, c = np.unravel_index(int(np.argmax(bad)), bad.shape)
                worst = (a, int(order[k]), int(order[k + 1]), int(c), X[k, c], X[k + 1, c])
        stats = {"violations": n_bad, "cases": cases}
        if worst is None:
            return PropertyResult(req.label, self.verdict_ok(), method,
                                  self.ok_detail(f"{cases:,} (agent, adjacent reports, others' reports) cases"), None, stats)
        a, lo, hi, c, x_lo, x_hi = worst
        others = [j for j in range(self.n) if j != a]
        o = np.unravel_index(c, [self.T[j] for j in others] or [1])
        idx = [0] * self.n
        for k, j in enumerate(others):
            idx[j] = int(o[k])
        exact = self.exact
        if not self.exact:  # re-check both allocations in exact arithmetic before showing them
            code = self.codes[a]
            x_lo, i1 = self.exact_at(tuple(lo if j == a else idx[j] for j in range(self.n)), lambda ev: ev.ref("x", (code,)))
            x_hi, i2 = self.exact_at(tuple(hi if j == a else idx[j] for j in range(self.n)), lambda ev: ev.ref("x", (code,)))
            exact = not (i1 or i2)
            if exact and not x_hi < x_lo:
                return PropertyResult(req.label, "unknown", method, "float64 found a decrease in x that the exact "
                                      "re-check does not confirm (likely rounding)", None, stats)
        f = {"agent": self.model.agent_label(a), "lower_report": self.label(a, lo), "higher_report": self.label(a, hi),
             "x_lower": float(x_lo), "x_higher": float(x_hi), "others_reports": self.others_dict(a, tuple(idx)),
             "exact_values": {"x_lower": _exact_str(x_lo), "x_higher": _exact_str(x_hi)}}
        cx = Counterexample("profile", f, f"agent {f['agent']}'s allocation drops from {_exact_str(x_lo)} to "
                                          f"{_exact_str(x_hi)} when the report rises from {f['lower_report']} to "
                                          f"{f['higher_report']}", exact)
        return PropertyResult(req.label, "violated", method, f"{n_bad} of {cases} adjacent-report steps decrease x",
                              cx, stats)

    def prop_feasible(self, req, kept, regret, metrics):
        results = []
        for k, c in enumerate(self.model.constraints):
            ok = kept["feasible"][k]
            bad = ~ok

            def describe(flat, c=c):
                idx = self._pidx(flat)
                v, inexact = self.exact_at(idx, lambda ev: ev.eval(c.expr, {}))
                if v:
                    return None
                f = {"constraint_line": c.span.line, "reports": self._profile_fields(idx)}
                return Counterexample("profile", f, f"the constraint at line {c.span.line} fails at reports "
                                                    f"{self.profile_text(idx)}", not inexact)

            results.append(self._profile_violation(req, ok, bad, "report profiles", describe))
        bad = [r for r in results if r.verdict != self.verdict_ok()]
        return bad[0] if bad else results[0]


def check_exhaustive(model: Model, opts: Options | None = None) -> Report:
    return ExhaustiveChecker(model, opts or Options()).run()

