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

from ..model.model import Model, _fmt
from ..report import PropertyResult, Report
from .exhaustive import ExhaustiveChecker, Options, check_exhaustive
from .grid import default_grid
from .smt import check_smt

METHODS = ("auto", "exhaustive", "smt")


def check(model: Model, opts: Options | None = None) -> Report:
    opts = opts or Options()
    if opts.method == "exhaustive" or (opts.method == "auto" and model.finite):
        return check_exhaustive(model, opts)
    smt = {req.label: check_smt(model, req, opts.timeout) for req in model.requirements}
    decided = {k for k, r in smt.items() if r is not None and r.verdict in ("proved", "violated")}
    if opts.method == "smt":
        rest = ()  # every verdict comes from SMT; a grid run only supplies the metrics
    else:
        rest = tuple(r for r in model.requirements if r.label not in decided)
    grid = ExhaustiveChecker(dataclasses.replace(model, requirements=rest), opts).run() \
        if (rest or model.measures) else _empty_report(model, opts)
    by_label = {p.name: p for p in grid.properties}
    props = []
    for r in model.requirements:
        if opts.method == "smt":
            p = smt[r.label] or PropertyResult(r.label, "unknown", "smt",
                                               f"the SMT back end does not decide {r.name}; try --method auto")
        else:
            p = _combine(smt[r.label], by_label[r.label]) if r.label in by_label else smt[r.label]
        p.line = r.span.line
        props.append(p)
    notes = [n for n in grid.notes if "default" not in n or any(p.method.startswith("grid") for p in props)]
    if not rest and model.measures and any("default" in n for n in grid.notes):
        notes.append("measures were computed on the default grid; choose another with --grid K")
    notes = [n for n in notes if "requires no property" not in n or not model.requirements]
    return dataclasses.replace(grid, properties=props, notes=sorted(set(notes), key=notes.index))


def _empty_report(model: Model, opts: Options) -> Report:
    """The report skeleton when SMT decided everything and there is nothing to measure."""
    chk = ExhaustiveChecker.__new__(ExhaustiveChecker)  # descriptions only: no grid is built
    chk.model, chk.opts, chk.n = model, opts, model.n_agents
    chk.k = opts.grid or default_grid(model)
    from .grid import space_sizes
    chk.T = space_sizes(model, chk.k)
    chk.P = math.prod(chk.T)
    params = {k: (_fmt(v) if isinstance(v, Fraction) else v) for k, (_, v) in model.params.items()}
    return Report(model.file, model.name, params, chk.space_text(), [], {}, [], doc=model.doc)


def _combine(smt: PropertyResult | None, grid: PropertyResult) -> PropertyResult:
    """SMT decides when it can; otherwise the grid's verdict stands, with SMT's reason attached."""
    if smt is None:
        return grid
    if smt.verdict in ("proved", "violated"):
        smt.stats = {**grid.stats, **smt.stats}
        return smt
    grid.detail = f"smt: {smt.detail}; grid: {grid.detail}"
    return grid


__all__ = ["METHODS", "Options", "check", "check_exhaustive"]
