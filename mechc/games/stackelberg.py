"""Stackelberg equilibria of two-player finite games: the leader commits, the follower best-responds.

*Pure commitment*: the leader picks the pure strategy whose follower best response (ties broken in
the leader's favour) pays the leader most; vectorised over the table.

*Mixed commitment* (strong Stackelberg equilibrium; Conitzer and Sandholm, "Computing the optimal
strategy to commit to", EC 2006): one linear program per follower pure strategy j,

    maximise  x . A[:, j]   subject to  x . (B[:, j] - B[:, j']) >= 0 for all j',  x in the simplex,

built as matrices and solved by cvxpy with HiGHS; the best feasible j wins. The solution is then
rounded to nearby rationals and re-checked exactly when the game is exact (the follower's response
must be a best response, with the leader's value recomputed); otherwise it is reported with the
tolerance it was checked to.
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction

import numpy as np

from ..solver_output import quiet_solver_output

TOL = 1e-7


@dataclass
class StackelbergResult:
    leader: int  # player position of the leader
    pure: tuple[int, int, object, object]  # (leader strategy, follower response, leader payoff, follower payoff)
    x: tuple  # leader's optimal mixed commitment
    response: int  # follower's pure best response to x
    value: object  # leader's expected payoff
    follower_value: object
    exact: bool
    lps: int
    solve_s: float


def stackelberg(A: np.ndarray, B: np.ndarray, exact: bool, leader: int = 0,
                solver: str = "HIGHS") -> StackelbergResult:
    """A, B: leader's and follower's payoffs, the leader's strategies on axis 0; ``leader`` is the
    leader's player position in the game (for reporting)."""
    import time

    import cvxpy as cp

    Af, Bf = A.astype(float), B.astype(float)
    m, n = Af.shape
    # pure commitment: the follower's best responses, ties in the leader's favour
    best = Bf.max(axis=1, keepdims=True)
    br = Bf >= best - TOL * (1 + np.abs(best))
    lead = np.where(br, Af, -np.inf)
    resp = lead.argmax(axis=1)
    i = int(lead.max(axis=1).argmax())
    j = int(resp[i])
    pure = (i, j, A[i, j], B[i, j])

    t = time.perf_counter()
    x = cp.Variable(m, nonneg=True)
    c = cp.Parameter(m)
    D = cp.Parameter((m, n))
    prob = cp.Problem(cp.Maximize(c @ x), [D.T @ x >= 0, cp.sum(x) == 1])
    best_val, best_x, best_j = -np.inf, None, None
    with quiet_solver_output():
        for j in range(n):
            c.value = Af[:, j]
            D.value = Bf[:, [j]] - Bf
            prob.solve(solver=solver)
            if prob.status in ("optimal", "optimal_inaccurate") and prob.value > best_val + TOL:
                best_val, best_x, best_j = prob.value, np.clip(x.value, 0, None), j
    solve_s = time.perf_counter() - t
    xs = best_x / best_x.sum()
    if exact:
        xr = _rational(xs)
        if _follower_best(B, xr, best_j):
            v = sum((xr[k] * A[k, best_j] for k in range(m)), Fraction(0))
            fv = sum((xr[k] * B[k, best_j] for k in range(m)), Fraction(0))
            return StackelbergResult(leader, pure, tuple(xr), best_j, v, fv, True, n, solve_s)
    return StackelbergResult(leader, pure, tuple(float(v) for v in xs), best_j, float(xs @ Af[:, best_j]),
                             float(xs @ Bf[:, best_j]), False, n, solve_s)


def _rational(x: np.ndarray) -> list[Fraction]:
    """Nearby rationals summing to exactly 1 (the LP's vertex is rational; floats blur it)."""
    r = [Fraction(float(v)).limit_denominator(10_000) for v in x]
    k = int(np.argmax(x))
    r[k] = 1 - sum(r[:k] + r[k + 1:], Fraction(0))
    return r


def _follower_best(B, x, j) -> bool:
    if any(v < 0 for v in x):
        return False
    col = [sum((x[i] * B[i, jj] for i in range(len(x))), Fraction(0)) for jj in range(B.shape[1])]
    return col[j] == max(col)
