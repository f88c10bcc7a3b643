"""Never a verdict over an undefined value (issue 22): log(0), exp overflow, +-inf and NaN in
utilities, payments, measures and payoffs are located errors (exit 2) in every back end, and
compiled modules raise instead of returning inf or nan (language reference 4.5)."""

import importlib.util
import re
import sys
import warnings

import numpy as np
import pytest

import mechc
from mechc.cli import main
from mechc.errors import EvalError
from mechc.runtime import UndefinedValue

# The four specs of the issue: each was "verified" (or exit 0) before.
SPECS = {
    "log_utility": ("""mechanism LogUtility {
  agents i in 1..2
  type v[i] in {0, 1, 2}
  report b[i] of v[i]
  utility[i] = log(b[i]) + v[i]
  require dsic
}
""", 5, 16, "log of a number <= 0", "reports (0, 0)"),
    "exp_overflow": ("""mechanism ExpOverflow {
  agents i in 1..2
  type v[i] in {0, 1}
  report b[i] of v[i]
  utility[i] = v[i] + exp(1000 * b[i])
  require dsic, ex_post_ir
}
""", 5, 23, "exp overflow", "reports (1, 0)"),
    "log_payment": ("""mechanism LogPayment {
  agents i in 1..2
  type v[i] in {0, 1, 2}
  report b[i] of v[i]
  pay[i] = -log(b[i])
  utility[i] = v[i] - pay[i]
  require ex_post_ir
}
""", 5, 13, "log of a number <= 0", "reports (0, 0)"),
    "log_measure": ("""mechanism LogMeasure {
  agents i in 1..2
  type v[i] in {0, 1, 2}
  report b[i] of v[i]
  utility[i] = v[i]
  require dsic
  measure m = expect log(b[1])
}
""", 7, 22, "log of a number <= 0", "reports (0, 0)"),
}


@pytest.fixture
def spec_file(tmp_path):
    def write(name: str, text: str | None = None):
        path = tmp_path / f"{name}.mech"
        path.write_text(text if text is not None else SPECS[name][0])
        return path
    return write


@pytest.mark.parametrize("name", sorted(SPECS))
@pytest.mark.parametrize("exact", ["auto", "never"])
def test_the_api_raises_a_located_error_with_the_profile(name, exact, spec_file):
    _, line, col, why, profile = SPECS[name]
    model = mechc.load(spec_file(name))
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # numpy's RuntimeWarnings are captured, never emitted
        with pytest.raises(EvalError) as err:
            mechc.check(model, exact=exact)
    assert (err.value.span.line, err.value.span.col) == (line, col)
    assert why in str(err.value) and profile in str(err.value)
    assert err.value.hint


@pytest.mark.parametrize("name", sorted(SPECS))
def test_the_cli_exits_2_with_file_line_col_caret_and_profile(name, spec_file, capsys):
    _, line, col, why, profile = SPECS[name]
    path = spec_file(name)
    assert main(["check", str(path)]) == 2
    captured = capsys.readouterr()
    err = captured.err
    assert f"{path}:{line}:{col}: error:" in err
    assert why in err and profile in err
    assert re.search(r"\n +\^+\n", err)  # the offending line with a caret under the rule
    assert "hint:" in err
    assert "Traceback" not in err and "RuntimeWarning" not in err
    assert "verified" not in captured.out


def test_an_undefined_value_that_no_result_reads_is_harmless(spec_file, capsys):
    text = """mechanism Guarded {
  agents i in 1..2
  type v[i] in {0, 1, 2}
  report b[i] of v[i]
  g[i] = if b[i] > 0 then log(b[i]) else 0
  big[i] = if b[i] > 5 then exp(1000 * b[i]) else b[i]
  utility[i] = v[i] + 0 * g[i] + 0 * big[i]
  require dsic
}
"""
    assert main(["check", str(spec_file("guarded", text))]) == 0
    captured = capsys.readouterr()
    assert "verified" in captured.out and "Warning" not in captured.err


def test_a_condition_over_an_undefined_value_makes_the_if_undefined(spec_file):
    text = """mechanism CondLog {
  agents i in 1..2
  type v[i] in {0, 1, 2}
  report b[i] of v[i]
  bonus[i] = if log(b[i]) > 0 then 1 else 0
  utility[i] = v[i] + bonus[i]
  require dsic
}
"""
    with pytest.raises(EvalError) as err:
        mechc.check(mechc.load(spec_file("cond", text)))
    # bonus is -inf nowhere, but the condition that picks it compares log(0): undefined, not 0
    assert str(err.value).startswith("bonus[1] is undefined (") and "at reports (0, " in str(err.value)
    assert err.value.span.line == 5


def test_overflow_in_plain_arithmetic_names_the_result_rule(spec_file):
    text = """mechanism Overflow {
  agents i in 1..2
  type v[i] in {1, 10}
  report b[i] of v[i]
  utility[i] = b[i] ^ 400 - v[i] * b[i] ^ 400
  require dsic
}
"""
    with pytest.raises(EvalError) as err:
        mechc.check(mechc.load(spec_file("overflow", text)), exact="never")
    assert "float64 overflow" in str(err.value) or "inf - inf" in str(err.value)
    assert err.value.span.line == 5 and "rescale" in err.value.hint


DIV_SPEC = """mechanism DivCont {
  agents i in 1..2
  type v[i]: real in [0, 1] ~ uniform
  report b[i] of v[i]
  pay[i] = %s
  utility[i] = v[i] - pay[i]
  require dsic, ex_post_ir
}
"""


