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
        from . import check, load_text

        model = load_text(text, shown)
        if model.kind == "design":
            return self._design_results(model, grid, cache, key)
        if model.kind == "contract":
            return self._contract_results(model, cache, key)
        if model.kind == "game":
            from .games import solve

            sol = solve(model)
            eqs = "; ".join("(" + ", ".join(p) + ")" for p, _ in sol.equilibria) or "none"
            results = [{"name": "equilibria", "verdict": "verified", "method": "enumeration",
                        "detail": f"pure Nash equilibria: {eqs}", "line": 1, "counterexample": None}]
            if cache is not None:
                cache.set(_CACHE_PREFIX + key, results)
            return results
        report = check(model, method=method, grid=grid)
        results = [{"name": p.name, "verdict": p.verdict, "method": p.method, "detail": p.detail, "line": p.line,
                    "counterexample": p.counterexample.summary if p.counterexample else None}
                   for p in report.properties]
        if cache is not None:
            cache.set(_CACHE_PREFIX + key, results)
        return results


    def _design_results(self, model, grid, cache, key) -> list[dict]:
        from .design import DesignError, solve_design

        try:
            res = solve_design(model, grid)
            ok = res.status in ("optimal", "optimal_inaccurate")
            results = [{"name": "design", "verdict": "verified" if ok else "violated", "method": res.solver,
                        "detail": f"{res.status}; objective {res.objective_exact or res.objective}", "line": 1,
                        "counterexample": None}]
            if res.verification is not None:
                results += [{"name": p.name, "verdict": p.verdict, "method": p.method, "detail": p.detail,
                             "line": p.line, "counterexample": p.counterexample.summary if p.counterexample else None}
                            for p in res.verification.properties]
        except DesignError as e:
            results = [{"name": "design", "verdict": "violated", "method": "design", "detail": str(e), "line": 1,
                        "counterexample": None}]
        if cache is not None:
            cache.set(_CACHE_PREFIX + key, results)
        return results


    def _contract_results(self, model, cache, key) -> list[dict]:
        from .design import DesignError, solve_contract

        try:
            r = solve_contract(model)
            ok = r.status in ("optimal", "optimal_inaccurate")
            results = [{"name": "contract", "verdict": "verified" if ok else "violated", "method": "lp",
                        "detail": f"{r.status}; objective {r.objective_exact or r.objective}", "line": 1,
                        "counterexample": None}]
            results += [{"name": k, "verdict": "verified" if v else "violated", "method": "exact re-check",
                         "detail": "holds at the optimal contract" if v else "fails at the optimal contract",
                         "line": 1, "counterexample": None} for k, v in r.checks.items()]
        except DesignError as e:
            results = [{"name": "contract", "verdict": "violated", "method": "lp", "detail": str(e), "line": 1,
                        "counterexample": None}]
        if cache is not None:
            cache.set(_CACHE_PREFIX + key, results)
        return results


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

