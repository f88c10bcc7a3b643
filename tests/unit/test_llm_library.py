"""specs/llm/: every spec checks or solves with the verdicts and figures of specs/llm/README.md."""

import itertools
from fractions import Fraction
from pathlib import Path

import mechc
from mechc.games import solve

ROOT = Path(__file__).resolve().parents[2]
LLM = ROOT / "specs" / "llm"


def _verdicts(report):
    return {p.name: p.verdict for p in report.properties}


def test_data_procurement_is_truthful_and_its_spend_matches_enumeration():
    report = mechc.load(LLM / "data_procurement.mech").check()
    assert _verdicts(report) == {"dsic": "verified", "ex_post_ir": "verified"}
    # independent figure: E[min(budget, second-lowest cost)] over the 125 equally likely profiles
    grid = [Fraction(k, 4) for k in range(5)]
    spend = sum(min(Fraction(1), sorted(p)[1]) for p in itertools.product(grid, repeat=3)) / 125
    assert spend == Fraction(1, 2)
    assert report.metrics["spend"].exact == "1/2"


def test_pay_as_bid_is_not_truthful():
    report = mechc.load(LLM / "data_procurement_pay_as_bid.mech").check()
    assert _verdicts(report) == {"dsic": "violated", "ex_post_ir": "verified"}
    dsic = report.properties["dsic"]
    assert "100 of 1,500" in dsic.detail
    assert report.metrics["spend"].exact == "1/5"


def test_data_pricing_commitment():
    sol = solve(mechc.load(LLM / "data_sharing_pricing.mech"))
    assert [(p, tuple(str(v) for v in pay)) for p, pay in sol.equilibria] == [(("High", "Buy1"), ("2", "1/2"))]
    st = sol.stackelberg
    assert st.pure[:2] == (1, 2) and (st.pure[2], st.pure[3]) == (2, 2)  # Mid -> Buy2
    assert [str(v) for v in st.x] == ["1/4", "0", "3/4"] and (str(st.value), str(st.follower_value)) == ("3", "1")


def test_every_llm_spec_is_listed_formatted_and_has_a_source_header():
    from mechc.fmt import format_text

    table = (LLM / "README.md").read_text()
    for path in sorted(LLM.glob("*.mech")):
        text = path.read_text()
        assert f"`{path.name}`" in table, f"{path.name} is missing from specs/llm/README.md"
        assert format_text(text, str(path)) == text, f"run mechc fmt {path}"
        assert text.startswith("# "), f"{path.name} needs a header comment giving its source"


def test_influencers_maximally_exaggerate():
    # the seed's theorem: pure equilibria exist and almost all influencers report a bound
    cases = {("-1/5", "1/10", "3/10"): ["-1", "3/10", "1"], ("-1/2", "0", "9/10"): ["-1", "0", "1"],
             ("1/10", "1/5", "3/10"): ["-1", "3/5", "1"], ("-9/10", "-4/5", "1/2"): ["-1", "-1", "1"]}
    for (o1, o2, o3), want in cases.items():
        sol = solve(mechc.load(LLM / "influencer_exaggeration.mech", o1=o1, o2=o2, o3=o3))
        assert [[str(v) for v in e.profile] for e in sol.equilibria] == [want]
        (e,) = sol.equilibria
        assert e.exact and sum(abs(v) != 1 for v in e.profile) <= 1  # at most one interior report
        assert [p["verdict"] for p in sol.properties] == ["verified"]
