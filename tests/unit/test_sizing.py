"""Every job is sized before it runs (issue 23): each absurd-but-easy request is refused with exit
code 3, the estimate, the limit and the flag -- or solved where a fast path exists. Estimates are
exact integers (numpy's int64 products wrap around), so each test pins the count in the message."""

from pathlib import Path

import pytest

import mechc
import mechc.cli as cli
from mechc.games import solve
from mechc.games.continuous import MAX_ROUNDS, symbolic_refusal
from mechc.limits import refuse_if, size_text

ROOT = Path(__file__).resolve().parents[2]
AUCTION = """mechanism S {{
  agents i in {agents}
  type v[i] in {{0, 1}} ~ uniform
  report b[i] of v[i]
  x[i] = if b[i] >= 1 then 1 else 0
  pay[i] = {pay}
  utility[i] = v[i] * x[i] - pay[i]
  require dsic
}}
"""
DESIGN = """design D {
  param n: int = 4
  agents i in 1..n
  type v[i]: real in [0, 1] ~ uniform
  report b[i] of v[i]
  decide x[i]: real in [0, 1], pay[i]: real
  utility[i] = v[i] * x[i] - pay[i]
  subject to bic, interim_ir
  maximize expect sum(i in 1..n, pay[i])
}
"""


def refused(capsys, tmp_path, text: str, *args: str) -> str:
    spec = tmp_path / "s.mech"
    spec.write_text(text)
    command, *rest = args
    assert cli.main([command, str(spec), *rest]) == 3
    err = capsys.readouterr().err
    assert "resource limit" in err and "Traceback" not in err
    return err


def test_counts_are_exact_integers_however_big():
    assert size_text(12_345) == "12,345" and size_text(50_000_000) == "50,000,000"
    assert size_text(2**5000) == "about 1.4e+1505"  # float(2**5000) overflows
    assert size_text(5**100_000) == "about 1.0e+69897"  # str() of it is refused (4300 digits)
    with pytest.raises(mechc.ResourceLimit, match="the limit is 10") as e:
        refuse_if(11, 10, "things:", "--max-things")
    assert e.value.flag == "--max-things"
    refuse_if(10, 10, "things:", "--max-things")  # at the limit: runs


@pytest.mark.parametrize(("power", "bits"), [("(3/2) ^ 1000000000", "2,000,000,000"),
                                              ("9 ^ 9 ^ 9", "1,549,681,956")])
def test_huge_constant_powers_are_refused_before_sympy_builds_them(capsys, tmp_path, power, bits):
    err = refused(capsys, tmp_path, AUCTION.format(agents="1..2", pay=f"0 * {power}"), "check")
    assert "constant power" in err and bits in err and "1,000,000" in err


def test_a_huge_power_of_a_report_is_refused_before_exact_evaluation(capsys, tmp_path):
    pay = "min(0, (b[i] + 3/2) ^ 1000000000)"  # Fraction(5/2) ** 10^9 would never finish
    err = refused(capsys, tmp_path, AUCTION.format(agents="1..2", pay=pay), "check")
    assert "at least 1,000,000,000" in err and "s.mech:6:" in err


def test_a_sum_over_ten_to_the_ten_index_pairs_is_refused(capsys, tmp_path):
    pay = "sum(j in 1..100000, k in 1..100000, 0)"
    err = refused(capsys, tmp_path, AUCTION.format(agents="1..2", pay=pay), "check")
    assert "10,000,000,000" in err and "s.mech:6:" in err
    nested = "sum(j in 1..10000, sum(k in 1..10000, 0))"  # nested aggregates multiply
    assert "100,000,000" in refused(capsys, tmp_path, AUCTION.format(agents="1..2", pay=nested), "check")


def test_a_spec_over_the_size_limit_is_exit_3_not_2(capsys, tmp_path):
    text = "# " + "x" * 1_000_001 + "\n" + AUCTION.format(agents="1..2", pay="0")
    assert "1,000,000" in refused(capsys, tmp_path, text, "check")


@pytest.mark.parametrize(("agents", "count"), [("1..1000", "about 1.1e+301"),  # 2^1000 profiles
                                               ("{" + ", ".join(f"A{k}" for k in range(1100)) + "}", "about 1.4e+331")])
def test_thousands_of_agents_are_refused_with_a_count_float_cannot_hold(capsys, tmp_path, agents, count):
    err = refused(capsys, tmp_path, AUCTION.format(agents=agents, pay="0"), "check")
    assert "agents) points" in err and f"({count} report profiles)" in err and "--max-cells" in err


@pytest.mark.parametrize(("params", "count"), [(["--grid", "65536"], "about 1.5e+20"),  # int64 wraps to 0
                                               (["--param", "n=64", "--grid", "2"], "about 2.4e+21"),
                                               (["--param", "n=3", "--grid", "100001"], "about 6.0e+15")])
def test_designs_are_sized_before_any_grid_is_built(capsys, tmp_path, params, count):
    err = refused(capsys, tmp_path, DESIGN, "design", *params)
    assert "decision variables of the design" in err and count in err


