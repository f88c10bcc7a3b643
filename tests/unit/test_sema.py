import pytest

import mechc
from mechc.errors import SpecErrors

BASE = """mechanism M {
  param n: int = 2
  agents i in 1..n
  type v[i] in {0, 1, 2} ~ uniform
  report b[i] of v[i]
%s
}
"""


def errors(body: str, **params):
    with pytest.raises(SpecErrors) as e:
        mechc.load_text(BASE % body, "t.mech", {k: str(v) for k, v in params.items()})
    return e.value.errors


def test_all_errors_are_collected_and_sorted():
    errs = errors("  x[i] = bid[i]\n  pay[i] = y\n")
    assert [e.span.line for e in errs] == [6, 7]
    assert "unknown name 'bid'" in errs[0].message
    assert "did you mean 'b'" in errs[0].hint


def test_cycle_is_reported():
    errs = errors("  a = c + 1\n  c = a\n")
    assert any("cyclic definition" in e.message for e in errs)


def test_rules_cannot_read_true_types():
    errs = errors("  x[i] = 1\n  pay[i] = v[i]\n  utility[i] = v[i] - pay[i]\n  require dsic\n")
    assert any("depends on the true type" in e.message for e in errs)


def test_bool_number_confusion():
    errs = errors("  x[i] = (b[i] > 1) * 2\n")
    assert "must be a number, got bool" in errs[0].message
    assert "if" in errs[0].hint


def test_param_override_is_validated():
    errs = errors("", n="abc")
    assert "expected an int" in errs[0].message
    errs = errors("", m="3")
    assert "unknown parameter 'm'" in errs[0].message


def test_param_override_changes_the_model():
    model = mechc.load_text(BASE % "", "t.mech", {"n": "4"})
    assert model.n_agents == 4


def test_prior_must_sum_to_one():
    with pytest.raises(SpecErrors) as e:
        mechc.load_text(BASE.replace("~ uniform", "~ [1/2, 1/4, 1/8]") % "", "t.mech")
    assert "sum to 7/8" in e.value.errors[0].message