def test_smt_never_proves_over_a_division_by_zero(spec_file):
    model = mechc.load(spec_file("div", DIV_SPEC % "min(1, 1 / b[i]) - 1"))
    with pytest.raises(EvalError) as err:
        mechc.check(model, method="smt")
    assert "division by zero" in str(err.value) and "reports (0, " in str(err.value)
    assert (err.value.span.line, err.value.span.col) == (5, 19)


def test_smt_proves_a_guarded_division(spec_file):
    model = mechc.load(spec_file("divguard", DIV_SPEC % "if b[i] > 0 then min(1, 1 / b[i]) - 1 else 0"))
    report = mechc.check(model, method="smt")
    assert [p.verdict for p in report.properties] == ["proved", "proved"]


def test_smt_finds_a_violation_at_a_guarded_point(spec_file):
    # before issue 22 the definedness condition b != 0 excluded b = 0 everywhere, even where the
    # division was not selected, so the loss at report 0 was never seen
    text = DIV_SPEC % "if b[i] > 0 then min(1, 1 / b[i]) - 1 else 2"
    report = mechc.check(mechc.load(spec_file("divguard2", text)), method="smt")
    assert {p.name: p.verdict for p in report.properties}["ex_post_ir"] == "violated"


SYM_SPEC = """mechanism SymLog {
  agents i in 1..2
  type v[i]: real in [%s] ~ uniform
  report b[i] of v[i]
  x[i] = b[i]
  pay[i] = b[i]^2 / 2 + log(sum(j in 1..2 where j != i, b[j]))
  utility[i] = v[i] * x[i] - pay[i]
  require dsic
}
"""


def test_symbolic_does_not_prove_where_log_is_undefined(spec_file):
    report = mechc.check(mechc.load(spec_file("symlog", SYM_SPEC % "0, 1")), method="symbolic")
    p = report.properties[0]
    assert p.verdict == "unknown" and "log(b2) needs b2 > 0" in p.detail
    with pytest.raises(EvalError):  # auto: the grid meets b = 0 and names it
        mechc.check(mechc.load(spec_file("symlog", SYM_SPEC % "0, 1")))


def test_symbolic_still_proves_where_log_is_defined(spec_file):
    report = mechc.check(mechc.load(spec_file("symlogpos", SYM_SPEC % "1, 2")), method="symbolic")
    assert report.properties[0].verdict == "proved"


def test_search_reports_the_undefined_point(spec_file):
    with pytest.raises(EvalError) as err:
        mechc.check(mechc.load(spec_file("symlog", SYM_SPEC % "0, 1")), method="search")
    assert "log of a number <= 0" in str(err.value) and "true type" in str(err.value)


def test_a_game_with_an_infinite_payoff_is_not_solved(spec_file, capsys):
    text = """game LogGame {
  agents i in 1..2
  strategy s[i] in {0, 1}
  payoff[i] = log(s[i]) + s[i] * sum(j in 1..2 where j != i, s[j])
}
"""
    path = spec_file("game", text)
    assert main(["solve", str(path)]) == 2
    err = capsys.readouterr().err
    assert f"{path}:4:15: error: payoff[1] is infinite (-inf) (log of a number <= 0) at strategies (0, 0)" in err


def test_a_design_that_reads_an_infinite_value_is_rejected(spec_file, capsys):
    text = """design LogDesign {
  agents i in 1..2
  type v[i] in {0, 1}
  report b[i] of v[i]
  decide x[i]: real in [0, 1], pay[i]: real
  utility[i] = v[i] * x[i] - pay[i] + log(b[i])
  subject to dsic
  maximize expect sum(i in 1..2, pay[i])
}
"""
    path = spec_file("design", text)
    assert main(["design", str(path)]) == 2
    err = capsys.readouterr().err
    assert f"{path}:6:39: error:" in err and "log of a number <= 0" in err and "reports (0, " in err


# ---- the generated-code twins: a compiled module raises instead of returning inf or nan

def _compile(path, out):
    assert main(["compile", str(path), "-o", str(out), "--no-verify"]) == 0
    spec = importlib.util.spec_from_file_location(f"gen_undefined_{path.stem}", out / f"{path.stem}.py")
    mod = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = mod
    spec.loader.exec_module(mod)
    return mod


@pytest.mark.parametrize("name,reports,field,defined", [
    ("log_utility", [0, 1], "utility", [1, 1]), ("exp_overflow", [1, 0], "utility", [0, 0]),
    ("log_payment", [0, 1], "pay", [1, 1])])
def test_the_compiled_module_raises_at_the_same_profile(name, reports, field, defined, spec_file, tmp_path):
    mod = _compile(spec_file(name), tmp_path / "gen")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with pytest.raises(mod.UndefinedValue, match=rf"^{field} is (infinite|undefined) .* at reports \[{reports[0]}\.0, "):
            mod.evaluate([reports], [reports])
        ok = mod.evaluate([defined], [defined])  # a defined profile still evaluates
    assert np.all(np.isfinite(ok.utility))
    assert issubclass(mod.UndefinedValue, ValueError) and mod.UndefinedValue.__name__ == UndefinedValue.__name__


def test_compiling_an_undefined_spec_with_its_check_is_exit_2(spec_file, tmp_path, capsys):
    assert main(["compile", str(spec_file("log_payment")), "-o", str(tmp_path / "out")]) == 2
    assert "log of a number <= 0" in capsys.readouterr().err
