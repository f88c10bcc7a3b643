"""Verdicts of the reference specs, and known answers from the literature."""

from fractions import Fraction

import numpy as np
import pytest

import mechc
from mechc.analysis.exhaustive import ExhaustiveChecker, Options
from mechc.cli import main

EXPECTED = {
    "vickrey": {"dsic": "verified", "ex_post_ir": "verified", "weak_budget_balance": "verified",
                "no_positive_transfers": "verified", "monotone": "verified"},
    "first_price": {"dsic": "violated", "ex_post_ir": "verified", "monotone": "verified"},
    "gsp": {"dsic": "violated", "ex_post_ir": "verified"},
    "vcg_combinatorial": {"dsic": "verified", "efficient": "verified", "ex_post_ir": "verified",
                          "no_positive_transfers": "verified", "weak_budget_balance": "verified"},
    "posted_price": {"dsic": "proved", "ex_post_ir": "proved", "no_positive_transfers": "proved",
                     "monotone": "proved"},
    "bilateral_vcg": {"dsic": "verified", "efficient": "verified", "ex_post_ir": "verified",
                      "weak_budget_balance": "violated"},
    "bilateral_posted": {"dsic": "verified", "ex_post_ir": "verified", "strong_budget_balance": "verified",
                         "efficient": "violated"},
    "median_voter": {"dsic": "verified"},
    "all_pay": {"dsic": "violated", "ex_post_ir": "violated"},
    "myerson_optimal": {"dsic": "proved", "ex_post_ir": "proved", "monotone": "proved"},
    "second_price_interval": {"dsic": "proved", "ex_post_ir": "proved", "no_positive_transfers": "proved",
                              "monotone": "proved"},
    "first_price_interval": {"dsic": "violated", "ex_post_ir": "proved"},
    "gsp_interval": {"dsic": "violated", "ex_post_ir": "proved"},
    "proportional_lottery": {"dsic": "proved", "monotone": "proved", "ex_post_ir": "passed-search"},
    "capped_second_price": {"dsic": "violated", "eps_dsic(1/10)": "proved", "ex_post_ir": "proved"},
    "vcg_interval": {"dsic": "proved", "efficient": "proved", "ex_post_ir": "proved", "no_positive_transfers": "proved"},
}


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_reference_spec_verdicts(name):
    report = mechc.check(mechc.load(f"specs/{name}.mech"))
    assert {p.name: p.verdict for p in report.properties} == EXPECTED[name]
    for p in report.properties:
        if p.verdict == "violated":
            assert p.counterexample is not None and p.counterexample.exact


@pytest.mark.parametrize("name,code", [("vickrey", 0), ("first_price", 1), ("myerson_optimal", 0)])
def test_cli_exit_codes(name, code, capsys):
    assert main(["check", f"specs/{name}.mech"]) == code


def test_gsp_example_from_edelman_ostrovsky_schwarz():
    # Edelman, Ostrovsky, Schwarz (2007), Sect. 3: values 10, 4, 2, click rates 200 and 199.
    # Truthful: slot 1 at price 4 -> 200*(10-4) = 1200; bidding 3: slot 2 at price 2 -> 199*(10-2) = 1592.
    model = mechc.load("specs/gsp.mech")
    chk = ExhaustiveChecker(model, Options())
    labels = chk.grids[0].labels
    idx = {int(v): labels.index(v) for v in ("10", "4", "2", "3")}
    truthful, inexact = chk.exact_at((idx[10], idx[4], idx[2]), lambda ev: chk.utility(ev, 0), {0: idx[10]})
    shaded, _ = chk.exact_at((idx[3], idx[4], idx[2]), lambda ev: chk.utility(ev, 0), {0: idx[10]})
    assert (truthful, shaded) == (Fraction(1200), Fraction(1592)) and not inexact


