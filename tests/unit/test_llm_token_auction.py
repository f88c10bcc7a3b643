"""specs/llm/token_auction*.mech: the token auction of Duetting, Mirrokni, Paes Leme, Xu and Zuo,
"Mechanism Design for Large Language Models" (WWW 2024; arXiv 2310.10826).

Every figure is recomputed here by a plain enumeration (fractions, or math for the log-linear rule),
independent of mechc: the aggregate q, agent i's benefit x_i = 1 - TV(q, p_i) (or the likelihood
sum_t p_i(t) q(t)), the discrete Myerson payments and the first-price payments b_i x_i."""

import itertools
import math
from fractions import Fraction as F
from pathlib import Path

import pytest

import mechc

ROOT = Path(__file__).resolve().parents[2]
SPEC = ROOT / "specs" / "llm" / "token_auction.mech"
FIRST_PRICE = ROOT / "specs" / "llm" / "token_auction_first_price.mech"

GRID = [0, 1, 2, 3]
PAPER = [F(4, 5), F(1), F(0)]  # P(Large) for the authors' three agents (Google Research blog, 2025)
TWO = [F(4, 5), F(1, 5)]  # the two-agent example (0.8, 0.2), (0.2, 0.8)


def _verdicts(report):
    return {p.name: p.verdict for p in report.properties}


# --- an independent model of the auction -----------------------------------------------------------

def q_linear(bids, prefs, w0=F(0), base=F(1, 2)):
    """P(Large) under the bid-weighted mixture; the base LLM alone when every weight is zero."""
    weight = w0 + sum(bids)
    if weight == 0:
        return base
    return (w0 * base + sum(b * p for b, p in zip(bids, prefs, strict=True))) / weight


def q_loglinear(bids, prefs, w0=0.0, base=0.5):
    weight = w0 + sum(bids)
    if weight == 0:
        return base
    large = base ** (w0 / weight) * math.prod(float(p) ** (b / weight) for b, p in zip(bids, prefs, strict=True))
    small = (1 - base) ** (w0 / weight) * math.prod((1 - float(p)) ** (b / weight) for b, p in zip(bids, prefs, strict=True))
    return large / (large + small)


def closeness(qL, p):  # 1 - TV over two tokens
    return 1 - abs(qL - p)


def likelihood(qL, p):
    return p * qL + (1 - p) * (1 - qL)


def alloc(i, bids, prefs, agg=q_linear, benefit=closeness, **kw):
    return benefit(agg(bids, prefs, **kw), prefs[i])


def replaced(bids, i, z):
    return tuple(z if j == i else b for j, b in enumerate(bids))


def myerson_pay(i, bids, prefs, **kw):
    """b_i x_i(b) - sum over grid points z < b_i of (next(z) - z) x_i(z, b_-i)."""
    lower = [z for z in GRID if z < bids[i]]
    steps = sum((GRID[GRID.index(z) + 1] - z) * alloc(i, replaced(bids, i, z), prefs, **kw) for z in lower)
    return bids[i] * alloc(i, bids, prefs, **kw) - steps


def first_price_pay(i, bids, prefs, **kw):
    return bids[i] * alloc(i, bids, prefs, **kw)


def expected_revenue(prefs, pay, **kw):
    profiles = list(itertools.product(GRID, repeat=len(prefs)))
    return sum(sum(pay(i, b, prefs, **kw) for i in range(len(prefs))) for b in profiles) / len(profiles)


def regrets(prefs, pay, **kw):
    """All (gain, agent, type, misreport, others) of misreporting, as in the dsic check."""
    out = []
    for i in range(len(prefs)):
        for others in itertools.product(GRID, repeat=len(prefs) - 1):
            for v in GRID:
                truth = tuple(others[:i]) + (v,) + tuple(others[i:])
                u_truth = v * alloc(i, truth, prefs, **kw) - pay(i, truth, prefs, **kw)
                for z in GRID:
                    if z != v:
                        lie = replaced(truth, i, z)
                        out.append((v * alloc(i, lie, prefs, **kw) - pay(i, lie, prefs, **kw) - u_truth, i, v, z, others))
    return out


