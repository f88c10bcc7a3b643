"""Benchmark: all mixed equilibria of random two-player n x n games, and pure equilibria of a
160,000-profile game.

For n = 4..10 (three games per n, standard normal payoffs, seed 1000 n + k: nondegenerate with
probability 1) mechc's vertex enumeration (mechc.games.mixed) runs against nashpy's support
enumeration (when nashpy is installed; n <= NASHPY_MAX, it grows as C(2n, n) Python-level solves)
and pygambit's enummixed (when installed), in the same run. Reported: time per game, the ratio, and
how many of mechc's (re-verified) equilibria each other tool misses or adds. The degenerate test
games (the issue's 3 x 2 games, diag(1, 2, 3) coordination) are compared the same way. Last,
backward induction over a 4-stage game tree (160,000 leaves, seed 7) against a plain-Python
recursion, and the enumeration of every subgame-perfect outcome of a tie-heavy tree.

    python bench/bench_games.py            # nashpy: pip install nashpy (not a mechc dependency)
"""

from __future__ import annotations

import time
import warnings
from pathlib import Path

import numpy as np

import mechc
from mechc.games import solve
from mechc.games.mixed import mixed_equilibria
from mechc.games.sequential import backward_induction

ROOT = Path(__file__).resolve().parent.parent
NASHPY_MAX = 8
GAMES_PER_N = 3

try:
    import nashpy
except ImportError:
    nashpy = None
try:
    import pygambit
except ImportError:
    pygambit = None


def _same(a, b) -> bool:
    return all(np.allclose(np.asarray(x, float), np.asarray(y, float), atol=1e-6) for x, y in zip(a, b, strict=True))


def _compare(ours, theirs):
    """(missed, extra): our equilibria the other tool lacks, and its profiles we do not have."""
    missed = sum(not any(_same(o, t) for t in theirs) for o in ours)
    extra = sum(not any(_same(o, t) for o in ours) for t in theirs)
    return missed, extra


def run_nashpy(A, B):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        t = time.perf_counter()
        eqs = list(nashpy.Game(np.asarray(A, float), np.asarray(B, float)).support_enumeration())
        return time.perf_counter() - t, eqs


def run_gambit(A, B):
    t = time.perf_counter()
    g = pygambit.Game.from_arrays(A, B)
    res = pygambit.nash.enummixed_solve(g, rational=False)
    eqs = [tuple([float(e[p][s]) for s in p.strategies] for p in g.players) for e in res.equilibria]
    return time.perf_counter() - t, eqs


def one(A, B):
    t = time.perf_counter()
    r = mixed_equilibria(A, B)
    ours_t = time.perf_counter() - t
    ours = [(e.x, e.y) for e in r.equilibria]
    row = {"mechc": ours_t, "count": len(ours), "degenerate": r.degenerate}
    if nashpy is not None and A.shape[0] <= NASHPY_MAX:
        nt, neqs = run_nashpy(A, B)
        row["nashpy"] = nt
        row["nashpy_missed"], row["nashpy_extra"] = _compare(ours, neqs)
    if pygambit is not None:
        gt, geqs = run_gambit(np.asarray(A, float), np.asarray(B, float))
        row["gambit"] = gt
        row["gambit_missed"], row["gambit_extra"] = _compare(ours, geqs)
    return row


