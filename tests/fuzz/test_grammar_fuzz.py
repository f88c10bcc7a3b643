"""Grammar-generated inputs either load or give a SpecError: nothing else escapes the front end."""

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra.lark import from_lark
from lark import Lark

import mechc
from mechc.errors import MechError
from mechc.parse import grammar_text

GRAMMAR = Lark(grammar_text(), parser="lalr", start="start")
EXPLICIT = {
    # padded with spaces: from_lark joins tokens without separators, and keywords must not glue to names
    "NAME": st.sampled_from([" i ", " j ", " n ", " b ", " v ", " x ", " pay ", " utility ", " O ", " A ", " k "]),
    "NUMBER": st.sampled_from([" 0 ", " 1 ", " 2 ", " 0.5 ", " 10 "]),
    "STRING": st.just('"doc"'),
    "WS": st.just(" "),
    "COMMENT": st.just("# c\n"),
}


@settings(max_examples=150, deadline=None, suppress_health_check=list(HealthCheck))
@given(from_lark(GRAMMAR, explicit=EXPLICIT))
def test_generated_text_loads_or_gives_spec_error(text):
    try:
        mechc.load_text(text, "fuzz.mech")
    except MechError:
        pass


@settings(max_examples=200, deadline=None)
@given(st.text(alphabet="mechanism {}[]()=<>+-*/.,:~#\"ifthenlsaxbvpur0123456789 \n", max_size=120))
def test_arbitrary_text_never_crashes(text):
    try:
        mechc.load_text(text, "fuzz.mech")
    except MechError:
        pass