# --- the linear rule with Myerson payments ---------------------------------------------------------

def test_linear_token_auction_is_truthful_and_its_revenue_matches_enumeration():
    report = mechc.load(SPEC, mechanism="TokenAuction").check()
    assert _verdicts(report) == {"dsic": "verified", "monotone": "verified", "ex_post_ir": "verified",
                                 "no_positive_transfers": "verified"}
    assert report.metrics["max_regret"].value == 0
    revenue = expected_revenue(PAPER, myerson_pay)
    assert revenue == F(5423, 6720)
    assert report.metrics["revenue"].exact == str(revenue)
    large = sum(q_linear(b, PAPER) for b in itertools.product(GRID, repeat=3)) / 64
    assert report.metrics["large_share"].exact == str(large) == "383/640"
    assert max(g for g, *_ in regrets(PAPER, myerson_pay)) == 0  # the discrete Myerson identity


def test_the_authors_example_bids_1_2_2():
    # Google Research blog (2025): bids 1, 2, 2 on (0.8, 0.2), (1, 0), (0, 1) give q = (0.56, 0.44)
    # exactly. Point-mass priors on that profile make mechc's measures read the figures there.
    text = SPEC.read_text()
    generic = "  type v[i] in Bids ~ uniform\n"
    assert generic in text
    points = "".join(f"  type v[{k}] in Bids ~ {{{b}: 1}}\n" for k, b in ((1, 1), (2, 2), (3, 2)))
    measures = "".join(f"  measure x_{k} = expect x[{k}]\n  measure pay_{k} = expect pay[{k}]\n" for k in (1, 2, 3))
    text = text.replace(generic, generic + points, 1).replace("  measure revenue", measures + "  measure revenue", 1)
    report = mechc.load_text(text, str(SPEC), mechanism="TokenAuction").check()
    bids = (1, 2, 2)
    assert q_linear(bids, PAPER) == F(14, 25)
    assert report.metrics["large_share"].exact == "14/25"
    hand_x = [F(19, 25), F(14, 25), F(11, 25)]  # derived in the spec's header
    hand_pay = [F(3, 50), F(121, 300), F(77, 150)]
    for k in range(3):
        assert alloc(k, bids, PAPER) == hand_x[k] and myerson_pay(k, bids, PAPER) == hand_pay[k]
        assert report.metrics[f"x_{k + 1}"].exact == str(hand_x[k])
        assert report.metrics[f"pay_{k + 1}"].exact == str(hand_pay[k])
    assert sum(first_price_pay(k, bids, PAPER) for k in range(3)) == F(69, 25) < 1 + 2 + 2  # vs pay-your-bid


def test_base_llm_weight_and_the_two_agent_example_stay_truthful():
    report = mechc.load(SPEC, mechanism="TokenAuction", w0=1).check()
    assert set(_verdicts(report).values()) == {"verified"}
    assert report.metrics["revenue"].exact == str(expected_revenue(PAPER, myerson_pay, w0=F(1))) == "98339/161280"
    report = mechc.load(SPEC, mechanism="TokenAuction", n=2, p2="1/5").check()
    assert set(_verdicts(report).values()) == {"verified"}
    assert report.metrics["revenue"].exact == str(expected_revenue(TWO, myerson_pay)) == "113/200"


# --- the first-price-style payment -----------------------------------------------------------------

