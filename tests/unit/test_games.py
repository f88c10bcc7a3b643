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
