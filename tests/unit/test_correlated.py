"""Correlated equilibria by linear programming (games/correlated.py), against textbook values."""

from fractions import Fraction

import numpy as np
import pytest

import mechc
from mechc.games import payoff_arrays
from mechc.games.correlated import correlated_equilibrium

AUMANN_CHICKEN = """
game AumannChicken {
  agents i in {Row, Col}
  strategy s[i] in {Dare, Chicken}
  other[i] = if i == Row then s[Col] else s[Row]
  payoff[i] = if s[i] == Dare then (if other[i] == Dare then 0 else 7) else (if other[i] == Dare then 2 else 6)
}
"""


def _solve(text, sense="max"):
    U, gs, exact = payoff_arrays(mechc.load_text(text, "g.mech"))
    return correlated_equilibrium(U, exact, sense), gs


def test_aumann_chicken_best_correlated_equilibrium():
    # Aumann (1974) / the standard textbook Chicken (0,0 / 7,2 / 2,7 / 6,6): the welfare-maximising
    # correlated equilibrium puts 1/2 on (Chicken, Chicken) and 1/4 on each asymmetric outcome,
    # payoff 21/4 each, above every Nash equilibrium's total (9 for the pure ones, 28/3 mixed).
    # By hand: p_CC <= 2 p_CD and p_CC <= 2 p_DC with p_DD = 0 bind at p_CD = p_DC = 1/4.
    ce, gs = _solve(AUMANN_CHICKEN)
    assert ce.exact and ce.max_gain == 0
    dare, chicken = gs[0].labels.index("Dare"), gs[0].labels.index("Chicken")
    assert ce.distribution == {(chicken, chicken): Fraction(1, 2), (dare, chicken): Fraction(1, 4),
                               (chicken, dare): Fraction(1, 4)}
    assert ce.payoffs == (Fraction(21, 4), Fraction(21, 4)) and ce.welfare == Fraction(21, 2)


def test_the_worst_correlated_equilibrium_of_matching_pennies_is_uniform():
    # matching pennies has one correlated equilibrium: the uniform distribution (value 0)
    ce, _ = _solve(open("specs/games/matching_pennies.mech", encoding="utf-8").read(), "min")
    assert ce.exact and set(ce.distribution.values()) == {Fraction(1, 4)} and len(ce.distribution) == 4
    assert ce.welfare == 0


@pytest.mark.parametrize("seed", range(5))
def test_every_reported_distribution_satisfies_the_incentive_constraints(seed):
    # random 3-player games with rational payoffs: the exact re-check is independent of the LP
    rng = np.random.default_rng(seed)
    U = [np.vectorize(Fraction, otypes=[object])(rng.integers(-5, 6, size=(2, 3, 2))) for _ in range(3)]
    ce = correlated_equilibrium(U, True)
    assert ce.exact and sum(ce.distribution.values()) == 1
    for i, u in enumerate(U):
        for a in range(u.shape[i]):
            for b in range(u.shape[i]):
                told = [(s, w) for s, w in ce.distribution.items() if s[i] == a]
                dev = sum(w * (u[s[:i] + (b,) + s[i + 1:]] - u[s]) for s, w in told)
                assert dev <= 0


def test_solve_reports_correlated_equilibria_in_text_and_json(capsys):
    import json

    from mechc.cli import main

    assert main(["solve", "specs/games/chicken.mech", "--correlated"]) == 0
    text = capsys.readouterr().out
    assert "correlated equilibrium with the highest total payoff 0" in text
    assert "verified in exact rational arithmetic" in text
    assert main(["solve", "specs/games/chicken.mech", "--correlated", "--format", "json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    best, worst = doc["correlated_equilibria"]
    assert best["objective"] == "max_total_payoff" and best["total"] == "0" and best["exact"]
    assert sum(Fraction(d["probability"]) for d in worst["distribution"]) == 1
    assert main(["solve", "specs/games/chicken.mech"]) == 0
    assert "correlated" not in capsys.readouterr().out  # only when asked