def test_first_price_payments_are_not_truthful():
    report = mechc.load(FIRST_PRICE).check()
    assert _verdicts(report) == {"dsic": "violated", "monotone": "verified", "ex_post_ir": "verified"}
    found = regrets(PAPER, first_price_pay)
    gains = [g for g, *_ in found]
    assert max(gains) == F(57, 20)  # agent 1, value 3, bids 0 against (3, 1): 3 * (1 - |3/4 - 4/5|)
    dsic = report.properties["dsic"]
    assert dsic.stats["violations"] == sum(g > 0 for g in gains) == 270 and dsic.stats["cases"] == len(found) == 576
    cex = dsic.counterexample.fields
    assert (cex["agent"], cex["true_type"], cex["misreport"], cex["others_reports"]) == ("1", "3", "0", {"2": "3", "3": "1"})
    assert cex["exact_values"]["gain"] == "57/20" and dsic.counterexample.exact
    # expected regret: max over agents of E over (type, others) of the best gain, uniform prior
    best = {}
    for g, i, v, _z, others in found:
        best[i, v, others] = max(best.get((i, v, others), 0), g)
    expected = max(sum(g for (i, *_), g in best.items() if i == a) / 64 for a in range(3))
    assert expected == F(307, 320)
    assert report.metrics["expected_regret"].value == pytest.approx(float(expected), rel=1e-12)
    revenue = expected_revenue(PAPER, first_price_pay)
    assert revenue == F(81469, 26880) and report.metrics["revenue"].exact == str(revenue)


# --- the likelihood benefit is not the paper's preference order ------------------------------------

def test_likelihood_benefit_breaks_monotonicity_with_the_authors_agents():
    report = mechc.load(SPEC, mechanism="TokenAuction", likelihood_reward=True).check()
    assert _verdicts(report) == {"dsic": "violated", "monotone": "violated", "ex_post_ir": "verified",
                                 "no_positive_transfers": "violated"}
    kw = {"benefit": likelihood}
    # agent 1's likelihood 0.68 of its own p1 is below its 0.8 for agent 2's (1, 0)
    assert alloc(0, (0, 1, 0), PAPER, **kw) == F(4, 5) > alloc(0, (1, 1, 0), PAPER, **kw) == F(37, 50)
    mono = report.properties["monotone"].counterexample.fields
    assert (mono["agent"], mono["lower_report"], mono["higher_report"]) == ("1", "0", "1")
    assert mono["others_reports"] == {"2": "1", "3": "0"}
    assert mono["exact_values"] == {"x_lower": "4/5", "x_higher": "37/50"}
    gains = [g for g, *_ in regrets(PAPER, myerson_pay, **kw)]
    assert max(gains) == F(7, 50) and sum(g > 0 for g in gains) == 27
    assert report.properties["dsic"].counterexample.fields["exact_values"]["gain"] == "7/50"
    # with the two opposed agents the likelihood is monotone (0.68 > 0.32) and all holds
    report = mechc.load(SPEC, mechanism="TokenAuction", n=2, p2="1/5", likelihood_reward=True).check()
    assert set(_verdicts(report).values()) == {"verified"}
    assert report.metrics["revenue"].exact == str(expected_revenue(TWO, myerson_pay, **kw)) == "339/1000"


# --- the log-linear rule ---------------------------------------------------------------------------

def test_log_linear_token_auction_is_truthful():
    report = mechc.load(SPEC, mechanism="LogLinearTokenAuction").check()
    assert set(_verdicts(report).values()) == {"verified"}  # exhaustive, float64 with tolerance
    assert "float64" in report.properties["dsic"].detail
    kw = {"agg": q_loglinear}
    assert q_loglinear((1, 1), TWO) == pytest.approx(0.5)  # opposite log-odds cancel
    assert q_loglinear((2, 1), TWO) == pytest.approx(4 ** (1 / 3) / (1 + 4 ** (1 / 3)))
    assert max(g for g, *_ in regrets(TWO, myerson_pay, **kw)) < 1e-12
    revenue = expected_revenue(TWO, myerson_pay, **kw)
    assert report.metrics["revenue"].value == pytest.approx(revenue, rel=1e-9)
    assert revenue == pytest.approx(0.57893, abs=1e-5)


def test_log_linear_needs_full_support_preferences():
    # the authors' point masses (1, 0) and (0, 1) both bidding zero out every token's product
    model = mechc.load(SPEC, mechanism="LogLinearTokenAuction", n=3, p2=1, p3=0)
    with pytest.raises(mechc.EvalError, match=r"undefined \(division by zero\) at reports \(0, 1, 1\)"):
        model.check()
