"""The regret search: finds what grids and gradients miss, measures regret, never proves."""

import numpy as np
from scipy import optimize

import mechc
from mechc.analysis.search import RegretSearch, SearchOptions, check_search

# A 1/10000-wide payment holiday at a constant of the spec: off every default grid, and invisible to
# gradients (utility is flat in the report almost everywhere).
WINDOW = """mechanism Window {
  agents i in 1..2
  type v[i]: real in [0, 1] ~ uniform
  report b[i] of v[i]
  winner = argmax(j in 1..2, b[j])
  x[i] = if i == winner then 1 else 0
  pay[i] = if b[i] >= 0.71 and b[i] <= 0.7101 then 0 else x[i] * max(j in 1..2 where j != i, b[j])
  utility[i] = v[i] * x[i] - pay[i]
  require dsic
}"""


def test_search_finds_a_violation_the_default_grid_misses():
    model = mechc.load_text(WINDOW, "window.mech")
    grid = mechc.check(model, method="exhaustive").properties[0]
    assert grid.verdict == "passed-search"
    found = mechc.check(model, method="search").properties[0]
    assert found.verdict == "violated" and found.counterexample.exact
    assert found.counterexample.fields["misreport"] == "71/100"


def test_gradient_only_misreport_search_underestimates_regret():
    # the RegretNet-style baseline: L-BFGS-B on the misreport from random starts
    model = mechc.load_text(WINDOW, "window.mech")
    rs = RegretSearch(model)
    rng = np.random.default_rng(0)
    best = 0.0
    for _ in range(40):
        v, other = rng.random(2)

        def neg(m, v=v, other=other):
            return -float(rs.gains(0, np.array([[v]]), [None, np.array([[other]])], np.array([[m[0]]]))[0])

        res = optimize.minimize(neg, [rng.random()], method="L-BFGS-B", bounds=[(0, 1)])
        best = max(best, -res.fun)
    ours = check_search(model, model.requirements[0])[0].stats["max_regret"]
    assert ours > 0.5 and best < 0.5 * ours


def test_capped_second_price_regret_is_measured():
    model = mechc.load("specs/capped_second_price.mech")
    res, metrics = check_search(model, model.requirements[0])
    assert res.verdict == "violated"
    # sup regret = 1 - cap = 1/10, approached as v -> the other's bid -> 1
    assert 0.095 <= res.stats["max_regret"] <= 0.1 + 1e-12
    # E[regret] = integral over cap < v < s of (v - cap) = 1/6000 per agent (uniform, n = 2)
    mc = metrics["expected_regret_mc"]
    assert abs(mc.value - 1 / 6000) < 4 * mc.stderr
    eps = check_search(model, model.requirements[1])[0]
    assert eps.verdict == "passed-search"


def test_search_never_proves_and_is_reproducible():
    model = mechc.load("specs/second_price_interval.mech", params={"n": "2"})
    a = check_search(model, model.requirements[0], SearchOptions(seed=3, samples=300, de_maxiter=10))
    b = check_search(model, model.requirements[0], SearchOptions(seed=3, samples=300, de_maxiter=10))
    assert a[0].verdict == "passed-search" and a[0].stats == b[0].stats and a[0].detail == b[0].detail


def test_auto_uses_search_when_z3_cannot_encode_the_rule():
    text = WINDOW.replace("utility[i] = v[i] * x[i] - pay[i]", "utility[i] = v[i] * x[i] - pay[i] + 0 * exp(b[i])")
    report = mechc.check(mechc.load_text(text, "w.mech"))
    p = report.properties[0]
    assert p.verdict == "violated" and p.method == "search" and "smt:" in p.detail