def test_mixed_equilibria_of_a_300_by_300_game_are_refused_before_the_payoff_table(capsys, tmp_path):
    game = ("game Big {\n agents i in {Row, Col}\n strategy s[i] in 1..300\n"
            " payoff[i] = if i == Row then abs(s[Row] * 7 - s[Col] * 3) else abs(s[Row] - s[Col])\n}\n")
    err = refused(capsys, tmp_path, game, "solve")
    assert "300 x 300" in err and "about 1.4e+179" in err and "--max-bases" in err
    small = game.replace("1..300", "1..4")  # C(8, 4) = 70 bases: over a limit of 69, under 70
    assert "70" in refused(capsys, tmp_path, small, "solve", "--max-bases", "69")
    assert cli.main(["solve", str(tmp_path / "s.mech"), "--max-bases", "70"]) == 0


@pytest.mark.parametrize(("game", "count"), [
    ("game G {\n agents i in 1..20\n strategy s[i] in 1..20\n payoff[i] = s[i]\n}\n", "about 2.1e+27"),
    ("game T {\n agents i in 1..9\n strategy s[i] in 0..9\n moves 1 then 2 then 3 then 4 then 5 then 6 then 7 "
     "then 8 then 9\n payoff[i] = s[i]\n}\n", "9,000,000,000")])
def test_huge_finite_games_and_game_trees_are_refused(capsys, tmp_path, game, count):
    err = refused(capsys, tmp_path, game, "solve")
    assert count in err and "--max-cells" in err


def test_plots_are_sized_before_the_grid_is_evaluated(capsys, tmp_path):
    spec = str(ROOT / "specs" / "second_price_interval.mech")
    assert cli.main(["plot", spec, "--grid", "100001", "-o", str(tmp_path / "p.png")]) == 3
    assert "10,000,200,001" in capsys.readouterr().err
    assert cli.main(["plot", spec, "--grid", "11", "--max-cells", "120", "-o", str(tmp_path / "p.png")]) == 3
    assert "121" in capsys.readouterr().err


def test_cournot_with_many_firms_is_solved_by_linear_elimination():
    text = (ROOT / "specs" / "games" / "cournot.mech").read_text().replace("1..2", "1..20")
    sol = solve(mechc.load_text(text, "c.mech"))
    (e,) = sol.equilibria
    assert e.exact and set(map(str, e.profile)) == {"30/7"}  # (a - c) / ((n + 1) b) = 90/21
    assert str(e.formulas[0]) == "(a - c)/(21*b)"


def test_whether_sympy_is_asked_is_decided_by_the_system_alone():
    import sympy

    xs = sympy.symbols("x1:6", real=True)
    linear = [x * (10 - sum(xs)) for x in xs]  # FOCs of degree 1: solved for any number of players
    assert symbolic_refusal(list(xs), linear) is None
    cubic = [x * (10 - sum(y**3 for y in xs)) for x in xs]  # 5 players, Bezout bound 3^5
    why = symbolic_refusal(list(xs), cubic)
    assert "Bezout bound 243" in why and "5 players" in why
    assert "not rational" in symbolic_refusal([xs[0]], [sympy.exp(xs[0])])


def test_iterated_best_response_states_its_round_budget():
    text = (ROOT / "specs" / "games" / "cournot.mech").read_text().replace(
        "payoff[i] = (price - c) * q[i]", "payoff[i] = price * q[i] - exp(q[i] / 50)")
    sol = solve(mechc.load_text(text, "n.mech"))
    assert any(f"of at most {MAX_ROUNDS} rounds" in n for n in sol.notes)


def test_iterated_best_response_gives_many_players_fewer_rounds_and_says_so():
    import sympy

    from mechc.games.continuous import MAX_BEST_RESPONSES, _iterated_best_response

    xs = list(sympy.symbols("x1:21", real=True))
    us = [-(x - sympy.Rational(1, 3)) ** 2 for x in xs]  # separable: converges in two rounds
    q, note = _iterated_best_response(xs, us, [(sympy.Integer(0), sympy.Integer(1))] * 20)
    rounds = MAX_BEST_RESPONSES // 20
    assert f"of at most {rounds} rounds" in note and f"{MAX_BEST_RESPONSES:,} best responses over 20 players" in note
    assert max(abs(v - 1 / 3) for v in q) < 1e-6


def test_solve_sweeps_use_the_same_limits(capsys, tmp_path):
    game = "game G {\n param n: int = 2\n agents i in 1..n\n strategy s[i] in 1..3\n payoff[i] = s[i]\n}\n"
    err = refused(capsys, tmp_path, game, "solve", "--sweep", "n=2:3:1", "--max-cells", "20")
    assert "payoffs of G to evaluate (3 players x 27 strategy profiles): 81" in err


def test_a_limit_no_flag_raises_says_so_instead_of_naming_a_flag(capsys, tmp_path):
    err = refused(capsys, tmp_path, AUCTION.format(agents="1..2", pay="0 * 9 ^ 9 ^ 9"), "check")
    assert "hint: a smaller exponent: no flag raises this limit" in err and "raise the limit with" not in err
    err = refused(capsys, tmp_path, DESIGN, "design", "--grid", "65536")
    assert "hint: a smaller --grid or --param: no flag raises this limit" in err
