"""specs/llm/pay_for_performance.mech and pay_per_token.mech: pay-per-token against pay-for-performance
for an LLM provider, after Saig, Einav and Talgam-Cohen, "Incentivizing Quality Text Generation via
Statistical Contracts" (NeurIPS 2024). The numbers are illustrative and derived by hand in the spec
headers (the paper's MT-Bench figures are not reproduced); every figure below is recomputed here in
exact rational arithmetic, independently of mechc, and compared exactly (tolerance 0)."""

from fractions import Fraction as F
from pathlib import Path

import mechc
from mechc.design import solve_contract

ROOT = Path(__file__).resolve().parents[2]
LLM = ROOT / "specs" / "llm"

MODELS = ("Small", "Medium", "Large")
SCORES = (1, 2, 3, 4)
# judge-score distributions (tenths) and costs per answer, as in both headers
PROB = {"Small": [F(k, 10) for k in (4, 3, 2, 1)],
        "Medium": [F(k, 10) for k in (2, 3, 3, 2)],
        "Large": [F(k, 10) for k in (1, 2, 3, 4)]}
COST = {"Small": F(1), "Medium": F(2), "Large": F(10)}
WORTH = [40 * y for y in SCORES]  # the buyer's value of an answer with score y


def _expect(model, pay):
    return sum(p * t for p, t in zip(PROB[model], pay, strict=True))


def _best_responses(pay, cost):
    """The provider's utility-maximising models under per-score pay `pay` and costs `cost`."""
    u = {a: _expect(a, pay) - cost[a] for a in MODELS}
    top = max(u.values())
    return {a for a in MODELS if u[a] == top}


def _min_pay_all_or_nothing(cost):
    """Pay only on the top score: the least t(4) meeting every incentive constraint and IR."""
    top = SCORES.index(4)
    need = [(cost["Large"] - cost[a]) / (PROB["Large"][top] - PROB[a][top]) for a in ("Small", "Medium")]
    return max(need + [cost["Large"] / PROB["Large"][top]])


def _is_min_pay_optimum(pay, cost, dual):
    """LP duality in exact arithmetic: `pay` is primal feasible, the multipliers `dual` (one per
    competitor, >= 0; IR multiplier 0) are dual feasible, and the two objectives are equal."""
    primal_ok = all(t >= 0 for t in pay) and _expect("Large", pay) >= cost["Large"] and all(
        _expect("Large", pay) - cost["Large"] >= _expect(a, pay) - cost[a] for a in ("Small", "Medium"))
    dual_ok = all(lam >= 0 for lam in dual.values()) and all(
        sum(lam * (PROB["Large"][k] - PROB[a][k]) for a, lam in dual.items()) <= PROB["Large"][k]
        for k in range(len(SCORES)))
    dual_value = sum(lam * (cost["Large"] - cost[a]) for a, lam in dual.items())
    return primal_ok and dual_ok and dual_value == _expect("Large", pay)


def _pay(result):
    return [result.wages[("pay", str(y))] for y in SCORES]


def test_scores_satisfy_mlrp():
    # every pair of models has strictly increasing likelihood ratios: the top score is the most
    # informative about Large, which is why the min-pay contract is all-or-nothing on it
    for lo, hi in (("Small", "Medium"), ("Small", "Large"), ("Medium", "Large")):
        ratios = [p_hi / p_lo for p_hi, p_lo in zip(PROB[hi], PROB[lo], strict=True)]
        assert all(a < b for a, b in zip(ratios, ratios[1:], strict=False))


def test_min_pay_contract_pays_only_on_the_top_score():
    r = solve_contract(mechc.load(LLM / "pay_for_performance.mech"))
    assert r.status == "optimal" and r.target == "Large" and all(r.checks.values())
    t4 = _min_pay_all_or_nothing(COST)
    assert t4 == 40  # max(9 / (3/10), 8 / (2/10), 10 / (4/10)) = max(30, 40, 25): Medium binds
    want = [F(0), F(0), F(0), t4]
    assert _pay(r) == want
    # optimal, not just all-or-nothing: weight 2 on the Medium constraint certifies it
    assert _is_min_pay_optimum(want, COST, {"Small": F(0), "Medium": F(2)})
    assert r.objective_exact == str(_expect("Large", want)) == "16"
    assert r.values["pay_over_first_best"] == F(16, 10) == F(8, 5)  # first best pays Large's cost 10
    assert r.values["rent"] == 6
    surplus = sum(p * (w - t) for p, w, t in zip(PROB["Large"], WORTH, want, strict=True))
    assert r.values["buyer_surplus"] == surplus == 104
    assert _best_responses(want, COST) == {"Large", "Medium"}  # Medium indifferent: 8 - 2 = 16 - 10


