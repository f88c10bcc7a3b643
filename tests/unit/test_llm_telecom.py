"""specs/llm/ telecom mechanisms (seed: Lotfi, Alabbasi and Alhussein, arXiv 2412.00495, 2024).

A spectrum auction (VCG, and a uniform-price variant whose IC violations are counted, the seed's
relaxed validation) and a data-offloading screening contract (designed, and the naive first-best
menu whose IC violations are counted). Every figure is recomputed here by plain enumeration or by
the textbook closed form, not copied from mechc.
"""

import itertools
from fractions import Fraction as F
from pathlib import Path

import mechc
from mechc.design import solve_design

LLM = Path(__file__).resolve().parents[2] / "specs" / "llm"

# ---------------------------------------------------------------------------------------------
# Spectrum: 2 identical channels, 3 operators, type Dab = marginal values (a, b), a >= b, uniform.
TYPES = {"D00": (0, 0), "D10": (1, 0), "D11": (1, 1), "D20": (2, 0), "D21": (2, 1), "D22": (2, 2)}
NAMES = list(TYPES)
# assignments(Channels, 1..3 or none): C1 varies slowest, none first; argmax keeps the first best
OUTCOMES = list(itertools.product([None, 1, 2, 3], repeat=2))


def _worth(t, h):
    a, b = TYPES[t]
    return (a if h >= 1 else 0) + (b if h >= 2 else 0)


def _held(o, i):
    return sum(1 for k in o if k == i)


def _choice(rep):
    best = max(sum(_worth(rep[j], _held(o, j + 1)) for j in range(3)) for o in OUTCOMES)
    return next(o for o in OUTCOMES if sum(_worth(rep[j], _held(o, j + 1)) for j in range(3)) == best)


def _vcg_pay(rep, o, i):
    def others(oo):
        return sum(_worth(rep[j], _held(oo, j + 1)) for j in range(3) if j != i)

    return max(others(oo) for oo in OUTCOMES) - others(o)


def _uniform_pay(rep, o, i):
    rejected = []
    for j in range(3):
        h, (a, b) = _held(o, j + 1), TYPES[rep[j]]
        rejected.append(a if h == 0 else b if h == 1 else 0)
    return _held(o, i + 1) * max(rejected)


def _utility(true, rep, i, pay):
    o = _choice(rep)
    return _worth(true, _held(o, i + 1)) - pay(rep, o, i)


def _profitable_deviations(pay):
    """All (agent, true type, misreport, others) cases with a strict gain, and the number of cases."""
    gains, cases = [], 0
    for i in range(3):
        for p in itertools.product(NAMES, repeat=3):
            truthful = _utility(p[i], p, i, pay)
            for m in NAMES:
                if m == p[i]:
                    continue
                q = list(p)
                q[i] = m
                cases += 1
                gain = _utility(p[i], q, i, pay) - truthful
                if gain > 0:
                    gains.append((p[i], m, gain))
    return gains, cases


def _revenue_and_welfare(pay):
    rev = wel = 0
    for p in itertools.product(NAMES, repeat=3):
        o = _choice(p)
        rev += sum(pay(p, o, i) for i in range(3))
        wel += sum(_worth(p[j], _held(o, j + 1)) for j in range(3))
    return F(rev, 216), F(wel, 216)


def _verdicts(report):
    return {p.name: p.verdict for p in report.properties}


def test_spectrum_vcg_is_truthful_and_its_revenue_matches_enumeration():
    report = mechc.load(LLM / "spectrum_auction.mech").check()
    assert _verdicts(report) == {"dsic": "verified", "efficient": "verified", "ex_post_ir": "verified",
                                 "no_positive_transfers": "verified"}
    stats = report.properties["dsic"].stats
    assert stats["violations"] == 0 and stats["cases"] == 3 * 6 * 5 * 36 == 3240
    gains, cases = _profitable_deviations(_vcg_pay)
    assert (gains, cases) == ([], 3240)  # independent: VCG is dominant-strategy truthful (exact)
    revenue, welfare = _revenue_and_welfare(_vcg_pay)
    assert (revenue, welfare) == (F(56, 27), F(187, 54))
    assert report.metrics["revenue"].exact == str(revenue)
    assert report.metrics["welfare"].exact == str(welfare)


