"""mechc compile: generated modules agree with the evaluator, their tests pass/fail as the checker
says, the code is ruff-clean, deterministic, and golden files match."""

import importlib.util
import os
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import mechc
from mechc.cli import main
from mechc.codegen import generate
from mechc.model.evaluate import Evaluation

ROOT = Path(__file__).resolve().parents[2]
SPECS = sorted(p.stem for p in (ROOT / "specs").glob("*.mech"))
GOLDEN = ROOT / "tests" / "golden" / "codegen"


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    """Every spec compiled (with its compile-time check) into one directory."""
    out = tmp_path_factory.mktemp("build")
    cwd = os.getcwd()
    os.chdir(ROOT)
    try:
        for name in SPECS:
            assert main(["compile", f"specs/{name}.mech", "-o", str(out)]) == 0
    finally:
        os.chdir(cwd)
    return out


def load_module(path: Path):
    spec = importlib.util.spec_from_file_location(f"gen_{path.stem}", path)
    mod = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = mod  # dataclasses resolve annotations through sys.modules
    spec.loader.exec_module(mod)
    return mod


def random_profiles(model, rng, count):
    """Profiles of type values: grid/finite points and, for intervals, arbitrary floats."""
    cols = []
    for ts in model.type_spaces:
        k = len(ts.items) if ts.items is not None else 1
        if ts.continuous:
            grid = np.array([float(ts.lo + (ts.hi - ts.lo) * j / 20) for j in range(21)])
            pts = np.where(rng.random((count, k)) < 0.5, rng.choice(grid, (count, k)),
                           rng.uniform(float(ts.lo), float(ts.hi), (count, k)))
        else:
            vals = np.array([float(v) for v in ts.values]) if not ts.symbolic else np.array(ts.values)
            pts = rng.choice(vals, (count, k))
        cols.append(pts)
    return cols  # per agent: (count, k)


@pytest.mark.parametrize("name", SPECS)
def test_generated_module_matches_the_evaluator(name, built):
    """Zero mismatches, bit for bit, between the generated batch/scalar code and mechc's evaluator."""
    model = mechc.load(ROOT / "specs" / f"{name}.mech")
    mod = load_module(built / f"{name}.py")
    rng = np.random.default_rng(12345)  # stated seed
    P = 400
    reps, types = random_profiles(model, rng, P), random_profiles(model, rng, P)
    vector = model.type_spaces[0].items is not None
    shape = (lambda c: c) if vector else (lambda c: c[:, 0])
    reports = np.stack([shape(c) for c in reps], axis=1)
    truths = np.stack([shape(c) for c in types], axis=1)
    batch = mod.evaluate(reports, truths)

    tables = [np.concatenate([r, t]) for r, t in zip(reps, types, strict=True)]
    idx = [np.arange(P) for _ in tables]
    ev = Evaluation(model, tables, idx)
    mismatches = 0
    for dname, d in model.defs.items():
        if d.reads_types or dname == "utility" or len(d.index_sets) > 1:
            continue
        got = getattr(batch, dname)
        codes = d.index_sets[0].codes if d.index_sets else [None]
        for col, code in enumerate(codes):
            want = np.broadcast_to(ev.ref(dname, () if code is None else (code,)), (P,))
            have = got[:, col] if code is not None else got
            mismatches += int((~((have == want) | (np.isnan(np.asarray(have, float)) & np.isnan(np.asarray(want, float))))).sum())
    for k, code in enumerate(model.agents.codes):
        ev_u = Evaluation(model, tables, idx, true_types={k: np.arange(P, 2 * P)})
        want = np.broadcast_to(ev_u.eval(model.utility, {model.utility_var: code}), (P,))
        mismatches += int((batch.utility[:, k] != want).sum())
    assert mismatches == 0
    # the scalar entry point agrees with the batch path row by row (decoded fields aside)
    for row in range(0, P, 20):
        one = mod.run(reports[row].tolist(), truths[row].tolist())
        assert one.utility == tuple(float(u) for u in batch.utility[row])
        for field in mod.Batch.__dataclass_fields__:
            if field == "utility" or field in mod.FIELD_KINDS:
                continue
            want = np.asarray(getattr(batch, field)[row]).tolist()
            have = getattr(one, field)
            assert (tuple(want) if isinstance(want, list) else want) == have, (field, row)


def collect_outcomes(build: Path) -> dict[str, str]:
    res = subprocess.run([sys.executable, "-m", "pytest", "-q", "-rA", "--tb=no", "-p", "no:cacheprovider", str(build)],
                         capture_output=True, text=True, cwd=build)
    out = {}
    for line in res.stdout.splitlines():
        for status in ("PASSED", "FAILED", "SKIPPED"):
            if line.startswith(status + " "):
                out[line.split()[1].split("/")[-1]] = status
    return out


