"""Expectations of measures under continuous priors (analysis/expectation.py): exact by order cells
where the rules and priors allow it, randomised quasi-Monte Carlo with a stated standard error
otherwise. Known answers come from the literature or from independent integration (scipy.quad,
hand calculus); none is computed by the code under test."""

import json
import math
from fractions import Fraction
from pathlib import Path

import pytest

import mechc
from mechc.analysis import expectation
from mechc.cli import main

MYERSON = Path("specs/myerson_optimal.mech").read_text(encoding="utf-8")


def _myerson_revenue(n: int) -> Fraction:
    # Myerson (1981): revenue = E[max(phi(v_max), 0)] = n * int_{1/2}^1 (2v - 1) v^(n-1) dv for
    # iid U[0, 1] values, phi(v) = 2v - 1: 1/4, 5/12, 17/32, 49/80, 43/64 for n = 1..5 (issue 14).
    r = Fraction(1, 2)
    return 2 * n * (1 - r ** (n + 1)) / (n + 1) - (1 - r ** n)


@pytest.mark.parametrize("n, expected", [(1, "1/4"), (2, "5/12"), (3, "17/32"), (4, "49/80"), (5, "43/64")])
def test_myerson_optimal_revenue_is_exact_for_one_to_five_bidders(n, expected):
    assert str(_myerson_revenue(n)) == expected
    model = mechc.load_text(MYERSON, "m.mech", params={"n": str(n)})
    m = expectation.measure_expectations(model)["revenue"]
    assert m.exact == expected and m.stderr is None
    assert m.method.startswith("exact")


@pytest.mark.parametrize("n", [2, 3, 4, 5])
def test_second_price_revenue_is_n_minus_one_over_n_plus_one(n):
    # E[second highest of n iid U[0, 1]] = (n - 1) / (n + 1) (order statistics)
    model = mechc.load("specs/second_price_interval.mech", params={"n": str(n), "reserve": "0"})
    m = expectation.measure_expectations(model)["revenue"]
    assert Fraction(m.exact) == Fraction(n - 1, n + 1)


def test_check_reports_the_exact_value_whatever_the_method():
    model = mechc.load_text(MYERSON, "m.mech", params={"n": "3"})
    for method in ("auto", "exhaustive", "smt"):
        assert mechc.check(model, method=method).metrics["revenue"].exact == "17/32"


SECOND_PRICE_EXP = """
mechanism SecondPriceExp {
  param n: int = 3
  agents i in 1..n
  type v[i]: real in [0, 10] ~ exponential(1/3)
  report b[i] of v[i]
  winner = argmax(j in 1..n, b[j])
  x[i] = if i == winner then 1 else 0
  pay[i] = x[i] * max(j in 1..n where j != i, b[j])
  utility[i] = v[i] * x[i] - pay[i]
  measure revenue = expect sum(i in 1..n, pay[i])
}
"""


SECOND_PRICE_NORMAL = SECOND_PRICE_EXP.replace("real in [0, 10] ~ exponential(1/3)", "real in [0, 10] ~ normal(4, 2)")


def test_exponential_prior_on_a_bounded_interval_is_exact():
    # E[X(2:3)] for three iid exponential(rate 1/3) values truncated to [0, 10]:
    # int x * 6 F(x) (1 - F(x)) f(x) dx, integrated independently by scipy.integrate.quad.
    from scipy import integrate

    lam, z = 1 / 3, 1 - math.exp(-10 / 3)

    def f(x):
        return lam * math.exp(-lam * x) / z

    def cdf(x):
        return (1 - math.exp(-lam * x)) / z

    truth = integrate.quad(lambda x: x * 6 * cdf(x) * (1 - cdf(x)) * f(x), 0, 10, epsabs=1e-12)[0]
    m = expectation.measure_expectations(mechc.load_text(SECOND_PRICE_EXP, "e.mech"))["revenue"]
    assert m.exact is not None and m.value == pytest.approx(truth, abs=1e-9)


def test_normal_prior_revenue_is_within_tolerance_with_a_stated_error():
    # the same order statistic under normal(4, 2) truncated to [0, 10], by scipy.quad on scipy's
    # truncnorm (built here, independently of mechc's priors)
    from scipy import integrate, stats

    d = stats.truncnorm((0 - 4) / 2, (10 - 4) / 2, loc=4, scale=2)
    truth = integrate.quad(lambda x: x * 6 * d.cdf(x) * (1 - d.cdf(x)) * d.pdf(x), 0, 10, epsabs=1e-12)[0]
    model = mechc.load_text(SECOND_PRICE_NORMAL, "n.mech")
    m = expectation.measure_expectations(model, tol=1e-4, seed=0)["revenue"]
    assert m.exact is None
    assert m.stderr is not None and 0 < m.stderr <= 1e-4 / 3
    assert abs(m.value - truth) < 1e-4
    assert m.samples >= 16 * 1024 and m.seed == 0
    assert "quasi-Monte Carlo" in m.method and "normal(4, 2)" in m.method