def test_cost_robust_contract_and_the_price_of_robustness():
    r = solve_contract(mechc.load(LLM / "pay_for_performance.mech", robust=True))
    worst = {"Small": F(0), "Medium": F(0), "Large": F(10)}  # cheaper models' costs unknown in [0, 10]
    t4 = _min_pay_all_or_nothing(worst)
    assert t4 == 50  # max(10 / (3/10), 10 / (2/10))
    robust = [F(0), F(0), F(0), t4]
    assert _pay(r) == robust and _is_min_pay_optimum(robust, worst, {"Small": F(0), "Medium": F(2)})
    assert r.objective_exact == "20" and r.values["pay_over_first_best"] == 2
    assert F(20) / 16 == F(5, 4)  # robustness costs 25% over the cost-aware contract here
    grid = [F(k, 2) for k in range(21)]  # cheaper models' costs on {0, 1/2, ..., 10}
    for cs in grid:
        for cm in grid:
            cost = {"Small": cs, "Medium": cm, "Large": F(10)}
            assert "Large" in _best_responses(robust, cost)  # robust: Large is always a best response
    # the cost-aware contract is not robust: were Medium's cost 1, Medium would earn 7 > 6
    aware = [F(0), F(0), F(0), F(40)]
    assert _best_responses(aware, {**COST, "Medium": F(1)}) == {"Medium"}


def test_pay_for_performance_makes_large_the_buyers_best_model():
    # implementing Medium costs 2 (pay 10 on score 4, surplus 100 - 2 = 98), Small 1 (surplus 79),
    # Large 16 (surplus 104): with pay by score the buyer wants and gets Large
    text = (LLM / "pay_for_performance.mech").read_text()
    text = text.replace("implement Large", "implement Models").replace(
        "minimize expected_pay", "maximize sum(y in Score, prob[implemented, y] * (worth[y] - pay[y]))")
    r = solve_contract(mechc.load_text(text, "p4p_best.mech"))
    assert r.target == "Large" and r.objective_exact == "104"
    assert r.notes[:3] == ["implementing Small: optimal, objective 79", "implementing Medium: optimal, objective 98",
                           "implementing Large: optimal, objective 104"]
    medium = [F(0), F(0), F(0), F(10)]
    assert "Medium" in _best_responses(medium, COST) and _expect("Medium", medium) == 2


def test_a_flat_per_token_price_buys_only_the_cheapest_model():
    r = solve_contract(mechc.load(LLM / "pay_per_token.mech"))
    assert r.status == "optimal" and r.target == "Small" and r.objective_exact == "79"
    assert r.wages[("rate", "PerToken")] == F(1, 500) and r.values["price_per_answer"] == 1
    assert r.notes == ["implementing Small: optimal, objective 79", "implementing Medium: infeasible",
                       "implementing Large: infeasible", "best: implement Small"]
    # independently: the pay is rate * 500 on every score, so utilities differ only by cost and the
    # provider's best response is Small at every rate (Large earns 9 less, Medium 1 less)
    for rate in (F(0), F(1, 500), F(1, 50), F(1), F(1000)):
        flat = [rate * 500] * len(SCORES)
        assert _best_responses(flat, COST) == {"Small"}
        assert _expect("Small", flat) - _expect("Large", flat) == 0  # the pay cannot tell them apart


def test_no_flat_price_implements_the_large_model(tmp_path, capsys):
    from mechc.cli import main

    text = (LLM / "pay_per_token.mech").read_text().replace("implement Models", "implement Large").replace(
        "prob[implemented, y]", "prob[Large, y]")
    spec = tmp_path / "flat_large.mech"
    spec.write_text(text)
    assert solve_contract(mechc.load(spec)).status == "infeasible"
    assert main(["design", str(spec)]) == 1
    assert "no contract implements Large: the program is infeasible" in capsys.readouterr().out
