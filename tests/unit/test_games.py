"""Game blocks: pure Nash equilibria and dominant strategies of the classic games."""

import json
import time
from pathlib import Path

import pytest

import mechc
from mechc.cli import main
from mechc.games import solve

ROOT = Path(__file__).resolve().parents[2]

PURE = {
    "prisoners_dilemma": [("Defect", "Defect")],
    "battle_of_the_sexes": [("Opera", "Opera"), ("Football", "Football")],
    "stag_hunt": [("Stag", "Stag"), ("Hare", "Hare")],
    "chicken": [("Swerve", "Straight"), ("Straight", "Swerve")],
    "matching_pennies": [],
    "data_sharing": [("Withhold", "Withhold", "Withhold")],
}


@pytest.mark.parametrize("name", sorted(PURE))
def test_pure_equilibria_of_the_classic_games(name):
    sol = solve(mechc.load(ROOT / "specs" / "games" / f"{name}.mech"))
    assert sorted(p for p, _ in sol.equilibria) == sorted(PURE[name])
    assert sol.exact


def test_dominant_strategies():
    pd = solve(mechc.load(ROOT / "specs" / "games" / "prisoners_dilemma.mech"))
    assert pd.dominant == {"Row": ("Defect", "strictly"), "Col": ("Defect", "strictly")}
    bos = solve(mechc.load(ROOT / "specs" / "games" / "battle_of_the_sexes.mech"))
    assert bos.dominant == {"Row": None, "Col": None}


def test_data_sharing_dilemma_for_more_developers():
    # withholding stays strictly dominant for any n, though all sharing pays each 2n - 3 > 0
    sol = solve(mechc.load(ROOT / "specs" / "games" / "data_sharing.mech", n=5))
    assert [p for p, _ in sol.equilibria] == [("Withhold",) * 5]
    assert [str(v) for v in sol.equilibria[0][1]] == ["0"] * 5


def test_pure_equilibria_of_a_160000_profile_game_are_fast():
    t = time.perf_counter()
    sol = solve(mechc.load(ROOT / "bench" / "cournot_4x20.mech"))
    assert time.perf_counter() - t < 5  # the benchmark figure is ~0.2 s; the bound only catches loops
    assert sol.profiles == 160_000 and sol.equilibria
    # near the continuous Cournot quantity (a - c) / ((n + 1) b) = 96/5
    assert all(18 <= int(q) <= 20 for p, _ in sol.equilibria for q in p)


