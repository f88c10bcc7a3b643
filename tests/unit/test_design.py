"""Automated mechanism design: known optimal revenues, re-verification, readable failures."""

from pathlib import Path

import pytest

import mechc
from mechc.cli import main
from mechc.design import DesignError, LPBuilder, solve_design

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize("name,revenue", [
    ("optimal_auction_one_bidder", "3/2"),          # posted price 2 or 3 on U{1,2,3,4}: revenue 3/2
    ("optimal_auction_two_bidders", "3/2"),         # Myerson, discrete: E[max(phi, 0)] = 3/4 * 2
    ("optimal_auction_two_bidders_bic", "3/2"),     # the same under BIC + interim IR
])
def test_known_optimal_revenues(name, revenue):
    res = solve_design(mechc.load(ROOT / "specs" / "design" / f"{name}.mech"))
    assert res.status == "optimal" and res.objective_exact == revenue
    assert all(p.verdict == "verified" for p in res.verification.properties)


def test_the_optimal_auction_beats_second_price():
    # second price on the same two bidders collects E[min(v1, v2)] = 5/4
    text = (ROOT / "specs" / "vickrey.mech").read_text().replace("{0, 1/4, 1/2, 3/4, 1}", "{1, 2}")
    text = text.replace("param n: int = 3", "param n: int = 2").replace("param reserve: real = 0.25",
                                                                         "param reserve: real = 0")
    assert mechc.load_text(text, "sp.mech").check().metrics["revenue"].exact == "5/4"


def test_designed_mechanism_is_written_out_and_checks(tmp_path, capsys):
    assert main(["design", "specs/design/optimal_auction_two_bidders.mech", "-o", str(tmp_path)]) == 0
    out = tmp_path / "optimal_auction_two_bidders_designed.mech"
    assert main(["check", str(out)]) == 0
    assert "objective = 1.5 (exact 3/2)" in capsys.readouterr().out


def test_constraints_are_built_as_matrices():
    b = LPBuilder(mechc.load(ROOT / "specs" / "design" / "optimal_auction_two_bidders.mech"))
    for req in b.model.requirements:
        b.add_requirement(req)
    (A, rhs), _ = b.matrices()
    assert A.shape == (20, 16) and A.nnz > 0  # 8 dsic + 8 ex_post_ir + 4 feasibility rows, 16 variables


def test_nonlinear_designs_are_refused_with_a_reason():
    text = (ROOT / "specs" / "design" / "optimal_auction_one_bidder.mech").read_text().replace(
        "utility[i] = v[i] * x[i] - pay[i]", "utility[i] = v[i] * x[i] * x[i] - pay[i]")
    with pytest.raises(DesignError, match="not linear in the decision variables"):
        solve_design(mechc.load_text(text, "nl.mech"))


def test_infeasible_design_exits_1(tmp_path, capsys):
    spec = tmp_path / "inf.mech"
    spec.write_text((ROOT / "specs" / "design" / "optimal_auction_one_bidder.mech").read_text().replace(
        "subject to dsic, ex_post_ir", "feasible x[1] >= 2\n  subject to dsic, ex_post_ir, feasible"))
    assert main(["design", str(spec)]) == 1
    out = capsys.readouterr().out
    assert "infeasible" in out and "feasible again without: feasible" in out


def test_decide_outside_a_design_block_is_an_error():
    text = (ROOT / "specs" / "design" / "optimal_auction_one_bidder.mech").read_text().replace("design OneBuyer",
                                                                                               "mechanism OneBuyer")
    with pytest.raises(mechc.SpecErrors, match="belongs in a design block"):
        mechc.load_text(text, "m.mech")


def test_check_on_a_design_designs_it_as_mechc_design_does(capsys):
    assert main(["check", "specs/design/optimal_auction_one_bidder.mech"]) == 0
    out, err = capsys.readouterr()
    assert "as 'mechc design' does" in err and "designed rules:" in out


def test_budget_balanced_bilateral_trade_is_a_posted_price():
    # Hagerty and Rogerson (1987): dsic + ex_post_ir + strong budget balance => posted prices, so the
    # designed optimum equals the best posted price's expected gains from trade (brute force here).
    from fractions import Fraction as F

    vals = [F(k, 4) for k in range(5)]
    best = max(sum(b - s for b in vals for s in vals if b >= p >= s) / 25 for p in (F(k, 8) for k in range(9)))
    res = solve_design(mechc.load(ROOT / "specs" / "design" / "bilateral_trade_budget_balanced.mech"))
    assert res.objective_exact == str(best) == "9/50"


def test_screening_menu_matches_the_textbook():
    # Laffont and Martimort (2002, ch. 2); Bolton and Dewatripont (2005, ch. 2): S(q) = 10q - q^2/2,
    # cost types 1 and 2 with probability 1/2: menu q = (9, 7), t = (16, 14), profit 32.5
    res = solve_design(mechc.load(ROOT / "specs" / "design" / "screening.mech"))
    assert res.program == "QP" and res.objective_exact == "65/2"
    q, t = res.values[("q", 1)], res.values[("t", 1)]
    assert [str(v) for v in q] == ["9", "7"] and [str(v) for v in t] == ["16", "14"]
    first_best = solve_design(mechc.load(ROOT / "specs" / "design" / "screening_first_best.mech"))
    assert first_best.objective_exact == "145/4"  # 36.25: the cost of asymmetric information is 3.75


def test_convexity_is_required():
    text = (ROOT / "specs" / "design" / "screening.mech").read_text().replace("- q[1] ^ 2 / 2", "+ q[1] ^ 2 / 2")
    with pytest.raises(DesignError, match="not concave"):
        solve_design(mechc.load_text(text, "s.mech"))