def test_the_tolerance_drives_the_work():
    model = mechc.load_text(SECOND_PRICE_NORMAL, "n.mech")
    loose = expectation.measure_expectations(model, tol=1e-2)["revenue"]
    tight = expectation.measure_expectations(model, tol=1e-4)["revenue"]
    assert loose.samples < tight.samples
    assert loose.stderr <= 1e-2 / 3 and tight.stderr <= 1e-4 / 3


def test_sampling_results_are_reproducible_byte_for_byte():
    model = mechc.load_text(SECOND_PRICE_NORMAL, "n.mech")
    a = expectation.measure_expectations(model, seed=7)["revenue"]
    b = expectation.measure_expectations(model, seed=7)["revenue"]
    c = expectation.measure_expectations(model, seed=8)["revenue"]
    assert a == b
    assert c.value != a.value and abs(c.value - a.value) < 1e-3


NONLINEAR = """
mechanism Nonlinear {
  agents i in 1..2
  type v[i]: real in [0, 1] ~ uniform
  report b[i] of v[i]
  utility[i] = 0
  measure upper = expect (if b[1] + b[2] > 1 then b[1] else 0)
  measure logs = expect log(1 + b[1])
  measure square = expect max(b[1], b[2]) * b[2]
}
"""


def test_rules_outside_the_exact_method_fall_back_to_sampling_with_the_reason():
    model = mechc.load_text(NONLINEAR, "n.mech")
    got = expectation.measure_expectations(model)
    # int_0^1 int_{1-x}^1 x dy dx = int_0^1 x^2 dx = 1/3
    assert got["upper"].exact is None and abs(got["upper"].value - 1 / 3) < 1e-4
    assert "weighted sum of types" in got["upper"].method
    # E[log(1 + U)] = 2 log 2 - 1
    assert got["logs"].exact is None and abs(got["logs"].value - (2 * math.log(2) - 1)) < 1e-4
    # E[max(x, y) y] = int int_{y<x} x y + int int_{x<y} y^2 = 1/8 + 1/4 = 3/8, exactly
    assert got["square"].exact == "3/8"


MIXED = """
mechanism Mixed {
  agents i in 1..2
  type v[1]: real in [0, 1] ~ uniform
  type v[2]: in {1/4, 3/4} ~ [1/3, 2/3]
  report b[i] of v[i]
  utility[i] = 0
  measure top = expect max(b[1], b[2])
}
"""


def test_finite_and_continuous_types_mix_exactly():
    # E[max(U, c)] = (1 + c^2) / 2; (1/3)(1 + 1/16)/2 + (2/3)(1 + 9/16)/2 = 17/96 + 25/48 = 67/96
    model = mechc.load_text(MIXED, "x.mech")
    assert expectation.measure_expectations(model)["top"].exact == "67/96"


def test_the_exact_method_has_a_work_budget_not_a_clock(monkeypatch):
    model = mechc.load_text(MYERSON, "m.mech", params={"n": "3"})
    monkeypatch.setattr(expectation, "WORK_BUDGET", 10)
    m = expectation.measure_expectations(model)["revenue"]
    assert m.exact is None and "budget" in m.method
    assert abs(m.value - 17 / 32) < 1e-4


def test_json_reports_state_method_error_samples_and_seed(capsys):
    rc = main(["check", "specs/first_price_interval.mech", "--format", "json", "--tol", "1e-3", "--seed", "3"])
    doc = json.loads(capsys.readouterr().out)
    assert rc in (0, 1)
    for m in doc["metrics"].values():
        assert set(m) >= {"value", "stderr", "exact", "method", "samples", "seed"}
        assert (m["exact"] is None) == (m["stderr"] is not None) or m["method"].startswith(("max", "share"))


def test_undefined_measure_values_are_located_errors():
    text = MYERSON.replace(", default 0", "")
    assert text != MYERSON
    model = mechc.load_text(text, "m.mech", params={"n": "1"})
    with pytest.raises(mechc.errors.EvalError, match="empty set"):
        expectation.measure_expectations(model)


TWO_ITEMS = """
mechanism TwoItems {
  param p: real = 1/2
  param q: real = 4/5
  set Items = {A, B}
  agents i in 1..1
  type v[i, k in Items]: real in [0, 1] ~ uniform
  report b[i] of v[i]
  utility[i] = 0
  measure separate = expect sum(k in Items, if b[1, k] >= p then p else 0)
  measure bundle = expect (if b[1, A] + b[1, B] >= q then q else 0)
}
"""


