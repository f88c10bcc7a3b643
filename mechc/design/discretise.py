"""Equal-probability discretisation of real intervals for designs.

A design on an interval is solved on a finite type space: the interval is cut into ``k`` cells of
equal prior probability and each cell is represented by its conditional mean, with weight exactly
1/k. (For ``uniform`` the cells are equal-width and the points are their midpoints, exact
rationals; for other priors the quantiles and conditional means come from scipy.stats and the
points are rounded to rationals with denominators up to 10^6: the weights stay exactly 1/k.)
Unlike the checker's grid (both end points, trapezoid weights), no point sits on an end of the
interval with half weight, so the grid's value converges to the continuum's at a steady rate the
extrapolation in ``continuum.py`` can use.
"""

from __future__ import annotations

import dataclasses
from fractions import Fraction

from ..model.model import Model, TypeSpace, _fmt

POINT_DENOMINATOR = 10**6  # rational rounding of non-uniform cell means


def _frozen(ts: TypeSpace):
    """The prior of an interval as a frozen scipy.stats distribution truncated to [lo, hi]."""
    from scipy import stats

    lo, hi = float(ts.lo), float(ts.hi)
    if ts.dist == "exponential":
        rate = float(ts.dist_args[0])
        return stats.truncexpon((hi - lo) * rate, loc=lo, scale=1 / rate)
    if ts.dist == "normal":
        mu, sd = (float(a) for a in ts.dist_args)
        return stats.truncnorm((lo - mu) / sd, (hi - mu) / sd, loc=mu, scale=sd)
    raise ValueError(f"no equal-probability cells for the prior {ts.dist}")


def equal_probability_points(ts: TypeSpace, k: int) -> list[Fraction]:
    """The conditional means of the k equal-probability cells of an interval's prior."""
    if ts.dist == "uniform":
        return [ts.lo + (ts.hi - ts.lo) * Fraction(2 * j + 1, 2 * k) for j in range(k)]
    d = _frozen(ts)
    edges = [float(ts.lo)] + [float(d.ppf(j / k)) for j in range(1, k)] + [float(ts.hi)]
    means = [d.expect(lambda x: x, lb=a, ub=b, conditional=True) for a, b in zip(edges, edges[1:], strict=False)]
    return [min(ts.hi, max(ts.lo, Fraction(float(m)).limit_denominator(POINT_DENOMINATOR))) for m in means]


def discretised_space(ts: TypeSpace, k: int) -> TypeSpace:
    """A finite type space for an interval (finite spaces are returned as they are)."""
    if not ts.continuous:
        return ts
    pts = equal_probability_points(ts, k)
    return dataclasses.replace(ts, kind="finite", values=tuple(pts), probs=tuple(Fraction(1, k) for _ in pts),
                               labels=tuple(_fmt(p) for p in pts))


def discretised(model: Model, k: int) -> Model:
    """The model with every real interval replaced by k equal-probability points; the original
    spaces and k are kept in ``extra["discretised"]`` (for reports and the written-out design)."""
    if model.finite:
        return model
    spaces = tuple(discretised_space(ts, k) for ts in model.type_spaces)
    generic = discretised_space(model.generic_space, k) if model.generic_space is not None else None
    return dataclasses.replace(model, type_spaces=spaces, generic_space=generic,
                               extra={**model.extra, "discretised": {"k": k, "spaces": model.type_spaces}})


def describe(model: Model) -> str | None:
    """One phrase naming the discretisation of a design solved on one, else None."""
    info = model.extra.get("discretised")
    if info is None:
        return None
    return (f"{info['k']} equal-probability points per real interval (the conditional means of "
            f"{info['k']} cells of equal prior probability, weight 1/{info['k']} each)")
