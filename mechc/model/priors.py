"""Priors of continuous types: named distributions (scipy.stats), truncated to the declared
interval, and finite mixtures of them.

A ``Prior`` is plain data (frozen, hashable, printable); the numeric work is scipy's. It answers
what the integrators need:

- ``cdf`` / ``ppf`` of the truncated distribution, vectorised (quasi-Monte Carlo maps uniform
  points through ``ppf``; equal-probability grids use it too);
- ``density_pieces()``: the density as an exact piecewise polynomial with rational breakpoints and
  coefficients, when it is one (uniform, triangular, mixtures of them...), else ``None``. The exact
  integrator uses it; everything else falls back to numerical methods with a stated error.

scipy is imported on first numeric use, never at import time (start-up cost).
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction

import numpy as np


def _fmt(x) -> str:
    if isinstance(x, Fraction):
        return str(x.numerator) if x.denominator == 1 else f"{x.numerator}/{x.denominator}"
    return str(x)


@dataclass(frozen=True)
class Piece:
    """density(x) = sum(coeffs[k] * x**k) on [lo, hi] (exact rationals)."""

    lo: Fraction
    hi: Fraction
    coeffs: tuple[Fraction, ...]


@dataclass(frozen=True)
class Prior:
    """A continuous prior on [lo, hi] (either end may be None: unbounded).

    ``name`` is the distribution (uniform, exponential, normal, ...) or ``mixture``; ``args`` its
    parameters in the language's order; ``components`` (mixtures) are (weight, Prior) pairs whose
    weights sum to 1. The named distribution is truncated to [lo, hi] (renormalised)."""

    name: str
    args: tuple[Fraction, ...] = ()
    lo: Fraction | None = None
    hi: Fraction | None = None
    components: tuple[tuple[Fraction, Prior], ...] = ()

    # ---- description
    def describe(self) -> str:
        if self.name == "mixture":
            return " + ".join(f"{_fmt(w)} {c.describe()}" for w, c in self.components)
        if not self.args:
            return self.name
        return f"{self.name}(" + ", ".join(_fmt(a) for a in self.args) + ")"

    @property
    def bounded(self) -> bool:
        return self.lo is not None and self.hi is not None

    # ---- scipy
    def base(self):
        """The untruncated scipy.stats frozen distribution (not for mixtures)."""
        from scipy import stats

        a = [float(x) for x in self.args]
        if self.name == "uniform":
            lo, hi = (a[0], a[1]) if a else (float(self.lo), float(self.hi))
            return stats.uniform(loc=lo, scale=hi - lo)
        if self.name == "exponential":  # rate; shifted to the interval's start (memoryless)
            return stats.expon(loc=float(self.lo) if self.lo is not None else 0.0, scale=1.0 / a[0])
        if self.name == "normal":
            return stats.norm(loc=a[0], scale=a[1])
        raise ValueError(f"no scipy distribution for {self.name}")

    def _mass(self):
        """(F(lo), F(hi)) of the base distribution."""
        d = self.base()
        flo = float(d.cdf(float(self.lo))) if self.lo is not None else 0.0
        fhi = float(d.cdf(float(self.hi))) if self.hi is not None else 1.0
        return flo, fhi

    def cdf(self, x) -> np.ndarray:
        x = np.asarray(x, dtype=float)
        if self.name == "mixture":
            out = sum(float(w) * c.cdf(x) for w, c in self.components)
        else:
            flo, fhi = self._mass()
            out = (self.base().cdf(x) - flo) / (fhi - flo)
        lo = -np.inf if self.lo is None else float(self.lo)
        hi = np.inf if self.hi is None else float(self.hi)
        return np.clip(np.where(x < lo, 0.0, np.where(x >= hi, 1.0, out)), 0.0, 1.0)

    def ppf(self, u) -> np.ndarray:
        """Quantiles of the truncated distribution, for u in [0, 1]."""
        u = np.asarray(u, dtype=float)
        lo = -np.inf if self.lo is None else float(self.lo)
        hi = np.inf if self.hi is None else float(self.hi)
        if self.name == "mixture":
            return _invert(self.cdf, u, lo, hi)
        flo, fhi = self._mass()
        x = self.base().ppf(flo + u * (fhi - flo))
        return np.clip(x, lo, hi)

    # ---- exact form
    def density_pieces(self) -> tuple[Piece, ...] | None:
        """The density as an exact piecewise polynomial on [lo, hi], or None."""
        if self.name == "mixture":
            parts = [(w, c.density_pieces()) for w, c in self.components]
            if any(p is None for _, p in parts):
                return None
            return _truncate(_combine(parts), self.lo, self.hi)
        if self.name == "uniform":
            lo, hi = (self.args[0], self.args[1]) if self.args else (self.lo, self.hi)
            if lo is None or hi is None:
                return None
            return _truncate((Piece(lo, hi, (1 / (hi - lo),)),), self.lo, self.hi)
        return None


def _combine(parts) -> tuple[Piece, ...]:
    """Weighted sum of piecewise polynomials, on the union of their breakpoints."""
    cuts = sorted({b for _, ps in parts for p in ps for b in (p.lo, p.hi)})
    out = []
    for a, b in zip(cuts, cuts[1:], strict=False):
        coeffs: list[Fraction] = []
        for w, ps in parts:
            for p in ps:
                if p.lo <= a and b <= p.hi:
                    coeffs += [Fraction(0)] * (len(p.coeffs) - len(coeffs))
                    for k, c in enumerate(p.coeffs):
                        coeffs[k] += w * c
        if any(coeffs):
            out.append(Piece(a, b, tuple(coeffs)))
    return tuple(out)


def _integral(p: Piece, a: Fraction, b: Fraction) -> Fraction:
    return sum((c * (b ** (k + 1) - a ** (k + 1)) / (k + 1) for k, c in enumerate(p.coeffs)), Fraction(0))


def _truncate(pieces, lo, hi) -> tuple[Piece, ...] | None:
    """Restrict to [lo, hi] and renormalise (exactly)."""
    kept = []
    for p in pieces:
        a = p.lo if lo is None else max(p.lo, lo)
        b = p.hi if hi is None else min(p.hi, hi)
        if a < b:
            kept.append(Piece(a, b, p.coeffs))
    mass = sum((_integral(p, p.lo, p.hi) for p in kept), Fraction(0))
    if mass <= 0:
        return None
    return tuple(Piece(p.lo, p.hi, tuple(c / mass for c in p.coeffs)) for p in kept)


def _invert(cdf, u: np.ndarray, lo: float, hi: float) -> np.ndarray:
    """Vectorised bisection for a monotone cdf (mixtures have no closed-form quantile)."""
    a = np.full(u.shape, lo if np.isfinite(lo) else -1.0)
    b = np.full(u.shape, hi if np.isfinite(hi) else 1.0)
    if not np.isfinite(lo):
        while np.any(cdf(a) > u):
            a = np.where(cdf(a) > u, 2 * a, a)
    if not np.isfinite(hi):
        while np.any(cdf(b) < u):
            b = np.where(cdf(b) < u, 2 * b, b)
    for _ in range(64):
        m = 0.5 * (a + b)
        below = cdf(m) < u
        a, b = np.where(below, m, a), np.where(below, b, m)
    return 0.5 * (a + b)


def prior_of(ts) -> Prior:
    """The Prior of an interval TypeSpace (its declared distribution truncated to the interval)."""
    if getattr(ts, "prior", None) is not None:
        return ts.prior
    return Prior(ts.dist, tuple(ts.dist_args), ts.lo, ts.hi)
