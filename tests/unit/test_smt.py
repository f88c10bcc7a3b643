"""The SMT back end: proofs over real intervals, exact counterexamples, located 'unknown'."""

from fractions import Fraction

import pytest

import mechc
from mechc.analysis.smt import check_smt

INTERVAL = {
    "second_price_interval": {"dsic": "proved", "ex_post_ir": "proved", "no_positive_transfers": "proved",
                              "monotone": "proved"},
    "first_price_interval": {"dsic": "violated", "ex_post_ir": "proved"},
    "gsp_interval": {"dsic": "violated", "ex_post_ir": "proved"},
    "vcg_interval": {"dsic": "proved", "efficient": "proved", "ex_post_ir": "proved",
                     "no_positive_transfers": "proved"},
    "posted_price": {"dsic": "proved", "ex_post_ir": "proved", "no_positive_transfers": "proved",
                     "monotone": "proved"},
    "myerson_optimal": {"dsic": "proved", "ex_post_ir": "proved", "monotone": "proved"},
}


@pytest.mark.parametrize("name", sorted(INTERVAL))
def test_interval_specs_are_decided_by_z3_with_no_flags(name):
    report = mechc.check(mechc.load(f"specs/{name}.mech"), grid=5)
    assert {p.name: p.verdict for p in report.properties} == INTERVAL[name]
    for p in report.properties:
        assert p.method == "smt"
        if p.verdict == "violated":
            cx = p.counterexample
            assert cx.exact and Fraction(cx.fields["exact_values"]["gain"]) > 0


@pytest.mark.parametrize("n", [2, 3, 4, 5, 6])
def test_second_price_with_reserve_is_proved_for_n_up_to_6(n):
    model = mechc.load("specs/second_price_interval.mech", params={"n": str(n)})
    assert check_smt(model, model.requirements[0]).verdict == "proved"


FINITE = ["vickrey", "first_price", "gsp", "vcg_combinatorial", "bilateral_vcg", "bilateral_posted",
          "median_voter", "all_pay"]


@pytest.mark.parametrize("name", FINITE)
def test_smt_agrees_with_exhaustive_enumeration_on_finite_specs(name):
    model = mechc.load(f"specs/{name}.mech")
    exhaustive = {p.name: p.verdict for p in mechc.check(model, method="exhaustive").properties}
    for req in model.requirements:
        r = check_smt(model, req)
        if r is None:
            continue
        assert r.verdict == {"verified": "proved", "violated": "violated"}[exhaustive[req.label]], req.label


def test_unknown_is_specific_and_located():
    text = open("specs/first_price_interval.mech").read().replace(
        "utility[i] = v[i] * x[i] - pay[i]", "utility[i] = exp(v[i]) * x[i] - pay[i]")
    r = mechc.check(mechc.load_text(text, "t.mech"), grid=5, method="smt").properties[0]
    assert r.verdict == "unknown" and "exp/log/sqrt" in r.detail
    text = open("specs/first_price_interval.mech").read().replace(
        "pay[i] = x[i] * b[i]", "pay[i] = x[i] * b[i] * b[i] / (1 + b[i])")
    r = mechc.check(mechc.load_text(text, "t.mech"), grid=5, method="smt", smt_budget=1000).properties[0]
    assert r.verdict == "unknown" and "work budget of 1,000 rlimit units" in r.detail and "line" in r.detail


def test_smt_budget_is_deterministic_and_the_wall_clock_is_only_a_safety_net():
    # the same budget gives the same verdict and the same reason on every run (counted work, not seconds)
    text = open("specs/first_price_interval.mech").read().replace(
        "pay[i] = x[i] * b[i]", "pay[i] = x[i] * b[i] * b[i] / (1 + b[i])")
    model = mechc.load_text(text, "t.mech")
    runs = {mechc.check(model, grid=5, method="smt", smt_budget=2_000).properties[0].detail for _ in range(3)}
    assert len(runs) == 1 and "--smt-budget" in runs.pop()
    # the safety net firing is reported apart from the budget, with the warning that it depends on load
    r = mechc.check(model, grid=5, method="smt", timeout=0.001, smt_budget=4 * 10**9).properties[0]
    assert r.verdict == "unknown" and "wall-clock safety net after 0.001 s" in r.detail and "load" in r.detail


def test_auto_falls_back_to_the_grid_and_says_why():
    text = open("specs/posted_price.mech").read().replace("require dsic,", "require bic, dsic,")
    report = mechc.check(mechc.load_text(text, "t.mech"), grid=5)
    bic = report.properties[0]
    assert bic.method.startswith("grid") and bic.verdict == "passed-search"
    smt_only = mechc.check(mechc.load_text(text, "t.mech"), grid=5, method="smt").properties[0]
    assert smt_only.verdict == "unknown" and "does not decide bic" in smt_only.detail