def test_spectrum_worked_profile_of_the_header():
    # (D22, D00, D20): operator 1 wins both channels (tie, first assignment) and pays 2 under VCG;
    # under the uniform price it pays 2 per channel and gains 2 by reporting D10 (demand reduction)
    p = ("D22", "D00", "D20")
    assert _choice(p) == (1, 1) and _vcg_pay(p, (1, 1), 0) == 2 and _uniform_pay(p, (1, 1), 0) == 4
    assert _utility("D22", ("D10", "D00", "D20"), 0, _uniform_pay) - _utility("D22", p, 0, _uniform_pay) == 2


def test_spectrum_uniform_price_violations_are_all_demand_reduction():
    report = mechc.load(LLM / "spectrum_auction_uniform_price.mech").check()
    assert _verdicts(report) == {"dsic": "violated", "efficient": "verified", "ex_post_ir": "verified",
                                 "no_positive_transfers": "verified"}
    gains, cases = _profitable_deviations(_uniform_pay)
    assert (len(gains), cases) == (158, 3240)
    dsic = report.properties["dsic"]
    assert "158 of 3,240" in dsic.detail
    assert dsic.stats["violations"] == 158 and dsic.stats["max_regret"] == max(g for _, _, g in gains) == 2
    assert sorted({g for _, _, g in gains}) == [1, 2] and sum(g == 2 for _, _, g in gains) == 12
    # every profitable lie lowers the reported value of the second channel
    assert all(TYPES[m][1] < TYPES[t][1] for t, m, _ in gains)
    cx = dsic.counterexample
    assert cx.exact and cx.fields["exact_values"]["gain"] == "2"
    assert (cx.fields["true_type"], cx.fields["misreport"]) == ("D22", "D10")
    assert cx.fields["others_reports"] == {"2": "D00", "3": "D20"}
    revenue, welfare = _revenue_and_welfare(_uniform_pay)
    assert report.metrics["revenue"].exact == str(revenue) == "65/27"  # under truthful bids only
    assert report.metrics["welfare"].exact == str(welfare) == "187/54"  # same assignment as VCG


# ---------------------------------------------------------------------------------------------
# Offloading contract: cost types theta = 1, 2, 3, operator's utility S(d) - t, S(d) = a d - d^2/2.
THETA = (1, 2, 3)


def _screening_menu(p, a=12):
    """Laffont and Martimort (2002, ch. 2-3): virtual costs, ironed by pooling adjacent violators;
    d_k = a - psi_k, worst type's IR and downward adjacent ICs binding."""
    cum = [sum(p[:k]) for k in range(3)]  # F_{k-1}
    psi = [F(THETA[k]) + (cum[k] / p[k] * (THETA[k] - THETA[k - 1]) if k else 0) for k in range(3)]
    blocks = []  # pool adjacent violators: [weight, weighted psi, members]
    for k in range(3):
        blocks.append([p[k], p[k] * psi[k], [k]])
        while len(blocks) > 1 and blocks[-2][1] / blocks[-2][0] > blocks[-1][1] / blocks[-1][0]:
            w, s, m = blocks.pop()
            blocks[-1] = [blocks[-1][0] + w, blocks[-1][1] + s, blocks[-1][2] + m]
    d = [None] * 3
    for w, s, members in blocks:
        for k in members:
            d[k] = a - s / w
    rent = [F(0)] * 3
    for k in (1, 0):
        rent[k] = rent[k + 1] + (THETA[k + 1] - THETA[k]) * d[k + 1]
    t = [THETA[k] * d[k] + rent[k] for k in range(3)]
    profit = sum(p[k] * (a * d[k] - d[k] ** 2 / 2 - t[k]) for k in range(3))
    return d, t, profit


