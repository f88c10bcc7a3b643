"""The cost model's limits, in one place: every job is sized before it runs.

Each back end estimates its work from the spec alone (type-space sizes, strategy counts, binder
sets, exponents) in exact Python integers -- never numpy, whose int64 products wrap around -- and
calls ``refuse_if`` before allocating anything. A refusal is a ResourceLimit (exit code 3) naming
the estimate, the limit and the flag that raises it. Budgets for work whose size cannot be known
upfront (z3, iterated best response) are counted in work units, never in seconds.

This module imports nothing heavy: the command line reads its defaults from here.
"""

from __future__ import annotations

import math

from .errors import ResourceLimit

MAX_SOURCE_BYTES = 1_000_000  # a spec's size
MAX_AGGREGATE_TERMS = 10_000_000  # terms of one aggregate, nested ones multiplied, per evaluation
MAX_POWER_BITS = 1_000_000  # bits of an exact constant power such as (3/2) ^ k
MAX_GAME_CELLS = 50_000_000  # payoffs of a finite game: strategy profiles x players (solve --max-cells)
MAX_BASES = 20_000_000  # vertex enumeration of a bimatrix game: C(m + n, m) (solve --max-bases)
MAX_PLOT_CELLS = 50_000_000  # utilities one plot evaluates (plot --max-cells)
MAX_DESIGN_VARIABLES = 2_000_000  # decision variables of a design's linear program
SMT_BUDGET = 10_000_000  # z3 rlimit units per query (check --smt-budget); calibrated in docs/language.md section 11
SMT_TIMEOUT_S = 120.0  # z3 wall-clock safety net per query (check --timeout); the budget decides first


def size_text(n: int) -> str:
    """An exact count for a message, however big: 12,345 or about 1.2e+30, never through float
    (counts such as 2^5000 overflow it, and str() of a 5000-digit int is refused)."""
    n = int(n)
    if abs(n) < 10**12:
        return f"{n:,}"
    shift = max(0, abs(n).bit_length() - 64)  # the top 64 bits carry the mantissa
    lg = math.log10(abs(n) >> shift) + shift * math.log10(2)
    exp = math.floor(lg)
    mant = min(10 ** (lg - exp), 9.9)  # 9.96 would print as 10.0
    return f"about {'-' if n < 0 else ''}{mant:.1f}e+{exp:02d}"


def refuse_if(estimate: int, limit: int, what: str, flag: str) -> None:
    """ResourceLimit when ``estimate`` (an exact integer) exceeds ``limit``: '<what> <estimate>; the limit
    is <limit>', with the flag (or the change to the spec) that lets it run."""
    if estimate > limit:
        raise ResourceLimit(f"{what} {size_text(estimate)}; the limit is {size_text(limit)}", flag)
