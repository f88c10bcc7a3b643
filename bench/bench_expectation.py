"""Benchmark: expected revenue under continuous (uniform) priors, issue 14.

Two specs, n = 2..5 bidders with values iid U[0, 1], against their known revenue:

- second price, no reserve (specs/second_price_interval.mech, reserve = 0): (n - 1) / (n + 1);
- Myerson's optimal auction (second price with reserve r = 1/2, written inline below):
  2n(1 - r^(n+1)) / (n + 1) - (1 - r^n), i.e. 1/4, 5/12, 17/32, 49/80, 43/64 for n = 1..5.

Methods, in one run:

- **exact**: mechc's piecewise-polynomial integration over order cells
  (`expectation.exact_expectation`), median of 3 runs;
- **rqmc**: mechc's randomised quasi-Monte Carlo at the default tol 1e-4, seed 0, called directly
  so it runs even where the exact method applies (median of 3 runs; the value is the same each run);
- **mc=time**: plain Monte Carlo, numpy uniform samples (seed 0) through a hand-written vectorised
  revenue formula (sort the bids; pay max(r, second highest) if the highest is >= r), drawing
  chunks until the RQMC median time is spent; the stderr is the sample std / sqrt(N);
- **nquad+pts / nquad**: scipy.integrate.nquad on a hand-written scalar integrand of n variables,
  limit 50 per level, with the other variables (and r) as `points` breaks or without; skipped where
  the integrand calls, extrapolated from the two previous n, would exceed 10 M (about 40-60 s here;
  a call count keeps the choice independent of machine load; stated in the table);
- **trap21**: a 21-point trapezoid grid per dimension, end points half weight (mechc's earlier
  method), vectorised numpy; shown for reference.

    python bench/bench_expectation.py

Times are wall-clock seconds on a shared 2-core machine: read ratios, not the third digit.
"""

from __future__ import annotations

import statistics
import time
import warnings
from fractions import Fraction
from pathlib import Path

import numpy as np
from scipy import integrate

import mechc
from mechc.analysis import expectation as E

ROOT = Path(__file__).resolve().parent.parent
TOL = 1e-4
SEED = 0
NS = (2, 3, 4, 5)
NQUAD_LIMIT = 50
NQUAD_MAX_CALLS = 10_000_000  # ~4 us a call here: ~40 s, a deterministic stand-in for ~60 s

MYERSON = (ROOT / "specs" / "myerson_optimal.mech").read_text(encoding="utf-8")


def second_price_model(n: int):
    return mechc.load(ROOT / "specs" / "second_price_interval.mech", params={"n": str(n), "reserve": "0"})


def myerson_model(n: int):
    return mechc.load_text(MYERSON, "myerson.mech", params={"n": str(n)})


def second_price_known(n: int) -> Fraction:
    return Fraction(n - 1, n + 1)


def myerson_known(n: int) -> Fraction:
    r = Fraction(1, 2)
    return Fraction(2 * n, n + 1) * (1 - r ** (n + 1)) - (1 - r ** n)


SPECS = [  # name, model, known value, reserve of the hand-written formula
    ("second price, r=0", second_price_model, second_price_known, 0.0),
    ("Myerson, r=1/2", myerson_model, myerson_known, 0.5),
]


# ------------------------------------------------------------------------------- hand-written baselines
def revenue_np(b: np.ndarray, r: float) -> np.ndarray:
    """Revenue at each row of bids (m, n): max(r, second highest) if the highest bid is >= r."""
    s = np.sort(b, axis=1)
    return np.where(s[:, -1] >= r, np.maximum(r, s[:, -2]), 0.0)


def revenue_scalar(r: float):
    def f(*x):
        s = sorted(x)
        return max(r, s[-2]) if s[-1] >= r else 0.0
    return f


def plain_mc(n: int, r: float, seconds: float) -> tuple[float, float, int, float]:
    """Mean, its standard error, the sample count and the time of plain MC run for `seconds`."""
    rng = np.random.default_rng(SEED)
    chunk = 1 << 14
    total = total2 = 0.0
    m = 0
    t0 = time.perf_counter()
    while True:
        v = revenue_np(rng.random((chunk, n)), r)
        total += float(v.sum())
        total2 += float(v @ v)
        m += chunk
        if time.perf_counter() - t0 >= seconds:
            break
    mean = total / m
    var = (total2 - m * mean * mean) / (m - 1)
    return mean, (var / m) ** 0.5, m, time.perf_counter() - t0