def test_design_output_includes_the_generated_module(tmp_path):
    assert main(["design", "specs/design/screening.mech", "-o", str(tmp_path)]) == 0
    names = sorted(p.name for p in tmp_path.iterdir())
    assert names == ["screening_designed.mech", "screening_designed.py", "test_screening_designed.py"]
    import importlib.util
    import sys

    spec = importlib.util.spec_from_file_location("screening_designed", tmp_path / "screening_designed.py")
    mod = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = mod
    spec.loader.exec_module(mod)
    assert mod.run([2]).q == (7,) and mod.run([1]).t == (16,)


def test_moral_hazard_contract():
    # success 0.8 (work) / 0.4 (shirk), effort cost 1, output 10, limited liability: the cheapest
    # contract implementing work pays 2.5 on success (0.8 w - 1 = 0.4 w), expected pay 2, principal 6.0
    from mechc.design import solve_contract

    r = solve_contract(mechc.load(ROOT / "specs" / "design" / "moral_hazard.mech"))
    assert r.status == "optimal" and r.objective_exact == "2"
    assert {k: str(v) for k, v in r.wages.items()} == {("wage", "Fail"): "0", ("wage", "Success"): "5/2"}
    assert str(r.values["principal"]) == "6" and all(r.checks.values())


def test_contract_cli_and_check_redirect(capsys):
    assert main(["design", "specs/design/moral_hazard.mech"]) == 0
    out = capsys.readouterr().out
    assert "wage[Success] = 2.5 (5/2)" in out and "principal = 6" in out
    assert main(["check", "specs/design/moral_hazard.mech"]) == 0  # a contract under check: designed
    out, err = capsys.readouterr()
    assert "as 'mechc design' does" in err and "wage[Success] = 2.5 (5/2)" in out


def test_implementing_an_unknown_action_is_located():
    text = (ROOT / "specs" / "design" / "moral_hazard.mech").read_text().replace("implement Work", "implement Wrok")
    with pytest.raises(mechc.SpecErrors, match="not one of the actions"):
        mechc.load_text(text, "c.mech")


def test_llm_pay_for_performance_contract():
    # after Saig et al. (2024): min-pay contract pays only on the largest-likelihood-ratio outcome
    # (all 5 tests pass): w = 1 / ((4/5)^5 - (1/2)^5) = 100000/29643, expected pay 32768/29643
    from fractions import Fraction as F

    from mechc.design import solve_contract

    r = solve_contract(mechc.load(ROOT / "specs" / "design" / "llm_code_contract.mech"))
    w = 1 / (F(4, 5) ** 5 - F(1, 2) ** 5)
    assert r.wages[("pay", "5")] == w and all(r.wages[("pay", str(k))] == 0 for k in range(5))
    assert r.objective_exact == str(F(4, 5) ** 5 * w) == "32768/29643"


def test_binomial_pmf_sums_to_one_exactly():
    text = """contract C {
  set A = {Lo, Hi}
  set K = 0..7
  q[a in A, y in K] = binomial(7, if a == Hi then 2/3 else 1/4, y)
  decide w[y in K]: real in [0, 1]
  utility[a in A] = sum(y in K, q[a, y] * w[y])
  implement Hi
  minimize sum(y in K, q[Hi, y] * w[y])
}"""
    from mechc.model.evaluate import Evaluation

    m = mechc.load_text(text, "b.mech")
    ev = Evaluation(m, [], [], exact=True)
    from fractions import Fraction as F

    assert sum(ev.ref("q", (m.symbols["Hi"], y)) for y in range(8)) == F(1)
    assert ev.ref("q", (m.symbols["Lo"], 2)) == 21 * F(1, 4) ** 2 * F(3, 4) ** 5


def test_min_budget_contract_is_a_threshold_contract():
    # Saig et al. (2024): min-budget contracts are threshold contracts; here B on 4 and 5 passes,
    # B = 1 / (f_S(4) + f_S(5) - f_C(4) - f_C(5)) = 50000/27489
    from fractions import Fraction as F

    from mechc.design import solve_contract

    r = solve_contract(mechc.load(ROOT / "specs" / "design" / "llm_code_contract_budget.mech"))
    B = F(50000, 27489)
    assert r.objective_exact == str(B)
    assert [r.wages[("pay", str(k))] for k in range(6)] == [0, 0, 0, 0, B, B]


def test_deterministic_allocations_make_a_milp():
    res = solve_design(mechc.load(ROOT / "specs" / "design" / "optimal_auction_deterministic.mech"))
    # a MILP has no exact certificate: the re-verified rational value is given apart, never as "exact"
    assert res.program == "MILP" and res.verified_objective == "3/2" and res.objective_exact is None
    assert all(v in (0, 1) for (name, _), arr in res.values.items() if name == "x" for v in arr.reshape(-1))


def test_contract_implements_the_best_action():
    from mechc.design import solve_contract

    r = solve_contract(mechc.load(ROOT / "specs" / "design" / "moral_hazard_best_action.mech"))
    assert r.target == "Work" and r.objective_exact == "6"  # against 4 for implementing Shirk
    assert any("implementing Shirk: optimal, objective 4" in n for n in r.notes)


def test_interval_design_is_written_out_on_its_grid(tmp_path, capsys):
    assert main(["design", "bench/optimal_auction_grid.mech", "--grid", "5", "-o", str(tmp_path)]) == 0
    spec = tmp_path / "optimal_auction_grid_designed.mech"
    # the equal-probability grid: cell midpoints of U[0, 1], weight 1/5 each
    assert "in {1/10, 3/10, 1/2, 7/10, 9/10} ~ [1/5, 1/5, 1/5, 1/5, 1/5]" in spec.read_text()
    assert main(["check", str(spec)]) == 0
