"""Peak memory of all mixed equilibria of n x n games: the blocked completely-labelled-pair search
against the dense V_P x V_Q label matrix it replaced (issue 20 item 4), in one run.

    python bench/bench_mixed_memory.py            # n = 10, 11, 12 (dense and blocked), ~1 min
    python bench/bench_mixed_memory.py 12 13 14   # larger; 14 needs the basis limit raised (done here)

Each case runs in its own process (a random game with integer payoffs in [-50, 50], seed 0, exact
rationals) and reports CPU seconds, peak RSS and the number of extreme equilibria."""

import subprocess
import sys

CHILD = r"""
import resource, sys, time
from fractions import Fraction
import numpy as np
from mechc.games import mixed
n, mode = int(sys.argv[1]), sys.argv[2]
mixed.MAX_BASES = 50_000_000
if mode == "dense":
    mixed._complete_pairs = lambda labP, labQ, full: np.argwhere((labP[:, None] | labQ[None, :]) == full)
rng = np.random.default_rng(0)
A, B = (np.vectorize(Fraction, otypes=[object])(rng.integers(-50, 51, size=(n, n))) for _ in range(2))
t = time.process_time()
r = mixed.mixed_equilibria(A, B)
print(f"{time.process_time() - t:.1f} {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} {len(r.equilibria)}")
"""


def main() -> None:
    ns = [int(a) for a in sys.argv[1:]] or [10, 11, 12]
    print(f"{'n':>3} {'pairs search':>13} {'cpu s':>7} {'peak MB':>8} {'equilibria':>10}")
    for n in ns:
        for mode in ("dense", "blocked"):
            if mode == "dense" and n >= 14:
                print(f"{n:>3} {mode:>13}  skipped (the dense matrix needs ~7 GB)")
                continue
            out = subprocess.run([sys.executable, "-c", CHILD, str(n), mode], capture_output=True, text=True, check=True)
            cpu, mb, k = out.stdout.split()
            print(f"{n:>3} {mode:>13} {cpu:>7} {mb:>8} {k:>10}")


if __name__ == "__main__":
    main()
