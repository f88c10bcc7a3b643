"""All Nash equilibria of a two-player finite game, degenerate games included.

Method (Avis, Rosenberg, Savani and von Stengel, "Enumeration of Nash equilibria for two-player
games", Economic Theory 42, 2010): after shifting payoffs to be positive, the best-response polytopes

    P = {x >= 0 : B^T x <= 1}        Q = {y >= 0 : A y <= 1}

carry labels (a pure strategy is a label of a point when it is unplayed or a best response). The
extreme equilibria are exactly the completely labelled vertex pairs (x, y) != (0, 0), normalised;
in a degenerate game the equilibria form convex sets ("maximal Nash subsets"), the products of the
convex hulls of the maximal bicliques of the graph of extreme equilibria, which are reported too.

Vertices are enumerated by trying every basis (every choice of m tight constraints out of m + n) as
one batch of linear solves in numpy, so the work is C(m + n, m) small solves, vectorised; no pivoting
code is hand-written. Every equilibrium is then re-derived from its basis in exact rational
arithmetic (when the payoffs are rational) and re-verified: no pure strategy earns more than the
mixed strategy's payoff, and every strategy played is a best response.
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass, field
from fractions import Fraction

import numpy as np

from ..limits import MAX_BASES, refuse_if

CHUNK = 40_000
TOL = 1e-9


@dataclass
class MixedEquilibrium:
    x: tuple  # row player's probabilities (Fractions when exact)
    y: tuple
    payoffs: tuple  # (row's expected payoff, column's)

    @property
    def pure(self) -> bool:
        return max(self.x) == 1 and max(self.y) == 1


@dataclass
class MixedResult:
    equilibria: list[MixedEquilibrium]  # the extreme equilibria, each verified
    degenerate: bool
    components: list[tuple[list[int], list[int]]]  # maximal Nash subsets: (indices of x's, of y's)
    exact: bool
    bases: int  # linear systems tried
    notes: list[str] = field(default_factory=list)
    xs: list[tuple] = field(default_factory=list)  # distinct row strategies appearing in equilibria
    ys: list[tuple] = field(default_factory=list)


def _is_exact(M) -> bool:
    return M.dtype == object and all(isinstance(v, Fraction | int) for v in M.flat)


def _vertices(C: np.ndarray):
    """Vertices z != 0 of {z >= 0 : C z <= 1} (C is r x d with positive entries).

    A vertex with support S (|S| = k) has k tight rows J with C[J, S] z_S = 1, so every vertex is
    found by one k x k solve for some (S, J); all pairs of one size k are solved as one numpy batch.
    Returns (Z, bases, zero, tight): the distinct vertices, one (S, J) producing each, and boolean
    arrays of the coordinates at zero and the rows at equality."""
    r, d = C.shape
    found: dict[tuple, tuple] = {}
    for k in range(1, min(r, d) + 1):
        Is = np.array(list(itertools.combinations(range(d), k)), dtype=np.int64)
        Js = np.array(list(itertools.combinations(range(r), k)), dtype=np.int64)
        for start in range(0, len(Is) * len(Js), CHUNK):
            flat = np.arange(start, min(start + CHUNK, len(Is) * len(Js)))
            S, J = Is[flat // len(Js)], Js[flat % len(Js)]
            M = C[J[:, :, None], S[:, None, :]]  # (c, k, k)
            try:
                zI = np.linalg.solve(M, np.ones((len(M), k, 1)))[..., 0]
            except np.linalg.LinAlgError:  # some bases are singular (ties): drop them, solve the rest
                ok = np.abs(np.linalg.det(M)) > 1e-12 * np.prod(np.abs(M).max(axis=2), axis=1)
                S, J, M = S[ok], J[ok], M[ok]
                zI = np.linalg.solve(M, np.ones((len(M), k, 1)))[..., 0]
            pos = (zI >= -TOL).all(axis=1) & np.isfinite(zI).all(axis=1)
            S, J, zI = S[pos], J[pos], zI[pos]
            Z = np.zeros((len(zI), d))
            np.put_along_axis(Z, S, zI, axis=1)
            feas = (Z @ C.T <= 1 + TOL).all(axis=1)
            for z, i, j in zip(Z[feas], S[feas], J[feas], strict=True):
                found.setdefault(tuple(np.round(z, 9) + 0.0), (z, (tuple(i.tolist()), tuple(j.tolist()))))
    keys = sorted(found)
    Z = np.array([found[key][0] for key in keys]).reshape(len(keys), d)
    bases = [found[key][1] for key in keys]
    return Z, bases, np.abs(Z) <= TOL, np.abs(Z @ C.T - 1) <= TOL


def _solve_exact(M: list[list[Fraction]], b: list[Fraction]) -> list[Fraction] | None:
    """Gaussian elimination over the rationals (d is at most ~14; numpy has no exact solver and sympy's
    matrices are 100x slower for this)."""
    d = len(b)
    rows = [list(r) + [v] for r, v in zip(M, b, strict=True)]
    for c in range(d):
        p = next((r for r in range(c, d) if rows[r][c] != 0), None)
        if p is None:
            return None
        rows[c], rows[p] = rows[p], rows[c]
        piv = rows[c][c]
        for r in range(d):
            if r != c and rows[r][c] != 0:
                f = rows[r][c] / piv
                rows[r] = [a - f * bb for a, bb in zip(rows[r], rows[c], strict=True)]
    return [rows[k][d] / rows[k][k] for k in range(d)]


def _normalise(z, exact: bool) -> tuple:
    s = sum(z)
    return tuple((v / s) if exact else float(v / s) for v in z)


def require_bases(m: int, n: int, max_bases: int = MAX_BASES) -> int:
    """The candidate bases of an m x n game, C(m + n, m) in exact integers; ResourceLimit beyond max_bases."""
    bases = math.comb(m + n, m)
    refuse_if(bases, max_bases, f"candidate bases for the mixed equilibria of a {m} x {n} game (vertex "
              "enumeration; 12 x 12 is 2.7 M):", "--max-bases")
    return bases


def mixed_equilibria(A: np.ndarray, B: np.ndarray, max_bases: int = MAX_BASES) -> MixedResult:
    """Every extreme Nash equilibrium of the bimatrix game (A, B) (row payoffs A, column payoffs B).
    The work, C(m + n, m) linear solves, is counted in exact integers before any is tried."""
    m, n = A.shape
    bases = require_bases(m, n, max_bases)
    exact = _is_exact(A) and _is_exact(B)
    Af, Bf = A.astype(float), B.astype(float)
    # shift payoffs so every entry is at least 1: the polytopes are then bounded; equilibria unchanged
    sa = 1 - Af.min()
    sb = 1 - Bf.min()
    Ap, Bp = Af + sa, Bf + sb
    # labels: row strategy i is a label of x when x_i = 0 and of y when i is a best response to y;
    # column strategy j (label m + j) of x when j is a best response to x, and of y when y_j = 0
    ZP, basP, zeroP, tightP = _vertices(Bp.T)
    ZQ, basQ, zeroQ, tightQ = _vertices(Ap)
    labP = _bits(np.hstack([zeroP, tightP]))
    labQ = _bits(np.hstack([tightQ, zeroQ]))
    full = (1 << (m + n)) - 1
    pairs = _complete_pairs(labP, labQ, full)
    degenerate = bool((_popcount(labP) > m).any() or (_popcount(labQ) > n).any())

    if exact:
        Ae = np.array(A, dtype=object)
        Be = np.array(B, dtype=object)
        CP = (Be + (1 - Be.min())).T
        CQ = Ae + (1 - Ae.min())
    notes = []
    xs: dict[int, tuple] = {}
    ys: dict[int, tuple] = {}
    eqs = []
    edges = []
    for p, q in pairs:
        p, q = int(p), int(q)
        if p not in xs:
            xs[p] = _exact_vertex(CP, basP[p], m) if exact else _normalise(ZP[p], False)
        if q not in ys:
            ys[q] = _exact_vertex(CQ, basQ[q], n) if exact else _normalise(ZQ[q], False)
        x, y = xs[p], ys[q]
        pay = None if x is None or y is None else verify(A if exact else Af, B if exact else Bf, x, y, exact)
        if pay is None:
            notes.append(f"a candidate ({_short(x)}; {_short(y)}) failed the exact re-check and is not reported")
            continue
        edges.append((p, q))
        eqs.append(MixedEquilibrium(x, y, pay))
    order = sorted(range(len(eqs)), key=lambda k: (tuple(-float(v) for v in eqs[k].x), tuple(-float(v) for v in eqs[k].y)))
    eqs = [eqs[k] for k in order]
    edges = [edges[k] for k in order]
    comps, xl, yl = _maximal_nash_subsets(edges, xs, ys) if degenerate else ([], [], [])
    return MixedResult(eqs, degenerate, comps, exact, 2 * bases, notes, xl, yl)


def _exact_vertex(C, basis, d: int) -> tuple | None:
    """The vertex of basis (S, J) solved over the rationals, normalised to probabilities."""
    S, J = basis
    zI = _solve_exact([[Fraction(C[j, i]) for i in S] for j in J], [Fraction(1)] * len(S))
    if zI is None:  # singular in exact arithmetic although not in floats: not a vertex
        return None
    z = [Fraction(0)] * d
    for i, v in zip(S, zI, strict=True):
        z[i] = v
    return _normalise(z, True)


def _complete_pairs(labP: np.ndarray, labQ: np.ndarray, full: int, cells: int = 1 << 22) -> np.ndarray:
    """Every (p, q) with labP[p] | labQ[q] == full, in (p, q) order, without the dense V_P x V_Q
    matrix: the distinct label sets of each side are compared in blocks of at most ``cells``
    entries (a q must carry every label p lacks), then expanded to the vertices that carry them.
    Memory grows with the vertices and the equilibria, not with their product."""
    up, inv_p = np.unique(labP, return_inverse=True)
    uq, inv_q = np.unique(labQ, return_inverse=True)
    need = full ^ up
    step = max(1, cells // max(1, len(uq)))
    found = []
    for s in range(0, len(up), step):
        blk = need[s:s + step, None]
        a, b = np.nonzero((uq[None, :] & blk) == blk)
        found.append(np.stack([a + s, b], axis=1))
    hits = np.concatenate(found) if found else np.empty((0, 2), np.int64)
    if not len(hits):
        return np.empty((0, 2), np.int64)
    p_of = [np.flatnonzero(inv_p.reshape(-1) == i) for i in range(len(up))]
    q_of = [np.flatnonzero(inv_q.reshape(-1) == j) for j in range(len(uq))]
    pairs = np.array([(p, q) for i, j in hits for p in p_of[i] for q in q_of[j]], dtype=np.int64).reshape(-1, 2)
    return pairs[np.lexsort((pairs[:, 1], pairs[:, 0]))]


def _bits(mask: np.ndarray) -> np.ndarray:
    return mask.astype(np.int64) @ (1 << np.arange(mask.shape[1], dtype=np.int64))


def _popcount(a: np.ndarray) -> np.ndarray:
    return np.array([bin(int(v)).count("1") for v in a], dtype=int)


def _short(v) -> str:
    return ", ".join(f"{float(t):.4g}" for t in v)


def verify(A, B, x, y, exact: bool):
    """The expected payoffs when (x, y) is a Nash equilibrium (checked exactly when exact), else None."""
    if exact:
        row = [sum((A[i, j] * y[j] for j in range(len(y))), Fraction(0)) for i in range(len(x))]
        col = [sum((B[i, j] * x[i] for i in range(len(x))), Fraction(0)) for j in range(len(y))]
        if any(v < 0 for v in x) or any(v < 0 for v in y) or sum(x) != 1 or sum(y) != 1:
            return None
        u1 = sum((x[i] * row[i] for i in range(len(x))), Fraction(0))
        u2 = sum((y[j] * col[j] for j in range(len(y))), Fraction(0))
        return (u1, u2) if max(row) == u1 and max(col) == u2 else None
    xa, ya = np.asarray(x, float), np.asarray(y, float)
    row, col = A @ ya, B.T @ xa
    u1, u2 = float(xa @ row), float(ya @ col)
    tol = 1e-7 * (1 + np.abs(A).max() + np.abs(B).max())
    if (xa < -tol).any() or (ya < -tol).any() or row.max() > u1 + tol or col.max() > u2 + tol:
        return None
    return (u1, u2)


def _maximal_nash_subsets(edges, xs, ys):
    """Maximal bicliques of the bipartite graph of extreme equilibria: each (X, Y) means every
    mixture of the x's in X against every mixture of the y's in Y is an equilibrium."""
    xkeys = sorted({p for p, _ in edges}, key=lambda p: tuple(-float(v) for v in xs[p]))
    ykeys = sorted({q for _, q in edges}, key=lambda q: tuple(-float(v) for v in ys[q]))
    nbr = {p: frozenset(q for pp, q in edges if pp == p) for p in xkeys}
    found = set()
    closed = {frozenset(s) for s in nbr.values()}
    frontier = set(closed)
    while frontier:  # close the neighbourhoods under intersection
        new = {a & b for a in frontier for b in closed} - closed - {frozenset()}
        closed |= new
        frontier = new
    for Y in closed:
        X = frozenset(p for p in xkeys if Y <= nbr[p])
        Yfull = frozenset.intersection(*(nbr[p] for p in X))
        found.add((X, Yfull))
    maximal = [c for c in found if not any(c != d and c[0] <= d[0] and c[1] <= d[1] for d in found)]
    comps = sorted(([xkeys.index(p) for p in X], [ykeys.index(q) for q in Y]) for X, Y in maximal)
    comps = [(sorted(a), sorted(b)) for a, b in comps]
    return comps, [xs[p] for p in xkeys], [ys[q] for q in ykeys]