def test_offloading_contract_has_the_textbook_structure():
    res = solve_design(mechc.load(LLM / "offloading_contract.mech"))
    assert res.status == "optimal" and res.program == "QP"
    assert [p.verdict for p in res.verification.properties] == ["verified", "verified"]
    d, t = list(res.values[("d", 1)]), list(res.values[("t", 1)])
    assert [str(v) for v in d] == ["11", "9", "7"] and [str(v) for v in t] == ["27", "25", "21"]
    third = F(1, 3)
    assert _screening_menu([third] * 3) == ([11, 9, 7], [27, 25, 21], F(251, 6))
    assert res.objective_exact == "251/6"
    d, t = [F(str(v)) for v in d], [F(str(v)) for v in t]
    assert d[0] == 12 - THETA[0]  # no distortion at the top (first best for the lowest cost)
    assert d[1] < 12 - THETA[1] and d[2] < 12 - THETA[2]  # downward distortion below it
    assert t[2] - THETA[2] * d[2] == 0  # IR of the worst (highest-cost) type binds
    assert t[0] - THETA[0] * d[0] == t[1] - THETA[0] * d[1]  # IC of the best type binds
    assert t[1] - THETA[1] * d[1] == t[2] - THETA[1] * d[2]  # so does type 2's downward IC
    # first best (theta observed): d = 12 - theta, t = theta d, 151/3; information rent 17/2
    first_best = sum(third * (12 * (12 - th) - F(12 - th) ** 2 / 2 - th * (12 - th)) for th in THETA)
    assert first_best == F(151, 3) and first_best - F(251, 6) == F(17, 2)


def test_offloading_contract_other_priors_including_bunching():
    for p1, p2 in ((F(1, 4), F(1, 2)), (F(1, 2), F(1, 10))):  # the second irons types 2 and 3
        res = solve_design(mechc.load(LLM / "offloading_contract.mech", p1=str(p1), p2=str(p2)))
        d, t, profit = _screening_menu([p1, p2, 1 - p1 - p2])
        assert [F(str(v)) for v in res.values[("d", 1)]] == d
        assert [F(str(v)) for v in res.values[("t", 1)]] == t
        assert res.objective_exact == str(profit)
        assert all(p.verdict == "verified" for p in res.verification.properties)
    assert _screening_menu([F(1, 2), F(1, 10), F(2, 5)])[:2] == ([11, 7, 7], [25, 21, 21])


def test_naive_first_best_menu_violates_ic_in_3_of_6_cases():
    report = mechc.load(LLM / "offloading_contract_naive.mech").check()
    assert _verdicts(report) == {"dsic": "violated", "ex_post_ir": "verified"}
    menu = {th: (12 - th, th * (12 - th)) for th in THETA}  # first best: (11, 11), (10, 20), (9, 27)
    gains = [menu[m][1] - th * menu[m][0] for th in THETA for m in THETA if m != th]
    assert sum(g > 0 for g in gains) == 3 and len(gains) == 6 and max(gains) == 18
    dsic = report.properties["dsic"]
    assert "3 of 6" in dsic.detail and dsic.stats["max_regret"] == 18
    assert report.metrics["expected_regret"].value == 9.0  # (18 + 9 + 0) / 3, a float metric
    assert report.metrics["profit_if_truthful"].exact == "151/3"

    def profit(c):
        return 12 * c[0] - F(c[0]) ** 2 / 2 - c[1]

    # under self-selection every type takes (9, 27): the operator gets 81/2 < 251/6
    taken = [max(THETA, key=lambda m, th=th: (menu[m][1] - th * menu[m][0], -m)) for th in THETA]
    assert taken == [3, 3, 3]
    assert sum(profit(menu[m]) for m in taken) / 3 == F(81, 2)
    assert report.metrics["profit_self_selected"].exact == "81/2"


def test_the_screening_menu_in_the_naive_spec_is_truthful():
    report = mechc.load(LLM / "offloading_contract_naive.mech", d2="9", d3="7", t1="27", t2="25", t3="21").check()
    assert _verdicts(report) == {"dsic": "verified", "ex_post_ir": "verified"}
    assert report.metrics["profit_if_truthful"].exact == report.metrics["profit_self_selected"].exact == "251/6"
