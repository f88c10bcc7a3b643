"""pytest plugin: every ``.mech`` file is a test module, every required property a test item.

Registered through the ``pytest11`` entry point, so ``pytest specs/`` collects
``specs/vickrey.mech::dsic`` and friends. It costs nothing until asked: collection parses the
specs (lark only, no sympy, no checks); each block (mechanism, design, contract, game) is checked,
designed or solved once, when its first item runs. Items of a file with several blocks are named
``Block.property``; a block without ``require`` is one item (``check``, ``design``, ``contract`` or
``equilibria``), and a design or contract also gets that item for the solve itself.

A violated property fails with its counterexample; an ``unknown`` verdict is skipped with its
reason (``--mech-strict`` makes it fail); a block that does not load fails with the located error;
a spec that crashes mechc is one failed item with the message, never a collection error. Outcomes a
spec means to have are marked in it (``# expect: violated dsic``; see docs/guide.md), and a spec
beside a ``NAME.expected`` file (specs/invalid/) is expected to be rejected with that message: both
report as xfail. Results are cached by spec content, options and mechc version
(``--mech-cache-clear`` forgets them).
"""

from __future__ import annotations

import hashlib
import re
from pathlib import Path

import pytest

from . import __version__
from .errors import EvalError, MechError, SpecError, SpecErrors, render

_CACHE_PREFIX = "mechc/v2/"
OUTCOMES = ("violated", "unknown", "error")
_EXPECT = re.compile(r"^\s*#\s*expect:\s*(\w+)\s*(.*?)\s*$", re.M)
# the item that stands for the block's own run, by block kind
ACTION = {"mechanism": "check", "design": "design", "contract": "contract", "game": "equilibria"}


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


def parse_expectations(text: str) -> tuple[dict[str, str], list[str]]:
    """``# expect: OUTCOME [ITEM, ...]`` comment lines: {item name: outcome} ('*' for the whole
    file), and the problems found in them."""
    expected, problems = {}, []
    for m in _EXPECT.finditer(text):
        outcome, names = m.group(1), [n.strip() for n in _split_items(m.group(2)) if n.strip()]
        if outcome not in OUTCOMES:
            problems.append(f"'# expect: {outcome}': the outcome is one of {', '.join(OUTCOMES)}")
            continue
        for name in names or ["*"]:
            expected[name] = outcome
    return expected, problems


def _split_items(text: str) -> list[str]:
    """Split at commas outside parentheses: ``violated nash(A, B), dsic`` names two items."""
    out, depth, cur = [], 0, ""
    for ch in text:
        depth += (ch == "(") - (ch == ")")
        if ch == "," and depth == 0:
            out.append(cur)
            cur = ""
        else:
            cur += ch
    return [*out, cur]


class MechFile(pytest.File):
    def collect(self):
        text = self.path.read_text(encoding="utf-8")
        rel = self.session.config.rootpath
        try:
            shown = str(self.path.relative_to(rel))
        except ValueError:
            shown = str(self.path)
        self.text, self.shown = text, shown
        self.expected, problems = parse_expectations(text)
        rejected = self.path.with_suffix(".expected")
        self.expected_error = rejected.read_text(encoding="utf-8").strip() if rejected.is_file() else None
        if self.expected_error is not None:
            self.expected.setdefault("*", "error")
        self._runs: dict = {}
        try:
            from .parse import parse

            spec = parse(text, shown)
        except Exception as e:  # noqa: BLE001 - a spec that crashes mechc is one failed item, never a collection error
            yield MechItem.from_parent(self, name="load", block=None, expect=self.expected.get("*"), error=e)
            return
        names = []
        for block in spec.mechanisms:
            prefix = f"{block.name}." if len(spec.mechanisms) > 1 else ""
            props = [_prop_text(text, p) for it in block.items if type(it).__name__ == "Require" for p in it.props]
            own = [ACTION[block.kind]] if block.kind in ("design", "contract") or not props else []
            for k, name in enumerate(own + props):
                names.append(prefix + name)
                yield MechItem.from_parent(self, name=prefix + name, block=(block.name, block.kind, own + props, k),
                                           expect=self.expected.get(prefix + name, self.expected.get("*")))
        unknown = [n for n in self.expected if n != "*" and n not in names]
        if problems or unknown:
            problems += [f"'# expect:' names '{n}', which is not an item of this file (items: {', '.join(names)})"
                         for n in unknown]
            yield MechItem.from_parent(self, name="expect", block=None, expect=None, error=MechError("; ".join(problems)))

    def run_block(self, name: str, kind: str, items: list[str]) -> list[dict] | Exception:
        """The results of one block, in item order (computed once, cached by content)."""
        if name not in self._runs:
            try:
                self._runs[name] = self._results(name, kind, items)
            except Exception as e:  # noqa: BLE001 - shown by every item of the block, not as a traceback
                self._runs[name] = e
        return self._runs[name]

    def _results(self, name: str, kind: str, items: list[str]) -> list[dict]:
        config = self.config
        method, grid = config.getoption("--mech-method"), config.getoption("--mech-grid")
        key = hashlib.sha256(f"{__version__}\0{method}\0{grid}\0{self.shown}\0{name}\0{self.text}".encode()).hexdigest()
        cache = getattr(config, "cache", None)
        if cache is not None and not config.getoption("--mech-cache-clear"):
            hit = cache.get(_CACHE_PREFIX + key, None)
            if hit is not None:
                return hit
        from .api import load_text

        model = load_text(self.text, self.shown, mechanism=name)
        compute = {"design": _design_results, "contract": _contract_results, "game": _game_results}
        results = _match(items, compute.get(model.kind, _check_results)(model, method, grid), ACTION[kind])
        if cache is not None:
            cache.set(_CACHE_PREFIX + key, results)
        return results


