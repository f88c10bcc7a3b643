"""Benchmark: exhaustive dsic of the n-bidder second-price auction on a K-point grid per bidder.

Compares, in one run on one machine:
  mechc      end to end from bench/second_price.mech (parse, check, lower, evaluate, regret);
  numpy      a careful hand-written numpy check of the same property (chunked over others' bids);
  python     a plain Python loop, timed on a subset of cases and extrapolated.
Peak memory of each is measured in a fresh subprocess (ru_maxrss). Usage:

    python bench/bench_dsic.py            # 3 bidders x 101 points, and 4 bidders x 51 points
    python bench/bench_dsic.py --quick    # 3 x 31 only (a smoke run)
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent


def run_mechc(n: int, k: int) -> dict:
    import mechc

    t0 = time.perf_counter()
    model = mechc.load(HERE / "second_price.mech", params={"n": str(n)})
    report = mechc.check(model, grid=k, exact="never", method="exhaustive")  # the grid path, not a z3 proof
    dt = time.perf_counter() - t0
    p = report.properties[0]
    return {"seconds": dt, "verdict": p.verdict, "max_regret": p.stats["max_regret"], "cases": p.stats["cases"]}


def run_numpy(n: int, k: int) -> dict:
    """Hand-written: for each bidder, all (true value, bid, others' bids) at once, chunked."""
    import numpy as np

    t0 = time.perf_counter()
    grid = np.linspace(0.0, 1.0, k)
    max_regret, cases = 0.0, 0
    others_all = np.stack(np.meshgrid(*([grid] * (n - 1)), indexing="ij"), -1).reshape(-1, n - 1)
    chunk = max(1, (1 << 21) // (k * k))
    for i in range(n):
        for c0 in range(0, len(others_all), chunk):
            oth = others_all[c0:c0 + chunk]  # (C, n-1); bidders other than i, in index order
            best_other = oth.max(axis=1)  # (C,)
            # i wins iff its bid beats every lower-indexed other strictly-or-equal and higher ones
            lower = oth[:, :i].max(axis=1) if i > 0 else np.full(len(oth), -np.inf)
            higher = oth[:, i:].max(axis=1) if i < n - 1 else np.full(len(oth), -np.inf)
            bids = grid[:, None]  # (K, 1)
            win = (bids > lower[None, :]) & (bids >= higher[None, :])  # (K, C)
            pay = win * best_other[None, :]
            u = grid[:, None, None] * win[None] - pay[None]  # (true, bid, C)
            truth = u[np.arange(k), np.arange(k), :]
            regret = (u - truth[:, None, :]).max(axis=1)
            max_regret = max(max_regret, float(regret.max()))
            cases += k * (k - 1) * len(oth)
    return {"seconds": time.perf_counter() - t0, "max_regret": max_regret, "cases": cases}


def run_python(n: int, k: int, budget_s: float = 10.0) -> dict:
    """Plain loops over (bidder, true value, bid, others); timed on a prefix, extrapolated."""
    import itertools

    grid = [j / (k - 1) for j in range(k)]

    def utility(i, v, bids):
        w = max(range(n), key=lambda j: (bids[j], -j))
        if w != i:
            return 0.0
        return v - max(bids[j] for j in range(n) if j != i)

    total = n * k * k * k ** (n - 1)
    done, t0 = 0, time.perf_counter()
    max_regret = 0.0
    for i in range(n):
        for others in itertools.product(grid, repeat=n - 1):
            for v in grid:
                bids = list(others[:i]) + [v] + list(others[i:])
                u_true = utility(i, v, bids)
                for r in grid:
                    bids[i] = r
                    max_regret = max(max_regret, utility(i, v, bids) - u_true)
                    done += 1
                bids[i] = v
            if time.perf_counter() - t0 > budget_s:
                break
        if time.perf_counter() - t0 > budget_s:
            break
    dt = time.perf_counter() - t0
    return {"seconds": dt * total / done, "measured_cases": done, "extrapolated": done < total}


def child(kind: str, n: int, k: int) -> None:
    fn = {"mechc": run_mechc, "numpy": run_numpy, "python": run_python}[kind]
    out = fn(n, k)
    out["peak_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps(out))


def measure(kind: str, n: int, k: int) -> dict:
    res = subprocess.run([sys.executable, __file__, "--child", kind, str(n), str(k)],
                         capture_output=True, text=True, check=True)
    return json.loads(res.stdout.strip().splitlines()[-1])


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--child", nargs=3)
    a = ap.parse_args()
    if a.child:
        child(a.child[0], int(a.child[1]), int(a.child[2]))
        return
    sizes = [(3, 31)] if a.quick else [(3, 101), (4, 51)]
    print(f"{'case':<10} {'impl':<7} {'seconds':>9} {'peak MB':>8}  notes")
    for n, k in sizes:
        rows = {kind: measure(kind, n, k) for kind in ("mechc", "numpy", "python")}
        for kind, r in rows.items():
            note = ""
            if kind == "mechc":
                note = f"verdict {r['verdict']}, max regret {r['max_regret']:.3g}, {r['cases']:,} cases"
            elif kind == "python" and r.get("extrapolated"):
                note = f"extrapolated from {r['measured_cases']:,} cases"
            print(f"{n}x{k:<7} {kind:<7} {r['seconds']:>9.2f} {r['peak_mb']:>8.0f}  {note}")
        ratio = rows["mechc"]["seconds"] / rows["numpy"]["seconds"]
        print(f"{'':<10} mechc / hand-written numpy = {ratio:.2f}x; "
              f"plain Python / mechc = {rows['python']['seconds'] / rows['mechc']['seconds']:.0f}x")


if __name__ == "__main__":
    main()
