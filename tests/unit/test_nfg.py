"""Gambit .nfg interop: reading both file variants, writing, round trips, and the optional back end."""

from pathlib import Path

import numpy as np
import pytest

import mechc
from mechc.cli import main
from mechc.games import payoff_arrays, solve
from mechc.games.nfg import from_model, read_nfg, to_mech, write_nfg

ROOT = Path(__file__).resolve().parents[2]
GAMES = sorted((ROOT / "specs" / "games").glob("*.mech"))
FINITE = [p for p in GAMES if p.stem not in ("cournot", "stackelberg_pricing")]

# The payoff variant, as in the Gambit manual's example e02.nfg (Selten 1975, figure 2)
SELTEN = 'NFG 1 R "Selten (IJGT, 75), Figure 2, normal form"\n{ "Player 1" "Player 2" } { 3 2 }\n\n1 1 0 2 0 2 1 1 0 3 2 0\n'


def _nf(path):
    model = mechc.load(path)
    U, gs, _ = payoff_arrays(model, exact=True)
    return model, from_model(model, U, gs, 1)


@pytest.mark.parametrize("path", FINITE, ids=lambda p: p.stem)
def test_round_trip_mech_nfg_mech(path):
    model, nf = _nf(path)
    text = write_nfg(nf)
    back = read_nfg(text, "x.nfg")
    assert back.players == nf.players and back.strategies == nf.strategies
    assert np.array_equal(back.payoffs, nf.payoffs)
    # .nfg -> .mech -> .nfg gives the same payoffs, and the same equilibria
    again = mechc.load_text(to_mech(back), "again.mech")
    U, gs, _ = payoff_arrays(again, exact=True)
    assert np.array_equal(from_model(again, U, gs, 1).payoffs, nf.payoffs)
    s1, s2 = solve(model), solve(again)
    assert len(s1.equilibria) == len(s2.equilibria)
    if s1.mixed is not None:
        assert [(e.x, e.y) for e in s1.mixed.equilibria] == [(e.x, e.y) for e in s2.mixed.equilibria]


def test_reads_the_payoff_variant_player_one_fastest():
    nf = read_nfg(SELTEN, "e02.nfg")
    assert nf.players == ["Player 1", "Player 2"] and [len(s) for s in nf.strategies] == [3, 2]
    # profile order (1,1), (2,1), (3,1), (1,2), ...: payoffs (1,1) (0,2) (0,2) (1,1) (0,3) (2,0)
    assert [str(v) for v in nf.payoffs[1, 0]] == ["0", "2"] and [str(v) for v in nf.payoffs[2, 1]] == ["2", "0"]
    sol = solve(mechc.load_text(to_mech(nf), "e02.mech"))
    assert sol.mixed.degenerate  # Selten's game: Player 1's first strategy pays 1 whatever Player 2 does


def test_writer_matches_gambits_own_layout():
    # the text pygambit 16.7 writes for Game.from_arrays(A, B, title="t") of the 3 x 2 game
    gambit = ('NFG 1 R "t" { "1" "2" }\n\n{ { "1" "2" "3" }\n{ "1" "2" }\n}\n""\n\n{\n{ "" 3, 3 }\n{ "" 2, 2 }\n'
              '{ "" 0, 3 }\n{ "" 3, 2 }\n{ "" 5, 6 }\n{ "" 6, 1 }\n}\n1 2 3 4 5 6 \n')
    assert write_nfg(read_nfg(gambit, "t.nfg")) == gambit


@pytest.mark.parametrize("text, message", [
    ("NFG 2 R \"x\" { \"a\" } { 1 }\n1\n", "only version 1"),
    ("EFG 2 R \"x\"", "not a Gambit strategic-form file"),
    ('NFG 1 R "x" { "a" "b" } { 2 2 }\n1 2 3\n', "expected num"),
    ('NFG 1 R "x" { "a" "b" } { 2 2 }\n1 2 3 4 5 6 7 8 9\n', "unexpected text after the payoffs"),
    ('NFG 1 R "x" { "a" "b" }\n{ { "L" "R" } { "U" "D" } }\n""\n{ { "" 1, 2 } }\n1 2 1 1\n', "outcome 2 is not defined"),
])
def test_bad_nfg_is_located(tmp_path, capsys, text, message):
    f = tmp_path / "bad.nfg"
    f.write_text(text)
    assert main(["solve", str(f)]) == 2
    err = capsys.readouterr().err
    assert message in err and "bad.nfg:" in err and "Traceback" not in err


def test_convert_cli(tmp_path, capsys):
    out = tmp_path / "g.nfg"
    assert main(["convert", "specs/games/coordination_3x3.mech", str(out)]) == 0
    assert main(["convert", str(out), "-"]) == 0
    text = capsys.readouterr().out
    assert "payoff = [(1, 1) (0, 0) (0, 0);" in text
    assert main(["solve", str(out), "--format", "json"]) == 0
    assert "mixed_equilibria" in capsys.readouterr().out
    assert main(["convert", "specs/games/cournot.mech", str(tmp_path / "c.nfg")]) == 2


def test_solve_writes_nfg(tmp_path):
    f = tmp_path / "pd.nfg"
    assert main(["solve", "specs/games/prisoners_dilemma.mech", "--write-nfg", str(f)]) == 0
    assert read_nfg(f.read_text()).strategies == [["Cooperate", "Defect"]] * 2


def test_gambit_agrees_on_mixed_equilibria():
    pytest.importorskip("pygambit")
    from mechc.games import gambit

    for name in ("three_by_two", "degenerate_3x2", "coordination_3x3", "battle_of_the_sexes"):
        sol = solve(mechc.load(ROOT / "specs" / "games" / f"{name}.mech"), cross_check=True)
        assert any("finds the same" in n for n in sol.notes), (name, sol.notes)
    # three players: Gambit's equilibria, re-checked by regret
    text = """game Three { agents i in 1..3
      strategy s[i] in {H, T}
      payoff[i] = if i == 1 then (if s[1] == s[2] then 1 else -1) else if i == 2 then (if s[2] == s[3] then 1 else -1)
                  else (if s[3] == s[1] then -1 else 1) }"""
    sol = solve(mechc.load_text(text, "three.mech"))
    assert sol.mixed_n and all(r <= 1e-6 for _, r in sol.mixed_n)
    assert gambit.available()