def _prop_text(text: str, prop) -> str:
    """A property as written (``nash(Defect, Defect)``), whitespace collapsed."""
    s = prop.span
    lines = text.splitlines()[s.line - 1:s.end_line]
    if len(lines) == 1:
        written = lines[0][s.col - 1:s.end_col - 1]
    else:
        written = " ".join([lines[0][s.col - 1:], *lines[1:-1], lines[-1][:s.end_col - 1]])
    return " ".join(written.split()) or prop.name


def _match(items: list[str], results: list[dict], action: str) -> list[dict]:
    """Pair the collected item names with the block's results: by name, then in order; results no
    item names (a contract's incentive constraints, say) join the first item."""
    left = list(results)
    paired: list[dict | None] = []
    for name in items:
        hit = next((r for r in left if r["name"] == name), None)
        if hit is not None:
            left.remove(hit)
        paired.append(hit)
    extra_names = [r for r in left if r["name"] == action]
    left = [r for r in left if r["name"] != action]
    for k, r in enumerate(paired):
        if r is None and left:
            paired[k] = left.pop(0)
    out = [r if r is not None else _item(items[k], "unknown", "plugin", "no result for this item")
           for k, r in enumerate(paired)]
    extras = extra_names + left
    if extras and out:
        out[0] = {**out[0], "extra": extras}
    return out


def _check_results(model, method, grid) -> list[dict]:
    from .api import check

    results = _check_results_of(check(model, method=method, grid=grid))
    # without require statements the check itself is the test: the spec loads and its measures compute
    return results or [_item("check", "verified", "check", "no property is required; the measures were computed")]


def _check_results_of(report) -> list[dict]:
    return [_item(p.name, p.verdict, p.method, p.detail, p.line,
                  p.counterexample.summary if p.counterexample else None) for p in report.properties]


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
        results += _check_results_of(res.verification)
    return results


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


class MechItem(pytest.Item):
    """One required property of one block (or the block's own run, or the load of a broken spec)."""

    def __init__(self, *, block, expect: str | None, error: Exception | None = None, **kw):
        super().__init__(**kw)
        self.block, self.expect, self.error, self.result = block, expect, error, None

    def runtest(self):
        mf: MechFile = self.parent
        if self.error is None:
            name, kind, items, k = self.block
            got = mf.run_block(name, kind, items)
            if isinstance(got, Exception):
                self.error = got
            else:
                self.result = got[k]
        if self.error is not None:
            self._rejected(mf)
            return
        worst = self._verdict()
        if self.expect in ("violated", "unknown"):
            if worst == self.expect:
                cex = self.result.get("counterexample")
                pytest.xfail(f"expected {self.expect}: " + (f"counterexample: {cex}" if cex else self.result["detail"]))
            raise MechPropertyFailure(f"marked '# expect: {self.expect}' but the verdict is {worst}")
        if self.expect == "error":
            raise MechPropertyFailure("marked as expected to be rejected, but it loads")
        if worst == "violated":
            raise MechPropertyFailure(None)
        if worst == "unknown":
            if self.config.getoption("--mech-strict"):
                raise MechPropertyFailure(None)
            pytest.skip(f"{self.result['name']}: unknown ({self.result['detail']})")

    def _verdict(self) -> str:
        verdicts = [self.result["verdict"], *(x["verdict"] for x in self.result.get("extra", ()))]
        return next((v for v in ("violated", "unknown") if v in verdicts), verdicts[0])

    def _rejected(self, mf: MechFile):
        """A spec that does not load (or crashes): xfail when it is meant to be rejected."""
        message = self._error_text(mf)
        if self.expect != "error":
            raise MechPropertyFailure(message)
        want = mf.expected_error
        first = message.splitlines()[0] if message else ""
        if want is not None and _after_path(want) != _after_path(first):
            raise MechPropertyFailure(f"rejected with a different message\n want: {want}\n  got: {first}")
        pytest.xfail(f"rejected as expected: {first}")

    def _error_text(self, mf: MechFile) -> str:
        e = self.error
        sources = {mf.shown: mf.text}
        if isinstance(e, SpecErrors):
            return "\n".join(render(x, sources) for x in e.errors)
        if isinstance(e, EvalError):
            return render(SpecError(e.span, str(e), e.hint), sources)
        if isinstance(e, MechError):
            return str(e)
        return (f"mechc: internal error: {type(e).__name__}: {e}\nthis is a bug in mechc, not in the spec; "
                "`MECHC_DEBUG=1 mechc check` shows the traceback")

    def repr_failure(self, excinfo, style=None):
        if not isinstance(excinfo.value, MechPropertyFailure):
            return super().repr_failure(excinfo, style)
        if excinfo.value.args[0] is not None:
            return f"{self.path.name}::{self.name}: {excinfo.value.args[0]}"
        lines = []
        for r in [self.result, *self.result.get("extra", ())]:
            if r["verdict"] in ("violated", "unknown"):
                lines.append(f"{self.path.name}:{r['line']}: {r['name']} is {r['verdict']} ({r['method']})")
                if r["counterexample"]:
                    lines.append(f"  counterexample: {r['counterexample']}")
                lines.append(f"  {r['detail']}")
        return "\n".join(lines)

    def reportinfo(self):
        line = (self.result or {}).get("line") or 1
        return self.path, line - 1, f"{self.path.name}::{self.name}"


def _after_path(line: str) -> str:
    """``specs/x.mech:4:3: error: ...`` without the path (the rootdir decides how it is shown)."""
    m = re.match(r"^.*?\.mech:(\d+:\d+: .*)$", line)
    return m.group(1) if m else line