def test_solve_cli(capsys):
    assert main(["solve", "specs/games/stag_hunt.mech", "--format", "json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert [e["profile"] for e in out["pure_equilibria"]] == [{"Row": "Stag", "Col": "Stag"},
                                                              {"Row": "Hare", "Col": "Hare"}]
    assert main(["solve", "specs/vickrey.mech"]) == 2
    assert "not a game" in capsys.readouterr().err


def test_strategy_outside_a_game_is_located():
    text = (ROOT / "specs" / "games" / "stag_hunt.mech").read_text().replace("game StagHunt", "mechanism StagHunt")
    with pytest.raises(mechc.SpecErrors, match="belongs in a game block"):
        mechc.load_text(text, "g.mech")


def _fr(pairs):
    return [tuple(str(v) for v in p) for p in pairs]


# Mixed equilibria with their known values (each derived by hand from the indifference conditions):
# battle of the sexes (2/3, 1/3) vs (1/3, 2/3); chicken 9/10 swerve; stag hunt 3/4 stag;
# matching pennies 1/2; the 3 x 2 game (von Stengel 2002) three equilibria; the 3 x 3
# coordination game diag(1, 2, 3) seven equilibria, one per support, mixing in proportion 1/payoff.
MIXED = {
    "battle_of_the_sexes": [(("1", "0"), ("1", "0")), (("2/3", "1/3"), ("1/3", "2/3")), (("0", "1"), ("0", "1"))],
    "chicken": [(("1", "0"), ("0", "1")), (("9/10", "1/10"), ("9/10", "1/10")), (("0", "1"), ("1", "0"))],
    "stag_hunt": [(("1", "0"), ("1", "0")), (("3/4", "1/4"), ("3/4", "1/4")), (("0", "1"), ("0", "1"))],
    "matching_pennies": [(("1/2", "1/2"), ("1/2", "1/2"))],
    "prisoners_dilemma": [(("0", "1"), ("0", "1"))],
    "three_by_two": [(("1", "0", "0"), ("1", "0")), (("4/5", "1/5", "0"), ("2/3", "1/3")),
                     (("0", "1/3", "2/3"), ("1/3", "2/3"))],
    "coordination_3x3": [(("1", "0", "0"), ("1", "0", "0")), (("3/4", "0", "1/4"), ("3/4", "0", "1/4")),
                         (("2/3", "1/3", "0"), ("2/3", "1/3", "0")), (("6/11", "3/11", "2/11"),) * 2,
                         (("0", "1", "0"), ("0", "1", "0")), (("0", "3/5", "2/5"),) * 2, (("0", "0", "1"),) * 2],
}


@pytest.mark.parametrize("name", sorted(MIXED))
def test_mixed_equilibria_of_the_classic_games(name):
    sol = solve(mechc.load(ROOT / "specs" / "games" / f"{name}.mech"))
    assert sol.mixed.exact
    got = [(tuple(str(v) for v in e.x), tuple(str(v) for v in e.y)) for e in sol.mixed.equilibria]
    assert sorted(got) == sorted(MIXED[name])
    assert not sol.mixed.degenerate


def test_degenerate_game_reports_its_continuum():
    sol = solve(mechc.load(ROOT / "specs" / "games" / "degenerate_3x2.mech"))
    mx = sol.mixed
    assert mx.degenerate
    got = sorted((tuple(str(v) for v in e.x), tuple(str(v) for v in e.y)) for e in mx.equilibria)
    assert got == sorted([(("1", "0", "0"), ("1", "0")), (("1", "0", "0"), ("2/3", "1/3")),
                          (("0", "1/3", "2/3"), ("1/3", "2/3"))])
    # Top against every mixture of Left and (2/3, 1/3): one maximal Nash subset with two y-vertices
    big = [c for c in mx.components if len(c[1]) == 2]
    assert len(big) == 1 and [str(v) for v in mx.xs[big[0][0][0]]] == ["1", "0", "0"]
    assert sorted(tuple(str(v) for v in mx.ys[k]) for k in big[0][1]) == [("1", "0"), ("2/3", "1/3")]


def _support_enumeration(A, B):
    """Reference for nondegenerate games: every pair of equal-size supports, indifference solved by
    numpy, kept when it is a best response. Plain and slow on purpose."""
    from itertools import combinations

    import numpy as np

    m, n = A.shape
    out = []
    for k in range(1, min(m, n) + 1):
        for S in combinations(range(m), k):
            for J in combinations(range(n), k):
                # y on J makes rows S indifferent; x on S makes columns J indifferent
                My = np.vstack([np.array([A[i, list(J)] - A[S[0], list(J)] for i in S[1:]]).reshape(k - 1, k),
                                np.ones((1, k))])
                Mx = np.vstack([np.array([B[list(S), j] - B[list(S), J[0]] for j in J[1:]]).reshape(k - 1, k),
                                np.ones((1, k))])
                rhs = np.zeros(k)
                rhs[-1] = 1
                try:
                    yJ, xI = np.linalg.solve(My, rhs), np.linalg.solve(Mx, rhs)
                except np.linalg.LinAlgError:
                    continue
                if (yJ < -1e-12).any() or (xI < -1e-12).any():
                    continue
                x, y = np.zeros(m), np.zeros(n)
                x[list(S)], y[list(J)] = xI, yJ
                if (A @ y).max() <= x @ A @ y + 1e-9 and (B.T @ x).max() <= x @ B @ y + 1e-9:
                    out.append((x, y))
    return out


@pytest.mark.parametrize("seed", range(6))
def test_mixed_equilibria_agree_with_support_enumeration_on_random_games(seed):
    import numpy as np

    from mechc.games.mixed import mixed_equilibria

    rng = np.random.default_rng(seed)
    m, n = 3 + seed % 3, 3 + seed // 2
    A, B = rng.standard_normal((m, n)), rng.standard_normal((m, n))  # nondegenerate with probability 1
    ref = _support_enumeration(A, B)
    got = mixed_equilibria(A, B)
    assert not got.degenerate and len(got.equilibria) == len(ref) and len(ref) % 2 == 1  # odd: Lemke-Howson
    for x, y in ref:
        assert any(np.allclose(x, e.x, atol=1e-8) and np.allclose(y, e.y, atol=1e-8) for e in got.equilibria)


def test_stackelberg_commitment():
    sol = solve(mechc.load(ROOT / "specs" / "games" / "commitment.mech"))
    st = sol.stackelberg
    assert st.exact and [str(v) for v in st.x] == ["1/2", "1/2"] and str(st.value) == "7/2"
    assert st.pure[:3] == (1, 1, 3)  # commit to Down, Col plays Right, leader gets 3
    assert [str(v) for v in sol.mixed.equilibria[0].payoffs] == ["2", "1"]  # Nash pays the leader only 2


def test_iterated_elimination():
    text = """game G { agents i in {R, C}
      strategy s[R] in {U, M, D}
      strategy s[C] in {L, X, Rt}
      payoff = [(4, 3) (5, 1) (6, 2); (2, 1) (8, 4) (3, 6); (3, 0) (9, 6) (2, 8)] }"""
    sol = solve(mechc.load_text(text, "g.mech"))
    # X is dominated by Rt; then M and D by U; then Rt by L: (U, L) survives (Gibbons 1992, fig. 1.1.4 style)
    assert sol.surviving == [["U"], ["L"]]
    assert [p for p, _ in sol.equilibria] == [("U", "L")]


@pytest.mark.parametrize("text, message", [
    ("payoff = [(1, 1) (0, 0); (0, 0)]", "the table has 3 cells; the strategy profiles are 2 x 2 = 4"),
    ("payoff = [(1, 1) (0, 0) (0, 0); (1, 1)]", "row 1 has 3 cells; player C has 2 strategies"),
    ("payoff = [(1, 1, 1) (0, 0); (0, 0) (1, 1)]", "a cell has 3 payoffs; the game has 2 players"),
    ("payoff = [(s[R], 1) (0, 0); (0, 0) (1, 1)]", "cannot read strategies"),
])
def test_payoff_table_errors_are_located(text, message):
    spec = f"game G {{\n  agents i in {{R, C}}\n  strategy s[i] in {{1, 2}}\n  {text}\n}}"
    with pytest.raises(mechc.SpecErrors, match=message) as e:
        mechc.load_text(spec, "g.mech")
    assert e.value.errors[0].span.line == 4


def test_leader_must_be_a_player():
    text = (ROOT / "specs" / "games" / "commitment.mech").read_text().replace("leader Leader", "leader Boss")
    with pytest.raises(mechc.SpecErrors, match="'Boss' is not a player"):
        mechc.load_text(text, "g.mech")


def test_solve_json_has_mixed_and_stackelberg(capsys):
    assert main(["solve", "specs/games/commitment.mech", "--format", "json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["stackelberg"]["mixed"]["leader"] == {"Up": "1/2", "Down": "1/2"}
    assert out["mixed_equilibria"]["equilibria"][0]["strategies"]["Leader"] == {"Up": "1", "Down": "0"}


def test_cournot_quantities_and_formula():
    # Cournot: q = (a - c) / (3 b) each; profit (a - c)^2 / (9 b) (see the spec's header)
    sol = solve(mechc.load(ROOT / "specs" / "games" / "cournot.mech"))
    (e,) = sol.equilibria
    assert [str(v) for v in e.profile] == ["30", "30"] and [str(v) for v in e.payoffs] == ["900", "900"]
    assert e.exact and [str(f) for f in e.formulas] == ["(a - c)/(3*b)"] * 2
    sol = solve(mechc.load(ROOT / "specs" / "games" / "cournot.mech", a=50, b=2))
    assert [str(v) for v in sol.equilibria[0].profile] == ["20/3", "20/3"]


def test_stackelberg_cournot_and_price_leadership():
    text = (ROOT / "specs" / "games" / "cournot.mech").read_text().replace("agents i in 1..2", "agents i in 1..2\n  leader 1")
    st = solve(mechc.load_text(text, "s.mech")).stackelberg
    # von Stackelberg: leader (a - c) / (2b) = 45, follower (a - c) / (4b) = 45/2
    assert [str(v) for v in st.profile] == ["45", "45/2"] and [str(v) for v in st.payoffs] == ["2025/2", "2025/4"]
    sol = solve(mechc.load(ROOT / "specs" / "games" / "stackelberg_pricing.mech"))
    assert [str(v) for v in sol.equilibria[0].profile] == ["28/3", "28/3"]  # (a + c) / (2 - d)
    assert [str(v) for v in sol.stackelberg.profile] == ["69/7", "265/28"]  # Gal-Or 1985, derived in the spec
    assert sol.stackelberg.payoffs[1] > sol.stackelberg.payoffs[0]  # second-mover advantage


def test_nonpolynomial_continuous_game_is_solved_numerically_and_says_so():
    text = (ROOT / "specs" / "games" / "cournot.mech").read_text().replace(
        "payoff[i] = (price - c) * q[i]", "payoff[i] = price * q[i] - exp(q[i] / 50)")
    sol = solve(mechc.load_text(text, "n.mech"))
    (e,) = sol.equilibria
    assert not e.exact and "numerical" in e.how and any("converged" in n for n in sol.notes)
    import math
    q = float(e.profile[0])  # the symmetric FOC: 100 - 3 q - exp(q / 50) / 50 = 0
    assert abs(100 - 3 * q - math.exp(q / 50) / 50) < 1e-8


def test_braess_paradox_65_to_80_minutes():
    # Braess: 65 minutes per trip without the shortcut, 80 with it; price of anarchy 80/65 = 16/13
    sol = solve(mechc.load(ROOT / "specs" / "games" / "braess.mech"))
    assert [p for p, _ in sol.equilibria] == [("Shortcut",) * 4]
    assert [sol.sign * v for v in sol.equilibria[0][1]] == [80] * 4
    assert sol.welfare["optimum"] == 260 and str(sol.welfare["price_of_anarchy"]) == "16/13"
    closed = solve(mechc.load(ROOT / "specs" / "games" / "braess.mech", shortcut=False))
    assert len(closed.equilibria) == 6  # any two blocks via A, the other two via B
    assert all(sol_v == 65 for _, pay in closed.equilibria for sol_v in (closed.sign * v for v in pay))
    assert closed.welfare["price_of_anarchy"] == 1


def test_game_requirements_verified_and_violated(capsys):
    sol = solve(mechc.load(ROOT / "specs" / "games" / "prisoners_dilemma.mech"))
    assert [(p["label"], p["verdict"]) for p in sol.properties] == [
        ("nash(Defect, Defect)", "verified"), ("strictly_dominant(Defect)", "verified")]
    text = """game PD {
      agents i in {Row, Col}
      strategy s[i] in {Cooperate, Defect}
      payoff = [(3, 3) (0, 5); (5, 0) (1, 1)]
      require nash(Cooperate, Cooperate), dominant(Col, Cooperate), pure_equilibrium
    }"""
    sol = solve(mechc.load_text(text, "pd.mech"))
    assert [(p["verdict"], p["detail"]) for p in sol.properties] == [
        ("violated", "Row gains 2 by playing Defect instead of Cooperate"),
        ("violated", "for Col, Defect does better when Row plays Cooperate"),
        ("verified", "e.g. (Defect, Defect)")]
    assert str(sol.welfare["price_of_anarchy"]) == "3"  # 6 at (C, C) against 2 at (D, D)
    bad = text.replace("pure_equilibrium", "pure_equilibrium, nash(Cooperate, Foo), dominant(Bob, Defect), nsh")
    with pytest.raises(mechc.SpecErrors) as e:
        mechc.load_text(bad, "pd.mech")
    assert [x.message for x in e.value.errors] == [
        "'Foo' is not a strategy of player Col", "'Bob' is not a player", "unknown game property 'nsh'"]


def test_solve_exit_code_on_a_violated_requirement(tmp_path, capsys):
    f = tmp_path / "mp.mech"
    f.write_text((ROOT / "specs" / "games" / "matching_pennies.mech").read_text().replace(
        "  payoff[i]", "  require pure_equilibrium\n  payoff[i]"))
    assert main(["solve", str(f)]) == 1
    assert "require pure_equilibrium: violated (none among all 4 profiles)" in capsys.readouterr().out


def test_solve_sweep(capsys):
    # Cournot: q = (a - c) / 3 for a = 100, b = 1
    assert main(["solve", "specs/games/cournot.mech", "--sweep", "c=0:30:10"]) == 0
    assert capsys.readouterr().out.splitlines() == [
        "c = 0: (100/3, 100/3)", "c = 10: (30, 30)", "c = 20: (80/3, 80/3)", "c = 30: (70/3, 70/3)"]
    assert main(["solve", "specs/games/braess.mech", "--sweep", "drivers=4000:6000:2000", "--format", "json"]) == 0
    rows = json.loads(capsys.readouterr().out)["rows"]
    assert rows[0]["price_of_anarchy"] == "16/13" and rows[0]["pure_equilibrium"] == "verified"
    assert main(["solve", "specs/games/braess.mech", "--sweep", "drivres=1:2:1"]) == 2
    assert "unknown parameter 'drivres'" in capsys.readouterr().err


def test_game_without_payoffs_is_located():
    with pytest.raises(mechc.SpecErrors, match="defines no payoffs") as e:
        mechc.load_text("game G {\n  agents i in {A, B}\n  strategy s[i] in {X, Y}\n}\n", "g.mech")
    assert e.value.errors[0].span.line == 1


def test_stackelberg_of_a_cost_game_is_shown_in_costs():
    text = (ROOT / "specs" / "games" / "commitment.mech").read_text().replace(
        "payoff = [(2, 1) (4, 0);", "cost = [(-2, -1) (-4, 0);").replace("(1, 0) (3, 1)]", "(-1, 0) (-3, -1)]")
    from mechc.games import solution_lines

    lines = solution_lines(solve(mechc.load_text(text, "c.mech")))
    assert any("mixed commitment 1/2 Up + 1/2 Down -> Follower plays Right; costs (-7/2, -1/2)" in ln for ln in lines)
