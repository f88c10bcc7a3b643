"""Completely labelled vertex pairs are found without the dense V_P x V_Q label matrix (issue 20):
the blocked search must return exactly the pairs the dense one does, in the same order."""

import numpy as np
import pytest

from mechc.games import mixed


def _labels(A, B):
    m, n = A.shape
    _, _, zeroP, tightP = mixed._vertices((B - B.min() + 1).T)
    _, _, zeroQ, tightQ = mixed._vertices(A - A.min() + 1)
    return mixed._bits(np.hstack([zeroP, tightP])), mixed._bits(np.hstack([tightQ, zeroQ])), (1 << (m + n)) - 1


@pytest.mark.parametrize("seed", range(40))
def test_blocked_pairs_equal_the_dense_pairs(seed):
    rng = np.random.default_rng(seed)
    m, n = (int(v) for v in rng.integers(1, 6, size=2))
    if seed % 2:  # small integer payoffs: many ties, degenerate games
        A, B = rng.integers(-2, 3, size=(m, n)).astype(float), rng.integers(-2, 3, size=(m, n)).astype(float)
    else:
        A, B = rng.normal(size=(m, n)), rng.normal(size=(m, n))
    labP, labQ, full = _labels(A, B)
    dense = np.argwhere((labP[:, None] | labQ[None, :]) == full)
    for cells in (1, 7, 1 << 22):  # blocks of one row up to everything at once
        assert np.array_equal(mixed._complete_pairs(labP, labQ, full, cells=cells), dense)
