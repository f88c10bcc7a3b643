"""pytest plugin: every ``.mech`` file is a test module, every required property a test item.

Registered through the ``pytest11`` entry point, so ``pytest specs/`` collects
``specs/vickrey.mech::dsic`` and friends. A violated property fails with its counterexample; an
``unknown`` verdict is skipped with its reason (``--mech-strict`` makes it fail); a spec that does
not load fails with the located error. Results are cached by spec content, options and mechc
version, so unchanged specs are not re-checked (``--mech-cache-clear`` forgets them).
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from . import __version__
from .errors import EvalError, MechError, SpecError, SpecErrors, render

_CACHE_PREFIX = "mechc/v1/"


def pytest_addoption(parser):
    group = parser.getgroup("mechc", "checking .mech specs")
    group.addoption("--mech-method", default="auto", help="mechc back ends: auto|exhaustive|smt|symbolic|search")
    group.addoption("--mech-grid", type=int, default=None, help="grid points per real interval")
    group.addoption("--mech-strict", action="store_true", help="fail (not skip) properties with verdict unknown")
    group.addoption("--mech-cache-clear", action="store_true", help="re-check every spec, ignoring cached results")
    group.addoption("--no-mech", action="store_true", help="do not collect .mech files")


def pytest_collect_file(file_path: Path, parent):
    if file_path.suffix == ".mech" and not parent.config.getoption("--no-mech"):
        return MechFile.from_parent(parent, path=file_path)
    return None


class MechFile(pytest.File):
    def collect(self):
        text = self.path.read_text(encoding="utf-8")
        rel = self.session.config.rootpath
        try:
            shown = str(self.path.relative_to(rel))
        except ValueError:
            shown = str(self.path)
        try:
            results = self._results(text, shown)
        except (SpecErrors, EvalError, MechError) as e:
            yield MechLoadError.from_parent(self, name="load", error=e, text=text, shown=shown)
            return
        for res in results:
            yield MechProperty.from_parent(self, name=res["name"], result=res)

    def _results(self, text: str, shown: str) -> list[dict]:
        config = self.config
        method, grid = config.getoption("--mech-method"), config.getoption("--mech-grid")
        key = hashlib.sha256(f"{__version__}\0{method}\0{grid}\0{shown}\0{text}".encode()).hexdigest()
        cache = getattr(config, "cache", None)
        if cache is not None and not config.getoption("--mech-cache-clear"):
            hit = cache.get(_CACHE_PREFIX + key, None)
            if hit is not None:
                return hit
        from . import load_text

        model = load_text(text, shown)
        compute = {"design": self._design_results, "contract": self._contract_results,
                   "game": self._game_results}.get(model.kind, self._check_results)
        results = compute(model, method, grid)
        if cache is not None:
            cache.set(_CACHE_PREFIX + key, results)
        return results

    @staticmethod
    def _check_results(model, method, grid) -> list[dict]:
        from . import check

        return MechFile._check_results_of(check(model, method=method, grid=grid))

    @staticmethod
    def _design_results(model, method, grid) -> list[dict]:
        from .design import DesignError, solve_design

        try:
            res = solve_design(model, grid)
        except DesignError as e:
            return [_item("design", "violated", "design", str(e))]
        ok = res.status in ("optimal", "optimal_inaccurate")
        results = [_item("design", "verified" if ok else "violated", res.solver,
                         f"{res.status}; objective {res.objective_exact or res.objective}")]
        if res.verification is not None:
            results += MechFile._check_results_of(res.verification)
        return results

    @staticmethod
    def _check_results_of(report) -> list[dict]:
        return [_item(p.name, p.verdict, p.method, p.detail, p.line,
                      p.counterexample.summary if p.counterexample else None) for p in report.properties]

    @staticmethod
    def _contract_results(model, method, grid) -> list[dict]:
        from .design import DesignError, solve_contract

        try:
            r = solve_contract(model)
        except DesignError as e:
            return [_item("contract", "violated", "lp", str(e))]
        ok = r.status in ("optimal", "optimal_inaccurate")
        return [_item("contract", "verified" if ok else "violated", "lp",
                      f"{r.status}; objective {r.objective_exact or r.objective}")] + [
            _item(k, "verified" if v else "violated", "exact re-check",
                  "holds at the optimal contract" if v else "fails at the optimal contract")
            for k, v in r.checks.items()]

    @staticmethod
    def _game_results(model, method, grid) -> list[dict]:
        from .games import solution_lines, solve

        sol = solve(model)
        summary = "; ".join(solution_lines(sol)[:3])
        items = [_item(p["label"], p["verdict"], "exact enumeration", p["detail"], p["line"] or 1)
                 for p in sol.properties]
        # without require statements the solve itself is the test: it must find an equilibrium
        return items or [_item("equilibria", "verified" if sol.equilibria or getattr(sol, "mixed", None) else "unknown",
                               "solve", summary)]


def _item(name, verdict, method, detail, line=1, counterexample=None) -> dict:
    """One collected test item's result (JSON-ready, so it can live in the pytest cache)."""
    return {"name": name, "verdict": verdict, "method": method, "detail": detail, "line": line,
            "counterexample": counterexample}


class MechPropertyFailure(Exception):
    pass


class MechProperty(pytest.Item):
    def __init__(self, *, result: dict, **kw):
        super().__init__(**kw)
        self.result = result

    def runtest(self):
        r = self.result
        if r["verdict"] == "violated":
            raise MechPropertyFailure(r)
        if r["verdict"] == "unknown":
            if self.config.getoption("--mech-strict"):
                raise MechPropertyFailure(r)
            pytest.skip(f"{r['name']}: unknown ({r['detail']})")

    def repr_failure(self, excinfo, style=None):
        if isinstance(excinfo.value, MechPropertyFailure):
            r = self.result
            lines = [f"{self.path.name}:{r['line']}: {r['name']} is {r['verdict']} ({r['method']})"]
            if r["counterexample"]:
                lines.append(f"  counterexample: {r['counterexample']}")
            lines.append(f"  {r['detail']}")
            return "\n".join(lines)
        return super().repr_failure(excinfo, style)

    def reportinfo(self):
        return self.path, (self.result.get("line") or 1) - 1, f"{self.path.name}::{self.name}"


class MechLoadError(pytest.Item):
    def __init__(self, *, error, text: str, shown: str, **kw):
        super().__init__(**kw)
        self.error, self.text, self.shown = error, text, shown

    def runtest(self):
        raise MechPropertyFailure(self.error)

    def repr_failure(self, excinfo, style=None):
        e = self.error
        sources = {self.shown: self.text}
        if isinstance(e, SpecErrors):
            return "\n".join(render(x, sources) for x in e.errors)
        if isinstance(e, EvalError):
            return render(SpecError(e.span, str(e), e.hint), sources)
        return str(e)

    def reportinfo(self):
        return self.path, 0, f"{self.path.name}::load"

