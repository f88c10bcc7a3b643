"""Sequential games (`moves A then B ...`): subgame-perfect equilibria by backward induction."""

import itertools
import subprocess
import sys
from fractions import Fraction
from pathlib import Path

import numpy as np
import pytest

import mechc
from mechc.games import solve
from mechc.games.sequential import backward_induction

ROOT = Path(__file__).resolve().parents[2]


def _spe_outcomes_brute_force(U, sizes):
    """Every outcome of a subgame-perfect profile, by enumerating all contingent plans (each player
    picks one move at each of its nodes) and keeping the profiles that are optimal at every node.
    Players move in index order. Only for tiny trees: the reference for backward_induction."""
    n = len(sizes)
    nodes = [list(itertools.product(*[range(s) for s in sizes[:k]])) for k in range(n)]
    plans = [list(itertools.product(range(sizes[k]), repeat=len(nodes[k]))) for k in range(n)]

    def play(profile, prefix):
        path = list(prefix)
        for k in range(len(prefix), n):
            path.append(profile[k][nodes[k].index(tuple(path))])
        return tuple(path)

    out = set()
    for profile in itertools.product(*plans):
        ok = True
        for k in range(n):
            for h, node in enumerate(nodes[k]):
                chosen = U[k][play(profile, node + (profile[k][h],))]
                best = max(U[k][play(profile, node + (a,))] for a in range(sizes[k]))
                if chosen < best:
                    ok = False
                    break
            if not ok:
                break
        if ok:
            out.add(play(profile, ()))
    return out


@pytest.mark.parametrize("seed", range(12))
def test_all_subgame_perfect_outcomes_match_brute_force_on_random_trees(seed):
    rng = np.random.default_rng(seed)
    sizes = [(2, 2, 2), (3, 2), (2, 3), (2, 2, 2)][seed % 4]
    # payoffs in {0, 1, 2}: ties are frequent, which is where the enumeration matters
    U = [rng.integers(0, 3, size=sizes).astype(object) for _ in sizes]
    U = [np.vectorize(Fraction, otypes=[object])(u) for u in U]
    res = backward_induction(U, tuple(range(len(sizes))), exact=True)
    assert set(res.outcomes) == _spe_outcomes_brute_force(U, sizes)
    assert res.path in res.outcomes  # the tie-broken backward induction is one of them


def test_move_order_other_than_player_order():
    # player 1 (index 1) moves first: it picks the column; player 0 then answers
    A = np.array([[Fraction(3), Fraction(0)], [Fraction(1), Fraction(2)]], dtype=object)  # player 0
    B = np.array([[Fraction(1), Fraction(2)], [Fraction(0), Fraction(3)]], dtype=object)  # player 1
    res = backward_induction([A, B], (1, 0), exact=True)
    # column 0 -> player 0 plays row 0 (3 > 1), player 1 gets 1; column 1 -> row 1 (2 > 0), player 1 gets 3
    assert res.outcomes == [(1, 1)] and res.payoffs == (2, 3) and res.tie_nodes == 0
    assert res.responses == [[0], [1]]


def test_ultimatum_has_two_subgame_perfect_outcomes():
    sol = solve(mechc.load(ROOT / "specs" / "games" / "ultimatum.mech"))
    sq = sol.sequential
    # the responder accepts every positive offer and is indifferent at 0 (textbook ultimatum on a grid)
    assert [tuple(sol.strategies[a][k] for a, k in enumerate(o)) for o in sq.outcomes] == [("0", "1"), ("1", "1")]
    assert [tuple(map(str, p)) for p in sq.outcome_payoffs] == [("4", "0"), ("3", "1")]
    assert sq.tie_nodes == 1 and sq.exact
    assert sol.properties[0]["verdict"] == "verified"


def test_subgame_perfect_requirement_can_fail_and_exits_1(tmp_path):
    text = (ROOT / "specs" / "games" / "ultimatum.mech").read_text().replace("subgame_perfect(1, 1)", "subgame_perfect(2, 1)")
    spec = tmp_path / "u.mech"
    spec.write_text(text)
    sol = solve(mechc.load(spec))
    assert sol.properties[0]["verdict"] == "violated"
    assert "Proposer: 0 -> Responder: 1" in sol.properties[0]["detail"]
    run = subprocess.run([sys.executable, "-m", "mechc", "solve", str(spec)], capture_output=True, text=True)
    assert run.returncode == 1, run.stderr


def _fine_tuning_by_hand(c0, c1, generalist_offers):
    """Backward induction written out for the fine-tuning bargain, in plain Fractions."""
    deltas = [Fraction(k, 6) for k in range(7)]
    bases = [Fraction(k, 12) for k in range(7)]
    tunes = [Fraction(k, 12) for k in range(13)]

    def utils(d, deal, a0, e):
        g = deal * (d * (a0 + e) - c0 * a0 ** 2)
        s = deal * ((1 - d) * (a0 + e) - c1 * e ** 2)
        return g, s

    def cont(d, deal):
        # the generalist picks alpha0 knowing the specialist's best increment (first best on ties)
        def tune(a0):
            return max(tunes, key=lambda e: (utils(d, deal, a0, e)[1], -e))
        a0 = max(bases, key=lambda a: (utils(d, deal, a, tune(a))[0], -a))
        return a0, tune(a0)

    best = None
    for d in deltas:
        # the responder accepts when that is at least as good as walking away
        a0, e = cont(d, 1)
        g, s = utils(d, 1, a0, e)
        accept = (s if generalist_offers else g) >= 0
        if not accept:
            continue
        mine = g if generalist_offers else s
        if best is None or mine > best[0]:
            best = (mine, d, a0, e, g, s)
    return best


