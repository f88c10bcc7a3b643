"""Property checkers and the rule that combines them.

``exhaustive`` decides finite type spaces (``verified``) and searches grids over intervals
(``passed-search``); ``smt`` proves or refutes properties over the whole declared space with z3
(``proved`` / ``violated``). ``check`` with method ``auto`` uses the exhaustive checker on finite
spaces and, on continuous ones, lets SMT decide every property it can, keeping the grid result
(with SMT's reason) where it cannot.
"""

from __future__ import annotations

import dataclasses
import math
from fractions import Fraction
from typing import TYPE_CHECKING

from ..report import PropertyResult, Report
from .exhaustive import ExhaustiveChecker, Options, check_exhaustive

if TYPE_CHECKING:
    from ..model.model import Model

METHODS = ("auto", "exhaustive", "smt", "symbolic", "search")


def check(model: Model, opts: Options | None = None) -> Report:
    opts = opts or Options()
    if model.finite and opts.method in ("auto", "exhaustive"):
        return check_exhaustive(model, opts)
    # the continuous back ends (z3, scipy.optimize) load only for specs that need them
    from .search import SearchOptions, check_search
    from .smt import check_smt
    from .symbolic import check_symbolic

    if opts.method == "exhaustive":
        return _with_expectations(check_exhaustive(model, opts), model, opts)
    reqs = model.requirements
    smt = {r.label: check_smt(model, r, opts.timeout, opts.smt_budget) if opts.method in ("auto", "smt") else None for r in reqs}
    for r in reqs:  # a symbolic proof where z3 could not decide (smooth rules with log, exp, ...)
        if opts.method in ("auto", "symbolic") and (smt[r.label] is None or smt[r.label].verdict == "unknown"):
            sym = check_symbolic(model, r)
            if sym is not None and (sym.verdict == "proved" or smt[r.label] is None):
                if smt[r.label] is not None and sym.verdict == "proved":
                    sym.detail += f" (smt: {smt[r.label].detail})"
                smt[r.label] = sym
    decided = {k for k, r in smt.items() if r is not None and r.verdict in ("proved", "violated")}
    pending = [r for r in reqs if r.label not in decided]
    searched = {r.label: check_search(model, r, SearchOptions(seed=opts.seed)) if opts.method in ("auto", "search")
                else None for r in pending}
    rest = tuple(pending) if opts.method == "auto" else ()  # one back end alone: no grid
    grid = (ExhaustiveChecker(dataclasses.replace(model, requirements=rest), opts).run() if rest
            else _empty_report(model, opts))
    by_label = {p.name: p for p in grid.properties}
    metrics = dict(grid.metrics)
    props = []
    for r in reqs:
        found = searched.get(r.label)
        if found is not None:
            metrics.update(found[1])
        p = _combine(smt[r.label], by_label.get(r.label), found[0] if found else None, opts.method, r)
        p.line = r.span.line
        props.append(p)
    notes = [n for n in grid.notes if "default" not in n or any(p.method.startswith("grid") for p in props)]
    notes = [n for n in notes if "requires no property" not in n or not reqs]
    report = dataclasses.replace(grid, properties=props, metrics=metrics, notes=sorted(set(notes), key=notes.index))
    return _with_expectations(report, model, opts)


def _with_expectations(report: Report, model: Model, opts: Options) -> Report:
    """The report with every measure of a continuous model integrated under the prior: exact where
    the order-cell method applies, else quasi-Monte Carlo to --tol (analysis.expectation)."""
    if model.finite or not model.measures:
        return report
    from .expectation import measure_expectations

    report.metrics.update(measure_expectations(model, opts.tol, opts.seed))
    return report


def _combine(smt, grid, search, method, req) -> PropertyResult:
    """The strongest verdict wins: a proof or an exact counterexample from SMT; else a violation
    from the grid or the search; else passed-search naming every budget; reasons are kept."""
    if smt is not None and smt.verdict in ("proved", "violated"):
        if grid is not None:
            smt.stats = {**grid.stats, **smt.stats}
        return smt
    tried = [x for x in (grid, search) if x is not None]
    if not tried:
        if smt is not None:
            return smt
        return PropertyResult(req.label, "unknown", method, f"the {method} back end does not decide {req.name}; "
                                                           "try --method auto")
    for x in tried:
        if x.verdict == "violated":
            chosen = x
            break
    else:
        chosen = grid if grid is not None and search is None else (search if grid is None else grid)
        if grid is not None and search is not None and grid.verdict == "passed-search":
            chosen = search
            chosen.stats = {**grid.stats, **search.stats}
    parts = []
    if smt is not None:
        parts.append(f"smt: {smt.detail}")
    for x in tried:
        if x is not chosen:
            parts.append(f"{x.method}: {x.detail}")
    if parts:
        chosen.detail = "; ".join(parts) + f"; {chosen.detail}"
    return chosen


def _empty_report(model: Model, opts: Options) -> Report:
    """The report skeleton when SMT decided everything and there is nothing to measure."""
    chk = ExhaustiveChecker.__new__(ExhaustiveChecker)  # descriptions only: no grid is built
    chk.model, chk.opts, chk.n = model, opts, model.n_agents
    from ..model.model import _fmt
    from .grid import default_grid, space_sizes

    chk.k = opts.grid or default_grid(model)
    chk.T = space_sizes(model, chk.k)
    chk.P = math.prod(chk.T)
    params = {k: (_fmt(v) if isinstance(v, Fraction) else v) for k, (_, v) in model.params.items()}
    return Report(model.file, model.name, params, chk.space_text(), [], {}, [], doc=model.doc)


__all__ = ["METHODS", "Options", "check", "check_exhaustive"]
