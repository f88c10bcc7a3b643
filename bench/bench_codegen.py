"""Benchmark: batch throughput of generated modules against hand-written numpy and plain Python.

Cases (one run, same machine, same random profiles, seed 0):
  second price, 3 bidders, values in [0, 1]          (bench/second_price.mech)
  VCG over assignments of two items, 2 bidders       (specs/vcg_combinatorial.mech)
For each: the generated module's ``evaluate`` (allocation and payments of every profile, with input
validation), a careful hand-written numpy version, and a plain Python loop (timed on a subset).

    python bench/bench_codegen.py            # 1,000,000 profiles per case
    python bench/bench_codegen.py --quick    # 100,000
"""

from __future__ import annotations

import argparse
import importlib.util
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent


def compile_spec(spec: str, out: Path, *params: str):
    cmd = [sys.executable, "-m", "mechc.cli", "compile", spec, "-o", str(out), "--no-verify"]
    for p in params:
        cmd += ["--param", p]
    subprocess.run(cmd, check=True, capture_output=True, cwd=ROOT)
    name = Path(spec).stem
    spec_ = importlib.util.spec_from_file_location(name, out / f"{name}.py")
    mod = importlib.util.module_from_spec(spec_)
    sys.modules[name] = mod
    spec_.loader.exec_module(mod)
    return mod


def best_of(fn, reps=3) -> float:
    times = []
    for _ in range(reps):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return min(times)


# ---- second price
def sp_numpy(b):
    n = b.shape[1]
    winner = np.argmax(b, axis=1)  # first maximum: lowest index, as the spec's tie rule
    x = np.zeros_like(b)
    x[np.arange(len(b)), winner] = 1.0
    part = np.partition(b, n - 2, axis=1)
    second = part[:, n - 2]
    pay = x * second[:, None]
    return x, pay


def sp_python(rows):
    out = []
    for r in rows:
        w = max(range(len(r)), key=lambda j: (r[j], -j))
        pay = [0.0] * len(r)
        pay[w] = max(r[j] for j in range(len(r)) if j != w)
        out.append((w, pay))
    return out


# ---- VCG over two items, additive bids (matches specs/vcg_combinatorial.mech)
def vcg_numpy(b):
    # outcomes: every assignment of items A, B to none/1/2 (none first), as the spec enumerates them
    opts = [-1, 0, 1]
    outs = np.array([(a, c) for a in opts for c in opts])  # (9, 2)
    P = len(b)
    # value of outcome o to bidder i: sum over items k assigned to i of b[i, k]
    val = np.zeros((P, len(outs), 2))
    for i in range(2):
        val[:, :, i] = (outs[None, :, 0] == i) * b[:, i, 0][:, None] + (outs[None, :, 1] == i) * b[:, i, 1][:, None]
    total = val.sum(axis=2)
    choice = np.argmax(total, axis=1)
    pay = np.zeros((P, 2))
    for i in range(2):
        others = total - val[:, :, i]
        pay[:, i] = others.max(axis=1) - others[np.arange(P), choice]
    return choice, pay


def vcg_python(rows):
    opts = [None, 0, 1]
    outs = [(a, c) for a in opts for c in opts]
    res = []
    for b in rows:
        def v(i, o, b=b):
            return sum(b[i][k] for k in range(2) if o[k] == i)
        best = max(range(len(outs)), key=lambda j: (sum(v(i, outs[j]) for i in range(2)), -j))
        pay = []
        for i in range(2):
            oth = [sum(v(j, o) for j in range(2) if j != i) for o in outs]
            pay.append(max(oth) - oth[best])
        res.append((best, pay))
    return res


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--quick", action="store_true")
    a = ap.parse_args()
    P = 100_000 if a.quick else 1_000_000
    rng = np.random.default_rng(0)
    with tempfile.TemporaryDirectory() as tmp:
        sp = compile_spec("bench/second_price.mech", Path(tmp))
        vcg = compile_spec("specs/vcg_combinatorial.mech", Path(tmp))
        b_sp = rng.random((P, 3))
        b_vcg = rng.choice([0.0, 1.0, 2.0], size=(P, 2, 2))
        # agreement first: the benchmark compares equal work
        g = sp.evaluate(b_sp[:1000])
        x, pay = sp_numpy(b_sp[:1000])
        assert np.array_equal(g.x, x) and np.allclose(g.pay, pay)
        gv = vcg.evaluate(b_vcg[:1000])
        _, vpay = vcg_numpy(b_vcg[:1000])
        assert np.allclose(gv.pay, vpay)
        rows_sp = b_sp[:20_000].tolist()
        rows_vcg = b_vcg[:5_000].tolist()
        cases = [
            ("second price (3 bidders)", lambda: sp.evaluate(b_sp), lambda: sp_numpy(b_sp),
             lambda: sp_python(rows_sp), len(rows_sp)),
            ("VCG, 2 items x 2 bidders", lambda: vcg.evaluate(b_vcg), lambda: vcg_numpy(b_vcg),
             lambda: vcg_python(rows_vcg), len(rows_vcg)),
        ]
        print(f"{P:,} profiles per case; best of 3 (plain Python timed once on a subset, extrapolated)")
        print(f"{'case':<26} {'generated':>12} {'numpy':>12} {'python':>12}   profiles/s of generated; ratio")
        for label, gen, hand, py, n_py in cases:
            tg, tn = best_of(gen), best_of(hand)
            t0 = time.perf_counter()
            py()
            tp = (time.perf_counter() - t0) * P / n_py
            print(f"{label:<26} {tg:>11.3f}s {tn:>11.3f}s {tp:>11.1f}s   {P / tg:,.0f}/s; "
                  f"generated/numpy = {tg / tn:.2f}x; python/generated = {tp / tg:.0f}x")


if __name__ == "__main__":
    main()
