"""Benchmark: start-up time of mechc commands against bare imports, in one run.

Each command runs in a fresh interpreter (``python -m mechc ...`` from the repository root, so the
working tree's package is the one measured), ``--repeat`` times; the median wall time is compared
with two baselines measured in the same run: ``python -c "import lark"`` (what every command needs
to read a spec) and ``python -c "import sympy, numpy, lark"`` (what building a Model needs).

Like an installed package, mechc's modules run from bytecode: PYTHONDONTWRITEBYTECODE is dropped
for the runs and the bytecode goes to a temporary PYTHONPYCACHEPREFIX (the warm-up run writes it),
so nothing is written into the tree. (With PYTHONDONTWRITEBYTECODE=1 every run would compile
mechc from source while sympy, numpy and lark load from their installed bytecode.)

Targets (issue 15): --help, --version, fmt and completion at most 1.5x ``import lark``;
``check specs/vickrey.mech`` at most 1.5x ``import sympy, numpy, lark``.

    python bench/bench_startup.py             # 7 runs per command
    python bench/bench_startup.py --repeat 3
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
ENV = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
ENV["PYTHONPYCACHEPREFIX"] = tempfile.mkdtemp(prefix="mechc-bench-pyc-")
LARK = ("-c", "import lark")
HEAVY = ("-c", "import sympy, numpy, lark")
CASES = [  # (label, argv after python, baseline, target ratio)
    ("mechc --help", ("-m", "mechc", "--help"), LARK, 1.5),
    ("mechc --version", ("-m", "mechc", "--version"), LARK, 1.5),
    ("mechc fmt --check vickrey", ("-m", "mechc", "fmt", "--check", "specs/vickrey.mech"), LARK, 1.5),
    ("mechc completion", ("-m", "mechc", "completion"), LARK, 1.5),
    ("mechc completion fish", ("-m", "mechc", "completion", "fish"), LARK, 1.5),
    ("mechc check vickrey", ("-m", "mechc", "check", "specs/vickrey.mech"), HEAVY, 1.5),
]


def run_once(argv: tuple[str, ...]) -> float:
    start = time.perf_counter()
    subprocess.run([sys.executable, *argv], cwd=ROOT, env=ENV, stdout=subprocess.DEVNULL,
                   stderr=subprocess.DEVNULL, check=False)
    return time.perf_counter() - start


def medians(argvs: list[tuple[str, ...]], repeat: int) -> dict[tuple[str, ...], float]:
    """Median wall time of each ``python argv`` over ``repeat`` fresh processes. The runs are
    interleaved (one of each per round) so a change in the machine's load touches every figure
    alike; a first round warms the file cache and writes the bytecode."""
    times: dict[tuple[str, ...], list[float]] = {a: [] for a in argvs}
    for k in range(repeat + 1):
        for a in argvs:
            t = run_once(a)
            if k:
                times[a].append(t)
    return {a: statistics.median(ts) for a, ts in times.items()}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeat", type=int, default=7)
    args = ap.parse_args()
    t = medians([LARK, HEAVY, *(argv for _, argv, _, _ in CASES)], args.repeat)
    print(f"baselines (median of {args.repeat}, interleaved with the commands):")
    for b in (LARK, HEAVY):
        print(f"  python {' '.join(b):32s} {t[b]:6.3f} s")
    print(f"\n{'command':28s} {'seconds':>8s}  {'ratio':>6s}  target  baseline")
    ok = True
    for label, argv, b, target in CASES:
        ratio = t[argv] / t[b]
        ok &= ratio <= target
        print(f"{label:28s} {t[argv]:8.3f}  {ratio:5.2f}x  <={target}x  {b[1]}  {'ok' if ratio <= target else 'MISSED'}")
    print("\nall targets met" if ok else "\nsome targets missed")
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
