"""mechc fmt: same AST after formatting, idempotent, comments kept, --check for pre-commit."""

from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra.lark import from_lark
from lark import Lark

from mechc.cli import main
from mechc.errors import MechError
from mechc.fmt import format_text
from mechc.parse import grammar_text, parse

ROOT = Path(__file__).resolve().parents[2]
SPECS = sorted((ROOT / "specs").glob("*.mech"))


@pytest.mark.parametrize("path", SPECS, ids=lambda p: p.stem)
def test_format_keeps_the_ast_and_is_idempotent(path):
    text = path.read_text()
    once = format_text(text)
    assert parse(once).mechanisms == parse(text).mechanisms
    assert format_text(once) == once


@pytest.mark.parametrize("path", SPECS, ids=lambda p: p.stem)
def test_format_keeps_every_comment(path):
    text = path.read_text()
    comments = [ln[ln.index("#"):].rstrip() for ln in text.splitlines() if "#" in ln]
    out = format_text(text)
    for c in comments:
        assert c in out


def test_the_checked_in_specs_are_formatted():
    unformatted = [p.name for p in SPECS if format_text(p.read_text()) != p.read_text()]
    assert unformatted == [], "run: mechc fmt specs/*.mech"


GRAMMAR = Lark(grammar_text(), parser="lalr", start="start")
PAD = {"NAME": st.sampled_from([" i ", " n ", " b ", " x ", " O ", " k "]),
       "NUMBER": st.sampled_from([" 0 ", " 1 ", " 0.5 ", " 10 "]),
       "STRING": st.just(' "d" '),
       "WS": st.just(" "),
       "COMMENT": st.just(" # c\n")}


@settings(max_examples=200, deadline=None, suppress_health_check=list(HealthCheck))
@given(from_lark(GRAMMAR, explicit=PAD))
def test_format_round_trips_grammar_generated_specs(text):
    try:
        ast0 = parse(text)
    except MechError:
        return
    once = format_text(text)
    assert parse(once).mechanisms == ast0.mechanisms
    assert format_text(once) == once


def test_fmt_check_exit_codes(tmp_path, capsys):
    messy = tmp_path / "m.mech"
    messy.write_text((ROOT / "specs" / "vickrey.mech").read_text().replace("pay[i] = ", "pay[i]   =   "))
    assert main(["fmt", "--check", str(messy)]) == 1
    assert "+++" in capsys.readouterr().out
    assert main(["fmt", str(messy)]) == 0
    assert main(["fmt", "--check", str(messy)]) == 0
    bad = tmp_path / "bad.mech"
    bad.write_text("mechanism M {\n  x = 1 +\n}\n")
    assert main(["fmt", str(bad)]) == 2