def main() -> None:
    print(f"nashpy {'installed' if nashpy else 'not installed (pip install nashpy)'}; "
          f"pygambit {'installed' if pygambit else 'not installed'}")
    print(f"{'n':>3} {'eqs':>5} {'mechc':>9} {'nashpy':>9} {'ratio':>7} {'missed':>7} {'gambit':>9} {'g-missed':>8} {'g-only':>6}")
    for n in range(4, 11):
        rows = []
        for k in range(GAMES_PER_N):
            rng = np.random.default_rng(1000 * n + k)
            rows.append(one(rng.standard_normal((n, n)), rng.standard_normal((n, n))))
        mt = np.mean([r["mechc"] for r in rows])
        line = f"{n:>3} {sum(r['count'] for r in rows):>5} {mt:>8.4f}s"
        if "nashpy" in rows[0]:
            nt = np.mean([r["nashpy"] for r in rows])
            line += f" {nt:>8.3f}s {nt / mt:>6.0f}x {sum(r['nashpy_missed'] for r in rows):>7}"
        else:
            line += f" {'-':>9} {'-':>7} {'-':>7}"
        if "gambit" in rows[0]:
            line += (f" {np.mean([r['gambit'] for r in rows]):>8.4f}s {sum(r['gambit_missed'] for r in rows):>8}"
                     f" {sum(r['gambit_extra'] for r in rows):>6}")
        print(line)

    print("\ndegenerate and test games (exact payoffs):")
    for name in ("three_by_two", "degenerate_3x2", "coordination_3x3"):
        sol = solve(mechc.load(ROOT / "specs" / "games" / f"{name}.mech"))
        ours = [(e.x, e.y) for e in sol.mixed.equilibria]
        A = np.array([[float(v) for v in r] for r in np.asarray(sol.normal_form.payoffs[..., 0])])
        B = np.array([[float(v) for v in r] for r in np.asarray(sol.normal_form.payoffs[..., 1])])
        line = f"  {name:<18} mechc {len(ours)} extreme equilibria (degenerate: {sol.mixed.degenerate})"
        if nashpy is not None:
            _, neqs = run_nashpy(A, B)
            missed, extra = _compare(ours, neqs)
            line += f"; nashpy finds {len(neqs)}, misses {missed}"
        if pygambit is not None:
            _, geqs = run_gambit(A, B)
            missed, extra = _compare(ours, geqs)
            line += f"; gambit finds {len(geqs)}, misses {missed}, has {extra} mechc lacks"
        print(line)

    t = time.perf_counter()
    sol = solve(mechc.load(ROOT / "bench" / "cournot_4x20.mech"), mixed=False)
    print(f"\npure equilibria of a 4-player game with 20 strategies each ({sol.profiles:,} profiles): "
          f"{time.perf_counter() - t:.3f} s, {len(sol.equilibria)} found (exact re-check included)")


def plain_backward_induction(U, sizes):
    """The baseline: backward induction as a recursion over the game tree in plain Python (players
    move in index order; ties to the first move), returning the outcome path."""
    n = len(sizes)

    def solve_node(prefix):
        if len(prefix) == n:
            return prefix
        k = len(prefix)
        best, best_path = None, None
        for a in range(sizes[k]):
            path = solve_node(prefix + (a,))
            v = U[k][path]
            if best is None or v > best:
                best, best_path = v, path
        return best_path

    return solve_node(())


def sequential() -> None:
    """Subgame-perfect equilibria of a 4-stage game with 20 moves per stage (160,000 leaves)."""
    sizes = (20, 20, 20, 20)
    rng = np.random.default_rng(7)
    U = [rng.standard_normal(sizes) for _ in sizes]  # no ties: one subgame-perfect equilibrium
    t = time.perf_counter()
    res = backward_induction(U, (0, 1, 2, 3), exact=False)
    ours = time.perf_counter() - t
    Ul = [u.tolist() for u in U]
    Ut = [{p: Ul[k][p[0]][p[1]][p[2]][p[3]] for p in np.ndindex(*sizes)} for k in range(4)]
    t = time.perf_counter()
    path = plain_backward_induction(Ut, sizes)
    plain = time.perf_counter() - t
    assert path == res.path, (path, res.path)
    print(f"\nbackward induction, 4 stages x 20 moves ({res.nodes:,} decision nodes, 160,000 leaves): "
          f"mechc {ours:.3f} s, plain Python recursion {plain:.3f} s ({plain / ours:.0f}x), same outcome")
    small = (10, 10, 10, 10)
    Ui = [rng.integers(0, 3, size=small).astype(float) for _ in small]  # many ties
    t = time.perf_counter()
    res = backward_induction(Ui, (0, 1, 2, 3), exact=False)
    print(f"every subgame-perfect outcome, 4 stages x 10 moves with payoffs in {{0, 1, 2}}: "
          f"{len(res.outcomes)} outcomes, indifference at {res.tie_nodes:,} of {res.nodes:,} nodes, "
          f"{time.perf_counter() - t:.3f} s")


if __name__ == "__main__":
    main()
    sequential()
