"""Benchmark: start-up time of mechc commands against bare imports, in one run.

Each command runs in a fresh interpreter (``python -m mechc ...`` from the repository root, so the
working tree's package is the one measured), ``--repeat`` times; the median wall time is compared
with two baselines measured in the same run: ``python -c "import lark"`` (what every command needs
to read a spec) and ``python -c "import sympy, numpy, lark"`` (what building a Model needs).

Targets (issue 15): --help, --version, fmt and completion at most 1.5x ``import lark``;
``check specs/vickrey.mech`` at most 1.5x ``import sympy, numpy, lark``.

    python bench/bench_startup.py             # 7 runs per command
    python bench/bench_startup.py --repeat 3
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
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


def seconds(argv: tuple[str, ...], repeat: int) -> float:
    """Median wall time of ``python argv`` over ``repeat`` fresh processes (one warm-up first)."""
    times = []
    for k in range(repeat + 1):
        start = time.perf_counter()
        subprocess.run([sys.executable, *argv], cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                       check=False)
        if k:  # the first run warms the file cache
            times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeat", type=int, default=7)
    args = ap.parse_args()
    base = {b: seconds(b, args.repeat) for b in (LARK, HEAVY)}
    print(f"baselines (median of {args.repeat}):")
    for b, t in base.items():
        print(f"  python {' '.join(b):32s} {t:6.3f} s")
    print(f"\n{'command':28s} {'seconds':>8s}  {'ratio':>6s}  target  baseline")
    ok = True
    for label, argv, b, target in CASES:
        t = seconds(argv, args.repeat)
        ratio = t / base[b]
        ok &= ratio <= target
        print(f"{label:28s} {t:8.3f}  {ratio:5.2f}x  <={target}x  {b[1]}  {'ok' if ratio <= target else 'MISSED'}")
    print("\nall targets met" if ok else "\nsome targets missed")
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