def test_generated_tests_pass_exactly_where_the_checker_says_the_property_holds(built):
    outcomes = collect_outcomes(built)
    assert outcomes, "no generated test ran"
    for name in SPECS:
        report = mechc.check(mechc.load(ROOT / "specs" / f"{name}.mech"))
        for p in report.properties:
            test = f"test_{name}.py::test_" + re.sub(r"\W", "_", p.name).strip("_")
            expected = "FAILED" if p.verdict == "violated" else "PASSED"
            assert outcomes.get(test) == expected, (test, outcomes.get(test), p.verdict)


def test_generated_code_is_ruff_clean(built):
    res = subprocess.run([sys.executable, "-m", "ruff", "check", "--no-cache", "--select", "E,F,W,I,B,UP",
                          "--ignore", "E501", "--target-version", "py311", str(built)], capture_output=True, text=True)
    assert res.returncode == 0, res.stdout + res.stderr


@pytest.mark.parametrize("name", SPECS)
def test_golden_generated_code(name, built):
    """Regenerate with MECHC_UPDATE_GOLDEN=1 after an intended change."""
    GOLDEN.mkdir(parents=True, exist_ok=True)
    for fname in (f"{name}.py", f"test_{name}.py"):
        text = (built / fname).read_text(encoding="utf-8")
        golden = GOLDEN / (fname + ".golden")
        if os.environ.get("MECHC_UPDATE_GOLDEN"):
            golden.write_text(text, encoding="utf-8")
        assert golden.exists(), f"missing {golden}; run with MECHC_UPDATE_GOLDEN=1"
        assert text == golden.read_text(encoding="utf-8")


def test_output_is_deterministic():
    model = mechc.load(ROOT / "specs" / "vcg_combinatorial.mech")
    report = mechc.check(model)
    src = (ROOT / "specs" / "vcg_combinatorial.mech").read_text()
    a = generate(model, report, src, "specs/vcg_combinatorial.mech")
    b = generate(mechc.load(ROOT / "specs" / "vcg_combinatorial.mech"), report, src, "specs/vcg_combinatorial.mech")
    assert a == b


def test_check_mode_detects_stale_files(tmp_path, capsys):
    assert main(["compile", "specs/vickrey.mech", "-o", str(tmp_path)]) == 0
    assert main(["compile", "specs/vickrey.mech", "-o", str(tmp_path), "--check"]) == 0
    (tmp_path / "vickrey.py").write_text("# edited\n")
    assert main(["compile", "specs/vickrey.mech", "-o", str(tmp_path), "--check"]) == 1
    assert "out of date" in capsys.readouterr().err


def test_names_are_sanitised_and_params_are_keyword_arguments(tmp_path):
    spec = tmp_path / "odd.mech"
    spec.write_text('''mechanism Odd {
  "A \\"quoted\\" docstring with a backslash \\\\ and triple quotes \\"\\"\\"."
  param class: int = 2
  param print: real = 1/2
  agents lambda in 1..class
  type self[lambda] in {0, 1} ~ uniform
  report evaluate[lambda] of self[lambda]
  np = argmax(len in 1..class, evaluate[len])
  x[lambda] = if lambda == np and evaluate[lambda] >= print then 1 else 0
  pay[lambda] = x[lambda] * print
  utility[lambda] = self[lambda] * x[lambda] - pay[lambda]
  require dsic
}''')
    assert main(["compile", str(spec), "-o", str(tmp_path / "out")]) == 0
    mod = load_module(tmp_path / "out" / "odd.py")
    assert mod.run([1, 0]).x == (1, 0)
    assert mod.run([1, 0, 1], class_=3).x == (1, 0, 0)
    assert mod.evaluate([[1, 1]], print_=2.0).x.tolist() == [[0, 0]]
    with pytest.raises(ValueError, match="agent 2 has 0.5"):
        mod.run([1, 0.5])


def test_run_decodes_symbols_and_assignments(built):
    vcg = load_module(built / "vcg_combinatorial.py")
    # bidder 1 values A at 2, bidder 2 values B at 2: A -> 1, B -> 2; Clarke payments 1 and 0
    assert vcg.run([[2, 0], [1, 2]]) == vcg.Result(choice=(1, 2), pay=(1.0, 0.0), utility=None)
    assert vcg.run([[0, 0], [0, 0]]).choice == (None, None)  # ties: first outcome, nobody first
    posted = load_module(built / "bilateral_posted.py")
    assert posted.run([0.75, 0.25]).choice == "Trade"
    assert posted.run([0.25, 0.5], p=0.4).choice == "NoTrade"
