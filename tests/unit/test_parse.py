from fractions import Fraction

import pytest

from mechc import ast
from mechc.errors import SpecErrors
from mechc.parse import parse


def test_positions_on_every_node():
    spec = parse("mechanism M {\n  param n: int = 3\n  agents i in 1..n\n}\n", "m.mech")
    mech = spec.mechanisms[0]
    param, agents = mech.items
    assert (param.span.line, param.span.col) == (2, 3)
    assert (agents.set.span.line, agents.set.span.col) == (3, 15)
    assert isinstance(agents.set, ast.RangeSet)


def test_numbers_are_exact_rationals():
    spec = parse("mechanism M { x = 0.1 + 1/3 }", "m.mech")
    body = spec.mechanisms[0].items[0].body
    assert body.left.value == Fraction(1, 10)


def test_aggregate_with_where_and_default():
    spec = parse("mechanism M { y = max(j in 1..3 where j != 2, j * 2, default 0) }", "m.mech")
    agg = spec.mechanisms[0].items[0].body
    assert isinstance(agg, ast.Aggregate)
    assert agg.op == "max" and agg.where is not None and agg.default is not None


def test_syntax_error_is_located():
    with pytest.raises(SpecErrors) as e:
        parse("mechanism M {\n  x = 1 +\n}\n", "bad.mech")
    err = e.value.errors[0]
    assert err.span.file == "bad.mech" and err.span.line == 3
    assert "syntax error" in err.message


def test_equals_instead_of_comparison_gets_hint():
    with pytest.raises(SpecErrors) as e:
        parse("mechanism M { x = if 1 = 2 then 1 else 0 }", "bad.mech")
    assert "==" in (e.value.errors[0].hint or "")
