"""From grid optima to an estimate of the continuum optimum, with a stated error.

A design on real intervals is solved on k equal-probability points per interval; its optimum is
the optimum of that finite problem (a grid value), not of the continuous one. The continuum value
is estimated by Richardson extrapolation over a ladder of grids: pairs (m, 2m) with 2m <= K, the
grid the user asked for. The error of the grid value behaves like C m^-p; the observed order p is
the slope of log |V(m) - V(2m)| against log m (clipped to [1/2, 3]). Each pair is extrapolated
twice, with the observed order and with order 1 (the order of a cell width), and the estimate is
the middle of all these extrapolations; the stated error is half their spread (never below the
solver's tolerance). It is an estimate from observed convergence, not a bound, and says so.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

MIN_GRID = 6  # the ladder needs two pairs (m, 2m) with m >= 2
SOLVER_TOLERANCE = 1e-6  # relative: HiGHS's optima are accurate to about 1e-7


@dataclass
class ContinuumEstimate:
    value: float | None  # the middle of the extrapolations (None: no estimate, see reason)
    error: float | None  # half the spread of the extrapolations
    order: float | None  # observed convergence order
    grid_values: dict  # k -> grid optimum (float)
    extrapolations: list  # (m, 2m, order, value)
    method: str
    reason: str = ""

    def to_json(self) -> dict:
        return {"value": self.value, "error": self.error, "order": self.order, "method": self.method,
                "reason": self.reason or None,
                "grid_values": {str(k): v for k, v in sorted(self.grid_values.items())},
                "extrapolations": [{"grids": [a, b], "order": p, "value": v} for a, b, p, v in self.extrapolations]}


def ladder(K: int) -> list[int]:
    """The coarse grids m of the pairs (m, 2m): the three largest with 2m <= K and two near K/4."""
    h, q = K // 2, K // 4
    return sorted({m for m in (h, h - 1, h - 2, q, q - 1) if m >= 2})


def grids_needed(K: int) -> list[int]:
    return sorted({k for m in ladder(K) for k in (m, 2 * m)})


def extrapolate(values: dict) -> ContinuumEstimate:
    """The continuum estimate from grid optima ``{k: V(k)}`` covering ``grids_needed(K)``."""
    K = max(values)
    ms = ladder(K)
    method = (f"Richardson extrapolation of the grid optima over the pairs (m, 2m), m = "
              f"{', '.join(map(str, ms))}, with the observed order and with order 1; the error is half "
              "the spread of the extrapolations (an estimate, not a bound)")
    if len(ms) < 2:
        return ContinuumEstimate(None, None, None, dict(values), [], method,
                                 f"too few grids to extrapolate: use --grid {MIN_GRID} or more")
    diffs = [values[m] - values[2 * m] for m in ms]
    scale = max(1.0, max(abs(v) for v in values.values()))
    if all(abs(d) <= SOLVER_TOLERANCE * scale for d in diffs):  # the grids agree: no visible discretisation error
        v = values[K]
        return ContinuumEstimate(v, SOLVER_TOLERANCE * scale, None, dict(values), [], method)
    if any(d > 0 for d in diffs) and any(d < 0 for d in diffs) or any(d == 0 for d in diffs):
        return ContinuumEstimate(None, None, None, dict(values), [], method,
                                 "the grid optima do not converge monotonically over the ladder; no estimate")
    xs = [math.log(m) for m in ms]
    ys = [math.log(abs(d)) for d in diffs]
    xm, ym = sum(xs) / len(xs), sum(ys) / len(ys)
    slope = sum((x - xm) * (y - ym) for x, y in zip(xs, ys, strict=True)) / sum((x - xm) ** 2 for x in xs)
    order = min(3.0, max(0.5, -slope))
    ext = [(m, 2 * m, p, values[2 * m] - d / (2 ** p - 1))
           for m, d in zip(ms, diffs, strict=True) for p in sorted({1.0, order})]
    lo, hi = min(e[3] for e in ext), max(e[3] for e in ext)
    return ContinuumEstimate((lo + hi) / 2, max((hi - lo) / 2, SOLVER_TOLERANCE * scale), order, dict(values),
                             ext, method)