def test_vector_types_are_integrated_per_item():
    # One additive buyer, two items iid U[0, 1] (Manelli and Vincent 2006): selling each at 1/2
    # earns exactly 1/2; the bundle at q <= 1 earns q (1 - q^2 / 2) = 0.544 at q = 4/5, a
    # comparison of a sum of types, so it is sampled.
    got = expectation.measure_expectations(mechc.load_text(TWO_ITEMS, "t.mech"))
    assert got["separate"].exact == "1/2"
    assert got["bundle"].exact is None and abs(got["bundle"].value - 0.544) < 1e-4


def test_bundle_price_near_the_optimum_earns_the_textbook_revenue():
    # One additive buyer, two items iid U[0, 1]: a bundle at price q <= 1 earns q (1 - q^2 / 2),
    # maximised at q = sqrt(2/3) with revenue 0.544331 (Manelli and Vincent 2006 compare it with
    # the optimal menu's (12 + 2 sqrt 2) / 27 = 0.549201).
    model = mechc.load_text(TWO_ITEMS, "t.mech", params={"q": "8165/10000"})
    got = expectation.measure_expectations(model)["bundle"]
    assert abs(got.value - 0.544331) < 1e-4


EXP_UNBOUNDED = SECOND_PRICE_EXP.replace("real in [0, 10] ~ exponential(1/3)", "real in [0, inf) ~ exponential(1/3)")


@pytest.mark.parametrize("n, expected", [(2, "3/2"), (3, "5/2")])
def test_exponential_order_statistics_are_exact(n, expected):
    # E[X(2:n)] of n iid exponential(rate 1/3) values = 3 * sum_{j=2..n} 1/j (Renyi's representation)
    model = mechc.load_text(EXP_UNBOUNDED, "e.mech", params={"n": str(n)})
    m = expectation.measure_expectations(model)["revenue"]
    assert m.exact == expected and "exponential densities" in m.method


def test_exponential_prior_with_a_reserve_is_an_exact_closed_form():
    # Second price with reserve r = 1/4, three iid exponential(1/3) bidders on [0, inf):
    # E[Y 1{Y >= r}] + r P(exactly one value >= r), Y the second highest; scipy.quad independently.
    from scipy import integrate

    lam, r = 1 / 3, 0.25

    def cdf(x):
        return 1 - math.exp(-lam * x)

    tail = integrate.quad(lambda y: y * 6 * cdf(y) * (1 - cdf(y)) * lam * math.exp(-lam * y), r, math.inf)[0]
    want = tail + r * 3 * (1 - cdf(r)) * cdf(r) ** 2
    text = EXP_UNBOUNDED.replace("pay[i] = x[i] * max(j in 1..n where j != i, b[j])",
                                 "pay[i] = if b[i] >= 1/4 then x[i] * max(1/4, max(j in 1..n where j != i, b[j])) else 0")
    m = expectation.measure_expectations(mechc.load_text(text, "e.mech"))["revenue"]
    assert m.exact is not None and "exp(" in m.exact and m.stderr is None
    assert m.value == pytest.approx(want, abs=1e-9)


def test_regret_metrics_on_intervals_say_they_are_grid_values():
    report = mechc.check(mechc.load("specs/first_price_interval.mech"), grid=5, method="exhaustive")
    assert "5-point grid's discrete prior" in report.metrics["expected_regret"].method
    assert "on the 5-point grid" in report.metrics["max_regret"].method
    assert report.metrics["revenue"].exact == "2/3"  # while the measure is the continuum's


MIXTURE = """
mechanism PostedMix {
  param price: real = 5/2
  agents i in 1..1
  type v[i]: real in [0, 8] ~ 0.75 uniform(0, 3) + 0.25 uniform(3, 8)
  report b[i] of v[i]
  x[i] = if b[i] >= price then 1 else 0
  pay[i] = x[i] * price
  utility[i] = v[i] * x[i] - pay[i]
  measure revenue = expect pay[1]
  measure mean_value = expect v[1]
}
"""


def test_mixture_priors_integrate_exactly():
    # P(v >= 5/2) = 3/4 * (1/2) / 3 + 1/4 = 3/8, so revenue 15/16; E[v] = 3/4 * 3/2 + 1/4 * 11/2 = 5/2
    got = expectation.measure_expectations(mechc.load_text(MIXTURE, "m.mech"))
    assert got["revenue"].exact == "15/16" and got["mean_value"].exact == "5/2"
