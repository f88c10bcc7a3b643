"""Optional Gambit back end (``pip install mechc[gambit]``; pygambit builds from source, ~6 min).

Used for mixed equilibria of games with more than two players (``enumpoly_solve`` on the strategic
form: every isolated equilibrium, floats within Gambit's regret tolerance, each re-checked here) and
as an independent cross-check of the two-player vertex enumeration (``enummixed_solve`` in
rationals). Games reach Gambit through the .nfg text, the same path a user's files take.
"""

from __future__ import annotations

import io
from fractions import Fraction

import numpy as np

from .nfg import NormalForm, write_nfg


def available() -> bool:
    try:
        import pygambit  # noqa: F401
    except ImportError:
        return False
    return True


def _game(nf: NormalForm):
    import pygambit as gbt

    return gbt.read_nfg(io.StringIO(write_nfg(nf)))


def _profiles(game, result, exact: bool) -> list[list[tuple]]:
    out = []
    for e in result.equilibria:
        prof = []
        for p in game.players:
            vals = [e[p][s] for s in p.strategies]
            prof.append(tuple(Fraction(int(v.numerator), int(v.denominator)) if exact else float(v) for v in vals))
        out.append(prof)
    return out


def mixed_two_player(nf: NormalForm) -> list[list[tuple]]:
    """Gambit's enummixed (extreme equilibria, exact rationals) for a two-player game."""
    import pygambit as gbt

    g = _game(nf)
    return _profiles(g, gbt.nash.enummixed_solve(g, rational=True), exact=True)


def mixed_n_player(nf: NormalForm) -> list[list[tuple]]:
    """Gambit's enumpoly (isolated equilibria, floating point) for any number of players."""
    import pygambit as gbt

    g = _game(nf)
    return _profiles(g, gbt.nash.enumpoly_solve(g, use_strategic=True), exact=False)


def regret(U: list[np.ndarray], prof: list[tuple]) -> float:
    """Largest gain of a pure deviation against a mixed profile (float64), for re-checking Gambit."""
    n = len(U)
    worst = 0.0
    for a in range(n):
        # contract the other players' axes, highest first so indices stay valid
        v = U[a].astype(float)
        for b in sorted((b for b in range(n) if b != a), reverse=True):
            v = np.tensordot(v, np.asarray(prof[b], float), axes=([b], [0]))
        here = float(np.asarray(prof[a], float) @ v)
        worst = max(worst, float(v.max()) - here)
    return worst
