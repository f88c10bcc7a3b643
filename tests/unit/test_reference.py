"""The array checker against a slow plain-Python checker on small random mechanisms.

Each random mechanism is a threshold allocation with a linear payment, written once as .mech text
and once as a Python function; the plain checker loops over every (agent, type, misreport, others)
case in exact Fractions. Violation counts and the maximum regret must agree exactly.
"""

import itertools
from fractions import Fraction

from hypothesis import given, settings
from hypothesis import strategies as st

import mechc

VALUES = [Fraction(k, 2) for k in range(4)]  # {0, 1/2, 1, 3/2}


def spec_text(thr, alpha, beta, gamma):
    return f"""mechanism R {{
  agents i in 1..2
  type v[i] in {{0, 1/2, 1, 3/2}} ~ uniform
  report b[i] of v[i]
  other[i] = sum(j in 1..2 where j != i, b[j])
  x[i] = if b[i] + {alpha} * other[i] >= {thr} then 1 else 0
  pay[i] = x[i] * ({beta} * b[i] + {gamma} * other[i])
  utility[i] = v[i] * x[i] - pay[i]
  require dsic
}}"""


def plain_dsic(thr, alpha, beta, gamma):
    def u(i, true, reports):
        other = reports[1 - i]
        x = 1 if reports[i] + alpha * other >= thr else 0
        return true * x - x * (beta * reports[i] + gamma * other)

    count, max_gain = 0, Fraction(0)
    for i in range(2):
        for t, r, o in itertools.product(VALUES, VALUES, VALUES):
            truthful = [None, None]
            truthful[i], truthful[1 - i] = t, o
            lie = list(truthful)
            lie[i] = r
            gain = u(i, t, lie) - u(i, t, truthful)
            if gain > 0:
                count += 1
            max_gain = max(max_gain, gain)
    return count, max_gain


small = st.fractions(min_value=-2, max_value=2, max_denominator=4)


@settings(max_examples=30, deadline=None)
@given(thr=small, alpha=small, beta=small, gamma=small)
def test_array_checker_matches_plain_loop(thr, alpha, beta, gamma):
    def lit(q):
        return f"({q.numerator}/{q.denominator})"

    model = mechc.load_text(spec_text(lit(thr), lit(alpha), lit(beta), lit(gamma)), "random.mech")
    for exact in ("always", "never"):
        report = mechc.check(model, exact=exact)
        p = report.properties[0]
        count, max_gain = plain_dsic(thr, alpha, beta, gamma)
        assert p.stats["violations"] == count
        assert abs(p.stats["max_regret"] - float(max_gain)) < 1e-9
        assert (p.verdict == "violated") == (count > 0)