def trapezoid(n: int, r: float, k: int = 21) -> float:
    """Trapezoid rule on a k-point grid per dimension (end points half weight), chunked."""
    g = np.linspace(0.0, 1.0, k)
    w1 = np.ones(k)
    w1[[0, -1]] = 0.5
    w1 /= w1.sum()
    idx = np.arange(k ** n)
    total = 0.0
    for lo in range(0, k ** n, 1 << 18):
        ii = idx[lo:lo + (1 << 18)]
        digits = np.stack([(ii // k ** d) % k for d in range(n)], axis=1)
        w = np.prod(w1[digits], axis=1)
        total += float(w @ revenue_np(g[digits], r))
    return total


def nquad(n: int, r: float, points: bool) -> tuple[float, int]:
    """scipy nquad on the scalar integrand; returns the value and the number of integrand calls."""
    f = revenue_scalar(r)
    calls = [0]

    def g(*x):
        calls[0] += 1
        return f(*x)

    extra = [r] if 0.0 < r < 1.0 else []
    if points:
        # variable i is integrated with variables i+1.. fixed (passed as args): break at them and r
        opts = [lambda *a: {"limit": NQUAD_LIMIT, "points": sorted(set(list(a) + extra))}] * n
    else:
        opts = [{"limit": NQUAD_LIMIT}] * n
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", integrate.IntegrationWarning)
        v, _ = integrate.nquad(g, [[0.0, 1.0]] * n, opts=opts)
    return v, calls[0]


def timed(fn, repeat: int = 1):
    """fn's result and its median wall time over `repeat` runs (every run must give the same result)."""
    times, outs = [], []
    for _ in range(repeat):
        t0 = time.perf_counter()
        outs.append(fn())
        times.append(time.perf_counter() - t0)
    first = outs[0].value if isinstance(outs[0], E.Expectation) else outs[0]
    assert all((o.value if isinstance(o, E.Expectation) else o) == first for o in outs)
    return outs[-1], statistics.median(times)


# ------------------------------------------------------------------------------- the table
HEAD = f"{'spec':<18} {'n':>2} {'method':<10} {'seconds':>9} {'|error|':>10} {'stderr':>9} {'points':>11}  notes"


def row(spec, n, method, secs, err, se=None, pts=None, note=""):
    s = f"{secs:>8.3f}s" if secs is not None else f"{'-':>9}"
    e = f"{err:>10.2e}" if err is not None else f"{'-':>10}"
    sd = f"{se:>9.1e}" if se is not None else f"{'-':>9}"
    p = f"{pts:>11,}" if pts is not None else f"{'-':>11}"
    print(f"{spec:<18} {n:>2} {method:<10} {s} {e} {sd} {p}  {note}".rstrip(), flush=True)


def main() -> None:
    t_start = time.perf_counter()
    print(f"values iid U[0, 1]; rqmc tol {TOL:g}, seed {SEED}; times wall-clock (exact, rqmc, trap21: median of 3)")
    print(HEAD)
    for spec, load, known_of, r in SPECS:
        nq_hist: dict[bool, list] = {True: [], False: []}  # (seconds, calls) by n, None once skipped
        summ = []
        for n in NS:
            model = load(n)
            expr = model.measures[0].expr
            known = known_of(n)
            kf = float(known)

            v, t_ex = timed(lambda m=model, e=expr: E.exact_expectation(m, e), 3)
            assert v == known, (spec, n, v, known)
            row(spec, n, "exact", t_ex, float(abs(v - known)), note=f"= {v}")

            q, t_rq = timed(lambda m=model, e=expr: E.rqmc_expectations(m, {"m": e}, TOL, SEED)["m"], 3)
            row(spec, n, "rqmc", t_rq, abs(q.value - kf), q.stderr, q.samples,
                f"{abs(q.value - kf) / q.stderr:.1f} stderr off; exact is {t_rq / t_ex:.0f}x faster")

            mv, mse, mm, t_mc = plain_mc(n, r, t_rq)
            row(spec, n, "mc=time", t_mc, abs(mv - kf), mse, mm,
                f"{abs(mv - kf) / mse:.1f} stderr off; stderr {mse / q.stderr:.0f}x rqmc's at equal time")

            for pts in (True, False):
                name = "nquad+pts" if pts else "nquad"
                hist = nq_hist[pts]
                if hist and hist[-1] is None:
                    row(spec, n, name, None, None, note=f"skipped: skipped at n = {n - 1}")
                    continue
                if len(hist) >= 2:  # calls grow by a roughly constant factor per added dimension
                    calls_est = hist[-1][1] ** 2 / hist[-2][1]
                    if calls_est > NQUAD_MAX_CALLS:
                        secs_est = calls_est * hist[-1][0] / hist[-1][1]
                        row(spec, n, name, None, None, note=f"skipped: estimated {calls_est / 1e6:,.0f} M calls > "
                            f"{NQUAD_MAX_CALLS / 1e6:.0f} M (~{secs_est:,.0f} s at the rate of n = {n - 1})")
                        hist.append(None)
                        continue
                (nv, calls), t_nq = timed(lambda n=n, r=r, pts=pts: nquad(n, r, pts))
                hist.append((t_nq, calls))
                row(spec, n, name, t_nq, abs(nv - kf), None, calls, "points = integrand calls")

            tv, t_tr = timed(lambda n=n, r=r: trapezoid(n, r), 3)
            row(spec, n, "trap21", t_tr, abs(tv - kf), None, 21 ** n)
            summ.append((n, t_ex, t_rq, abs(q.value - kf), q.stderr, abs(mv - kf), mse, abs(tv - kf)))
        print(f"  {spec}: exact error 0 in {min(s[1] for s in summ):.3f}-{max(s[1] for s in summ):.3f} s "
              f"({min(s[2] / s[1] for s in summ):.0f}-{max(s[2] / s[1] for s in summ):.0f}x faster than rqmc); "
              f"rqmc |error| <= {max(s[3] for s in summ):.1e} (stderr <= {max(s[4] for s in summ):.1e}); "
              f"plain MC at equal time |error| <= {max(s[5] for s in summ):.1e}, stderr "
              f"{min(s[6] / s[4] for s in summ):.0f}-{max(s[6] / s[4] for s in summ):.0f}x rqmc's; "
              f"trap21 |error| up to {max(s[7] for s in summ):.1e}", flush=True)
    print(f"total wall time {time.perf_counter() - t_start:.0f} s")


if __name__ == "__main__":
    main()