def test_fine_tuning_bargain_matches_the_closed_form_and_a_hand_backward_induction():
    sol = solve(mechc.load(ROOT / "specs" / "llm" / "fine_tuning_bargaining.mech"))
    sq = sol.sequential
    assert len(sq.outcomes) == 1
    prof = tuple(sol.strategies[a][k] for a, k in enumerate(sq.outcomes[0]))
    # closed form derived in the spec's header (after Laufer, Kleinberg, Heidari 2024, quadratic costs):
    # delta = c0 / (2 c0 - c1) = 2/3, alpha0 = delta / (2 c0) = 1/3, e = (1 - delta) / (2 c1) = 1/3
    assert prof == ("2/3", "1", "1/3", "1/3")
    assert [str(v) for v in sq.outcome_payoffs[0]] == ["1/3", "1/6", "1/3", "1/6"]
    mine, d, a0, e, g, s = _fine_tuning_by_hand(Fraction(1), Fraction(1, 2), True)
    assert (d, a0, e, g, s) == (Fraction(2, 3), Fraction(1, 3), Fraction(1, 3), Fraction(1, 3), Fraction(1, 6))
    assert [p["verdict"] for p in sol.properties] == ["verified"]


def test_fine_tuning_bargain_when_the_specialist_offers():
    sol = solve(mechc.load(ROOT / "specs" / "llm" / "fine_tuning_bargaining.mech", generalist_offers="false"))
    sq = sol.sequential
    got = {tuple(sol.strategies[a][k] for a, k in enumerate(o)) for o in sq.outcomes}
    # the generalist is indifferent at delta = 0 (it gets 0 either way): accepting gives the specialist
    # everything, (1 - 0) * 1 - 1/2 = 1/2; rejecting 0 makes the specialist offer 1/6 instead, paying it
    # (5/6)(1/6)/2 + (5/6)^2 / 2 = 5/12
    assert got == {("0", "1", "0", "1"), ("1/6", "1", "1/12", "5/6")}
    hand = _fine_tuning_by_hand(Fraction(1), Fraction(1, 2), False)
    assert (hand[1], hand[0]) == (Fraction(0), Fraction(1, 2))


@pytest.mark.parametrize("edit,message", [
    ("moves Proposer then Responder", "moves Proposer then Proposer"),
    ("moves Proposer then Responder", "moves Proposer then Buyer"),
    ("moves Proposer then Responder", "moves Proposer then Responder\n  leader Proposer"),
])
def test_moves_errors_are_located(tmp_path, edit, message):
    text = (ROOT / "specs" / "games" / "ultimatum.mech").read_text().replace(edit, message)
    spec = tmp_path / "bad.mech"
    spec.write_text(text)
    run = subprocess.run([sys.executable, "-m", "mechc", "solve", str(spec)], capture_output=True, text=True)
    assert run.returncode == 2
    assert "bad.mech:" in run.stderr and "Traceback" not in run.stderr
    first = run.stderr.splitlines()[0]
    assert any(w in first for w in ("moves twice", "is not a player", "'leader' or 'moves'")), first


def test_subgame_perfect_needs_moves(tmp_path):
    text = (ROOT / "specs" / "games" / "ultimatum.mech").read_text().replace("  moves Proposer then Responder\n", "")
    spec = tmp_path / "bad.mech"
    spec.write_text(text)
    run = subprocess.run([sys.executable, "-m", "mechc", "solve", str(spec)], capture_output=True, text=True)
    assert run.returncode == 2 and "subgame_perfect needs a sequential game" in run.stderr


def test_sequential_json_lists_outcomes():
    import json

    run = subprocess.run([sys.executable, "-m", "mechc", "solve", str(ROOT / "specs" / "games" / "ultimatum.mech"),
                          "--format", "json"], capture_output=True, text=True)
    out = json.loads(run.stdout)["sequential"]
    assert out["order"] == ["Proposer", "Responder"]
    assert [o["profile"] for o in out["subgame_perfect_outcomes"]] == [
        {"Proposer": "0", "Responder": "1"}, {"Proposer": "1", "Responder": "1"}]


def test_solve_and_convert_pick_one_block_of_a_multi_block_file(tmp_path, capsys):
    from mechc.cli import main

    games = ROOT / "specs" / "games"
    spec = tmp_path / "two.mech"
    spec.write_text((games / "ultimatum.mech").read_text() + (games / "prisoners_dilemma.mech").read_text())
    assert main(["solve", str(spec)]) == 2  # the error's hint names --mechanism: it must exist
    assert "--mechanism NAME" in capsys.readouterr().err
    assert main(["solve", str(spec), "--mechanism", "Ultimatum"]) == 0
    assert "subgame-perfect outcomes (2" in capsys.readouterr().out
    assert main(["convert", str(spec), "-", "--mechanism", "PrisonersDilemma"]) == 0
    assert capsys.readouterr().out.startswith('NFG 1 R "PrisonersDilemma"')
