"""Each agent's type space as a finite list of points with prior weights.

Finite spaces are taken as declared. A real interval with a uniform prior becomes ``K`` evenly
spaced rational points including both ends, weighted by the trapezoid rule (exact rationals). Any
other prior (bounded or not) is cut into ``K`` cells of equal probability, each represented by its
midpoint in probability, ``ppf((j + 1/2) / K)`` rounded to 9 significant digits, with weight
exactly ``1/K``: the points follow the mass, so a prior whose mass sits in a small part of a wide
(or unbounded) interval is not reduced to one point.
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass
from fractions import Fraction

import numpy as np

from ..model.model import Model, TypeSpace, _fmt
from ..model.priors import prior_of

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


def component_points(ts: TypeSpace, k: int) -> tuple[list, list[Fraction], list[str]]:
    if not ts.continuous:
        return list(ts.values), list(ts.probs), list(ts.labels)
    prior = prior_of(ts)
    uniform = prior.uniform_on()
    if uniform is None:
        return _quantile_points(prior, k)
    lo, hi = uniform
    pts = [lo + (hi - lo) * Fraction(j, k - 1) for j in range(k)]
    w = [Fraction(1, 2) if j in (0, k - 1) else Fraction(1) for j in range(k)]
    total = sum(w)
    return pts, [x / total for x in w], [_fmt(p) for p in pts]


def _quantile_points(prior, k: int) -> tuple[list, list[Fraction], list[str]]:
    """Midpoints in probability of K equal-probability cells, as short decimal rationals."""
    lo, hi = prior.support()
    pts, labels = [], []
    for x in prior.ppf((np.arange(k) + 0.5) / k):
        p = Fraction(f"{float(x):.9g}")
        p = p if lo is None else max(lo, p)
        p = p if hi is None else min(hi, p)
        pts.append(p)
        labels.append(f"{float(x):.9g}" if p == Fraction(f"{float(x):.9g}") else _fmt(p))
    return pts, [Fraction(1, k)] * k, labels


def quadrature_text(model: Model) -> str:
    """How a grid turns the model's continuous priors into weights (for metric descriptions)."""
    rules = {"trapezoid rule" if prior_of(ts).uniform_on() is not None else "equal-probability cells at quantiles"
             for ts in model.type_spaces if ts.continuous}
    return " on uniform priors, ".join(sorted(rules, reverse=True)) + (" on the others" if len(rules) > 1 else "")


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