def test_vickrey_revenue_is_exact():
    # E[max(reserve, second-highest) ; winner >= reserve] for 3 bidders, values uniform on
    # {0, 1/4, 1/2, 3/4, 1}, reserve 1/4, computed by direct enumeration below.
    import itertools
    vals = [Fraction(k, 4) for k in range(5)]
    total = Fraction(0)
    for prof in itertools.product(vals, repeat=3):
        w = max(range(3), key=lambda j: (prof[j], -j))
        if prof[w] >= Fraction(1, 4):
            total += max(Fraction(1, 4), max(prof[j] for j in range(3) if j != w))
    report = mechc.check(mechc.load("specs/vickrey.mech"))
    assert report.metrics["revenue"].exact == str(total / 125)


def test_myerson_revenue_does_not_depend_on_the_check_grid():
    # Myerson (1981): with two bidders uniform on [0, 1] and reserve 1/2 the expected revenue is 5/12;
    # measures on intervals are integrated under the prior, not on the grid the properties use.
    model = mechc.load("specs/myerson_optimal.mech")
    for k in (5, 21):
        assert mechc.check(model, grid=k, method="exhaustive").metrics["revenue"].exact == "5/12"


def test_vcg_welfare_and_revenue_match_closed_form():
    # Additive values, i.i.d. uniform on {0,1,2} per item: E[max] = 13/9, E[min] = 5/9 per item.
    report = mechc.check(mechc.load("specs/vcg_combinatorial.mech"))
    assert report.metrics["welfare"].exact == "26/9"
    assert report.metrics["revenue"].exact == "10/9"


def test_first_price_counterexample_is_a_real_gain():
    report = mechc.check(mechc.load("specs/first_price.mech"))
    cx = next(p for p in report.properties if p.name == "dsic").counterexample
    f = cx.fields
    assert Fraction(f["exact_values"]["gain"]) > 0
    assert Fraction(f["exact_values"]["utility_misreport"]) - Fraction(f["exact_values"]["utility_truthful"]) == \
        Fraction(f["exact_values"]["gain"])


def test_float_and_exact_paths_agree():
    model = mechc.load("specs/gsp.mech")
    a = mechc.check(model, exact="always")
    b = mechc.check(model, exact="never")
    for pa, pb in zip(a.properties, b.properties, strict=True):
        assert pa.verdict == pb.verdict and pa.stats["violations"] == pb.stats["violations"]
    assert abs(a.metrics["revenue"].value - b.metrics["revenue"].value) < 1e-9


def test_resource_limit_is_refused_up_front(capsys):
    code = main(["check", "specs/vickrey.mech", "--param", "n=40"])
    assert code == 3
    assert "--max-cells" in capsys.readouterr().err


def test_grid_changes_the_space():
    model = mechc.load("specs/posted_price.mech")
    chk = ExhaustiveChecker(model, Options(grid=11))
    assert chk.T == [11, 11]
    np.testing.assert_allclose(chk.grids[0].probs.sum(), 1.0)


def test_bic_of_first_price_on_finite_types_is_decided():
    text = open("specs/first_price.mech").read().replace("require dsic, ex_post_ir, monotone", "require bic, interim_ir")
    report = mechc.check(mechc.load_text(text, "fp.mech"))
    verdicts = {p.name: p.verdict for p in report.properties}
    assert verdicts == {"bic": "violated", "interim_ir": "verified"}


def test_eps_dsic_tolerates_small_gains():
    text = open("specs/first_price.mech").read().replace("require dsic, ex_post_ir, monotone",
                                                         "require eps_dsic(1), eps_dsic(1/8)")
    report = mechc.check(mechc.load_text(text, "fp.mech"))
    assert [p.verdict for p in report.properties] == ["verified", "violated"]


NONMONOTONE = """mechanism NonMono {
  agents i in 1..2
  type v[i] in {0, 1, 2, 3} ~ uniform
  report b[i] of v[i]
  x[i] = if b[i] == 2 then 0 else (if b[i] >= 1 then 1 else 0)
  pay[i] = 0
  utility[i] = v[i] * x[i] - pay[i]
  require monotone, bic, interim_ir
}"""


