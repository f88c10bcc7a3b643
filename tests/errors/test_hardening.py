"""Issue 21: every input gets exit 0/1/2/3 with a located message, never an internal error.

Each test feeds one category the outside fuzz campaign found (deep nesting, odd line breaks near a
syntax error, huge or tiny literals, NaN-like flags, non-UTF-8 bytes, a solver given hopeless
numbers) through the real command line and pins the exit code and the located message.
"""

from pathlib import Path

import pytest

from mechc.cli import main
from mechc.errors import SpecError, render, source_lines

ROOT = Path(__file__).resolve().parents[2]
VICKREY = (ROOT / "specs" / "vickrey.mech").read_text(encoding="utf-8")
UTILITY = "utility[i] = v[i] * x[i] - pay[i]"


def run(tmp_path, capsys, text: str | bytes, *args: str, command: str = "check") -> tuple[int, str]:
    spec = tmp_path / "s.mech"
    (spec.write_bytes if isinstance(text, bytes) else spec.write_text)(text)
    code = main([command, str(spec), *args])
    out = capsys.readouterr()
    assert "internal error" not in out.err and "Traceback" not in out.err, out.err
    return code, out.err


@pytest.mark.parametrize("body", [
    "if v[i] > 0 then " * 500 + "v[i]" + " else 0" * 500,
    "max(0, " * 300 + "v[i]" + ")" * 300,
    "v[i]" + " + 0" * 500,
    "-" * 500 + "v[i]",
], ids=["500 ifs", "300 maxes", "500-term sum", "500 minuses"])
def test_deep_nesting_is_a_located_error(tmp_path, capsys, body):
    code, err = run(tmp_path, capsys, VICKREY.replace(UTILITY, f"utility[i] = ({body}) * x[i] - pay[i]"))
    assert code == 2
    assert "s.mech:14:" in err and "nested more than 200 levels deep" in err


def test_500_nested_parentheses_still_check(tmp_path, capsys):
    code, _ = run(tmp_path, capsys, VICKREY.replace(UTILITY, "utility[i] = " + "(" * 500 + "v[i]" + ")" * 500
                                                    + " * x[i] - pay[i]"))
    assert code == 0


@pytest.mark.parametrize("brk", ["\x0c", "\x0b", "\u2028", "\u2029", "\x85", "\x1c", "\r"])
def test_caret_survives_every_unicode_line_break(tmp_path, capsys, brk):
    text = VICKREY.replace("winner = argmax", f"winner{brk} == argmax")
    code, err = run(tmp_path, capsys, text)
    assert code == 2
    assert "s.mech:11:" in err  # the parser's line numbers: only \n ends a line
    lines = err.splitlines()
    caret = next(k for k, ln in enumerate(lines) if ln.strip() and set(ln.strip()) == {"^"})
    assert lines[caret - 1].startswith("    ") and len(lines[caret]) <= len(lines[caret - 1]) + 1


def test_render_shows_odd_whitespace_as_one_column_each():
    from mechc.errors import Span
    out = render(SpecError(Span("f", 2, 5, 2, 6), "msg"), {"f": "a\nb\x0cc\u2028d\x00e\n"})
    assert out.splitlines()[1:] == ["    b c d?e", "        ^"]
    assert source_lines("a\r\nb\u2028c\x0bd") == ["a", "b\u2028c\x0bd"]


@pytest.mark.parametrize("literal, message", [
    ("1e999", "too large"), ("1e-400", "too small"), ("1" * 4400, "4400 digits"), ("1e999999999", "too large"),
])
def test_literals_no_double_can_hold_are_located_errors(tmp_path, capsys, literal, message):
    code, err = run(tmp_path, capsys, VICKREY.replace(UTILITY, f"utility[i] = v[i] * x[i] - pay[i] * {literal}"))
    assert code == 2 and "s.mech:14:" in err and message in err


@pytest.mark.parametrize("replacement", [
    ("param reserve: real = 0.25", "param reserve: real = 1/0.0"),
    ("param reserve: real = 0.25", "param reserve: real = 1/-0"),
    ("type v[i] in {0, 1/4, 1/2, 3/4, 1} ~ uniform", "type v[i] in [0, 0/0] ~ uniform"),
    (UTILITY, "utility[i] = v[i] * x[0] - pay[i]"),
    (UTILITY, "utility[i] = v[i] * x[-64] - pay[i]"),
])
def test_constant_division_by_zero_and_bad_indices_are_located(tmp_path, capsys, replacement):
    code, err = run(tmp_path, capsys, VICKREY.replace(*replacement))
    assert code == 2 and err.startswith(str(tmp_path / "s.mech") + ":")


@pytest.mark.parametrize("flag", [["--max-cells", "nan"], ["--max-cells", "inf"], ["--timeout", "nan"],
                                  ["--max-memory", "-1"]])
def test_nan_and_inf_limits_are_usage_errors(tmp_path, capsys, flag):
    with pytest.raises(SystemExit) as e:
        run(tmp_path, capsys, VICKREY, *flag)
    assert e.value.code == 2
    assert "finite positive number" in capsys.readouterr().err


def test_non_utf8_bytes_are_located(tmp_path, capsys):
    data = VICKREY.encode().replace(b"winner = argmax", b"win\xffner = argmax")
    code, err = run(tmp_path, capsys, data)
    assert code == 2
    assert "s.mech:11:6: error: byte 0xff is not UTF-8" in err


def test_a_solver_given_hopeless_numbers_is_exit_3_with_a_hint(tmp_path, capsys):
    text = (ROOT / "specs" / "design" / "moral_hazard.mech").read_text(encoding="utf-8")
    code, err = run(tmp_path, capsys, text.replace("then 0.8 else 0.4", "then 1e76 else 0.4"), command="design")
    assert code == 3
    assert "solver failure: solver" in err and "hint: floating-point solvers" in err
