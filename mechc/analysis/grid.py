"""Each agent's type space as a finite list of points with prior weights.

Finite spaces are taken as declared. A real interval becomes ``K`` evenly spaced rational points
including both ends, weighted by the trapezoid rule times the density and normalised, so
expectations are quadratures of the continuous prior (exact weights for ``uniform``).
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass
from fractions import Fraction

import numpy as np

from ..model.model import Model, TypeSpace, _fmt

DEFAULT_GRID = 21
DEFAULT_PROFILES = 1_000_000  # the default grid shrinks (to at least 5 points) to stay near this


def default_grid(model: Model) -> int:
    """21 points per real dimension, fewer when there are many dimensions (at least 5), so that a
    check with no --grid stays near a million report profiles."""
    finite = math.prod(len(ts.values) ** (len(ts.items) if ts.items is not None else 1)
                       for ts in model.type_spaces if not ts.continuous)
    dims = sum(len(ts.items) if ts.items is not None else 1 for ts in model.type_spaces if ts.continuous)
    if dims == 0:
        return DEFAULT_GRID
    k = int((DEFAULT_PROFILES / max(1, finite)) ** (1 / dims) + 1e-9)
    return max(5, min(DEFAULT_GRID, k))


@dataclass
class AgentGrid:
    values: np.ndarray  # (T, K) float64, or int64 symbol codes
    exact: np.ndarray  # (T, K) object: Fractions (or int codes)
    probs: np.ndarray  # (T,) float64
    exact_probs: np.ndarray  # (T,) object Fractions
    labels: list[str]

    @property
    def size(self) -> int:
        return len(self.labels)


def _density(ts: TypeSpace, x: Fraction) -> float:
    if ts.dist == "exponential":
        return math.exp(-float(ts.dist_args[0]) * float(x - ts.lo))
    if ts.dist == "normal":
        mu, sd = (float(a) for a in ts.dist_args)
        return math.exp(-((float(x) - mu) ** 2) / (2 * sd * sd))
    return 1.0


def component_points(ts: TypeSpace, k: int) -> tuple[list, list[Fraction], list[str]]:
    if not ts.continuous:
        return list(ts.values), list(ts.probs), list(ts.labels)
    pts = [ts.lo + (ts.hi - ts.lo) * Fraction(j, k - 1) for j in range(k)]
    trap = [Fraction(1, 2) if j in (0, k - 1) else Fraction(1) for j in range(k)]
    if ts.dist == "uniform":
        w = trap
    else:
        w = [t * Fraction(_density(ts, p)) for t, p in zip(trap, pts, strict=True)]
    total = sum(w)
    return pts, [x / total for x in w], [_fmt(p) for p in pts]


def agent_grid(ts: TypeSpace, k: int) -> AgentGrid:
    vals, probs, labels = component_points(ts, k)
    m = len(ts.items) if ts.items is not None else 1
    if m == 1:
        rows = [(v,) for v in vals]
        prow = probs
        lab = labels
    else:
        combos = list(itertools.product(range(len(vals)), repeat=m))
        rows = [tuple(vals[c] for c in combo) for combo in combos]
        prow = [math.prod((probs[c] for c in combo), start=Fraction(1)) for combo in combos]
        lab = ["(" + ", ".join(labels[c] for c in combo) + ")" for combo in combos]
    exact = np.empty((len(rows), m), dtype=object)
    for r, row in enumerate(rows):
        for c, v in enumerate(row):
            exact[r, c] = v
    values = exact.astype(np.int64) if ts.symbolic else exact.astype(float)
    ep = np.empty(len(prow), dtype=object)
    ep[:] = list(prow)
    return AgentGrid(values, exact, ep.astype(float), ep, lab)


def space_sizes(model: Model, k: int | None) -> list[int]:
    """Points per agent, computed without building anything (for up-front resource checks)."""
    out = []
    for ts in model.type_spaces:
        per = len(ts.values) if not ts.continuous else (k or default_grid(model))
        out.append(per ** (len(ts.items) if ts.items is not None else 1))
    return out


def grids(model: Model, k: int | None) -> list[AgentGrid]:
    return [agent_grid(ts, k or default_grid(model)) for ts in model.type_spaces]
