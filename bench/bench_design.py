"""Benchmark: automated design of the revenue-optimal auction for two bidders with values on a
k-point grid in [0, 1] (bench/optimal_auction_grid.mech: dsic, ex_post_ir, one item).

For k = 5, 10, 20, 50: mechc's matrix-built LP (build = coefficients + sparse matrices + cvxpy
problem; solve = cvxpy + HiGHS) against a naive cvxpy formulation written with Python loops, one
constraint object per scalar inequality (same variables, same solver). The naive build is timed for
k <= 20 and solved for k <= 10 (it agrees). The revenue column shows convergence toward Myerson's
5/12 for two U[0, 1] bidders.

    python bench/bench_design.py
"""

from __future__ import annotations

import time
from pathlib import Path

import cvxpy as cp
import numpy as np

import mechc
from mechc.design import solve_design

ROOT = Path(__file__).resolve().parent.parent
SPEC = ROOT / "bench" / "optimal_auction_grid.mech"


def naive(k: int, solve: bool):
    """The same design written by hand with loops: one cvxpy constraint per inequality."""
    t0 = time.perf_counter()
    vals = [j / (k - 1) for j in range(k)]
    w = [0.5 if j in (0, k - 1) else 1.0 for j in range(k)]
    tot = sum(w)
    w = [x / tot for x in w]
    x = [[cp.Variable(k) for _ in range(k)] for _ in range(2)]  # x[i][b1][b2]
    pay = [[cp.Variable(k) for _ in range(k)] for _ in range(2)]

    def X(i, b1, b2):
        return x[i][b1][b2]

    def PAY(i, b1, b2):
        return pay[i][b1][b2]

    cons = []
    for b1 in range(k):
        for b2 in range(k):
            cons += [X(0, b1, b2) >= 0, X(1, b1, b2) >= 0, X(0, b1, b2) <= 1, X(1, b1, b2) <= 1,
                     X(0, b1, b2) + X(1, b1, b2) <= 1]
    for t in range(k):
        for o in range(k):
            # bidder 1 (true t, other reports o) and bidder 2 (true t, other reports o)
            u1 = vals[t] * X(0, t, o) - PAY(0, t, o)
            u2 = vals[t] * X(1, o, t) - PAY(1, o, t)
            cons += [u1 >= 0, u2 >= 0]
            for r in range(k):
                if r != t:
                    cons.append(vals[t] * X(0, r, o) - PAY(0, r, o) <= u1)
                    cons.append(vals[t] * X(1, o, r) - PAY(1, o, r) <= u2)
    revenue = sum(w[b1] * w[b2] * (PAY(0, b1, b2) + PAY(1, b1, b2)) for b1 in range(k) for b2 in range(k))
    prob = cp.Problem(cp.Maximize(revenue), cons)
    build = time.perf_counter() - t0
    value = None
    if solve:
        prob.solve(solver=cp.HIGHS)
        value = prob.value
    return build, value


def main() -> None:
    model = mechc.load(SPEC)
    print(f"{'k':>3} {'vars':>7} {'rows':>8} {'build':>8} {'solve':>8} {'total':>8} {'naive build':>12} "
          f"{'speed-up':>9} {'revenue':>10} {'- 5/12':>9}")
    for k in (5, 10, 20, 50):
        t0 = time.perf_counter()
        res = solve_design(model, grid=k)
        total = time.perf_counter() - t0
        nb, nv = naive(k, solve=k <= 10) if k <= 20 else (None, None)
        if nv is not None:
            assert abs(nv - res.objective) < 1e-6, (nv, res.objective)
        nbs = f"{nb:>11.2f}s" if nb is not None else f"{'-':>12}"
        sp = f"{nb / res.build_s:>8.0f}x" if nb is not None else f"{'-':>9}"
        print(f"{k:>3} {res.variables:>7,} {sum(res.rows.values()):>8,} {res.build_s:>7.3f}s {res.solve_s:>7.2f}s "
              f"{total:>7.2f}s {nbs} {sp} {res.objective:>10.6f} {res.objective - 5 / 12:>9.5f}")
    _ = np


if __name__ == "__main__":
    main()