@pytest.mark.parametrize("exact", ["always", "never"])
def test_interim_and_monotone_counterexamples_are_exact_on_both_paths(exact):
    report = mechc.check(mechc.load_text(NONMONOTONE, "nm.mech"), exact=exact)
    v = {p.name: p for p in report.properties}
    assert [v[k].verdict for k in ("monotone", "bic", "interim_ir")] == ["violated", "violated", "verified"]
    assert v["bic"].counterexample.exact and v["monotone"].counterexample.exact
    assert v["bic"].counterexample.fields["exact_values"]["gain"] == "2"
    assert v["monotone"].counterexample.fields["exact_values"] == {"x_lower": "1", "x_higher": "0"}


def test_per_agent_type_spaces_for_numbered_agents():
    # bidder 1 ~ U{0,1,2}, bidder 2 in {0,2,4} w.p. (1/2, 1/4, 1/4); second price revenue
    # = E[min(v1, v2)] = 1/4 * E[min(v1, 2)] + 1/4 * E[v1] = 1/4 + 1/4 = 1/2.
    text = """mechanism Het {
  agents i in 1..2
  type v[i] in {0, 1, 2} ~ uniform
  type v[2] in {0, 2, 4} ~ [1/2, 1/4, 1/4]
  report b[i] of v[i]
  winner = argmax(j in 1..2, b[j])
  x[i] = if i == winner then 1 else 0
  pay[i] = x[i] * max(j in 1..2 where j != i, b[j])
  utility[i] = v[i] * x[i] - pay[i]
  require dsic
  measure revenue = expect sum(i in 1..2, pay[i])
}"""
    report = mechc.check(mechc.load_text(text, "het.mech"))
    assert report.properties[0].verdict == "verified"
    assert report.metrics["revenue"].exact == "1/2"


def test_inline_symbol_sets_may_reorder_a_declared_set():
    text = open("specs/bilateral_vcg.mech").read().replace(
        "choice = argmax(o in O, sum(j in {Buyer, Seller}", "choice = argmax(o in O, sum(j in {Seller, Buyer}")
    report = mechc.check(mechc.load_text(text, "b.mech"))
    assert [p.verdict for p in report.properties] == ["verified", "verified", "verified", "violated"]


def test_unchecked_constraints_are_noted():
    text = open("specs/vickrey.mech").read().replace("require dsic,", "feasible sum(i in 1..n, x[i]) <= 1\n  require dsic,")
    report = mechc.check(mechc.load_text(text, "v.mech"))
    assert any("feasibility constraint" in n for n in report.notes)
    report = mechc.check(mechc.load_text(text.replace("require dsic,", "require feasible, dsic,"), "v.mech"))
    assert report.properties[0].name == "feasible" and report.properties[0].verdict == "verified"


def test_huge_vector_grids_are_refused_before_building(tmp_path, capsys):
    spec = tmp_path / "vec.mech"
    spec.write_text("""mechanism V {
  set Items = {A, B, C}
  agents i in 1..2
  type v[i, k in Items]: real in [0, 1]
  report b[i] of v[i]
  x[i] = 1
  pay[i] = 0
  utility[i] = v[i, A] * x[i]
  require dsic
}""")
    assert main(["check", str(spec), "--grid", "1000"]) == 3
    assert "report profiles" in capsys.readouterr().err


def test_dynamic_indexing_matches_brute_force():
    # pay the report of the runner-up, looked up through a computed index; revenue must be
    # E[second-highest of 3 i.i.d. uniform {0,1,2,3}] computed by enumeration.
    import itertools
    text = """mechanism Dyn {
  agents i in 1..3
  type v[i] in {0, 1, 2, 3} ~ uniform
  report b[i] of v[i]
  winner = argmax(j in 1..3, b[j])
  second = argmax(j in 1..3 where j != winner, b[j])
  x[i] = if i == winner then 1 else 0
  price[k in 1..3] = b[k]
  pay[i] = if i == winner then price[second] else 0
  utility[i] = v[i] * x[i] - pay[i]
  require dsic
  measure revenue = expect sum(i in 1..3, pay[i])
}"""
    expected = sum(Fraction(sorted(p)[1]) for p in itertools.product(range(4), repeat=3)) / 64
    for exact in ("always", "never"):
        report = mechc.check(mechc.load_text(text, "dyn.mech"), exact=exact)
        assert report.properties[0].verdict == "verified"
        assert abs(report.metrics["revenue"].value - float(expected)) < 1e-12
