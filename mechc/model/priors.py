"""Priors of continuous types: named distributions (scipy.stats), truncated to the declared
interval, and finite mixtures of them.

A ``Prior`` is plain data (frozen, hashable, printable); the numeric work is scipy's. It answers
what the integrators need:

- ``cdf`` / ``ppf`` of the truncated distribution, vectorised (quasi-Monte Carlo maps uniform
  points through ``ppf``; equal-probability grids use it too);
- ``density_pieces()``: the density as an exact piecewise polynomial with rational breakpoints and
  coefficients, when it is one (uniform, triangular, beta with integer parameters, mixtures of
  them), else ``None``. The exact integrator uses it; everything else falls back to numerical
  methods with a stated error.

The language's distributions are the table ``FAMILIES`` (name, parameters, support, scipy form);
``problems`` states what is wrong with a declaration so the checker can point at it. Every named
distribution is truncated to the declared interval (renormalised); a mixture's weights are the
probabilities of its components, each truncated to the interval.

scipy is imported on first numeric use, never at import time (start-up cost).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from fractions import Fraction

import numpy as np


def _fmt(x) -> str:
    if isinstance(x, Fraction):
        return str(x.numerator) if x.denominator == 1 else f"{x.numerator}/{x.denominator}"
    return str(x)


def interval_text(lo: Fraction | None, hi: Fraction | None) -> str:
    """``[0, 1]``, ``[0, inf)``, ``(-inf, inf)``: an infinite end is open, a finite one closed."""
    left = "(-inf" if lo is None else f"[{_fmt(lo)}"
    right = "inf)" if hi is None else f"{_fmt(hi)}]"
    return f"{left}, {right}"


# ---------------------------------------------------------------------------------------------
# The named distributions of the language
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Family:
    """One named distribution: its parameter lists (by arity), which must be positive, its support
    (ends as Fractions, None for infinite) and its scipy.stats form (args as floats)."""

    name: str
    arities: dict[int, tuple[str, ...]]
    positive: frozenset[str]
    support: Callable  # (args, lo, hi) -> (a, b)
    scipy: Callable  # (stats, args, lo, hi) -> frozen distribution
    on_interval: frozenset[int] = frozenset()  # arities that live on the declared interval (need it bounded)
    doc: str = ""

    def signatures(self) -> str:
        return " or ".join(self.name + (f"({', '.join(p)})" if p else "") for p in self.arities.values())


def _f(x) -> float:
    return float(x)


def _uniform_scipy(stats, a, lo, hi):
    a0, b0 = (a[0], a[1]) if a else (_f(lo), _f(hi))
    return stats.uniform(loc=a0, scale=b0 - a0)


def _triangular_scipy(stats, a, lo, hi):
    a0, m, b0 = a if len(a) == 3 else (_f(lo), a[0], _f(hi))
    return stats.triang((m - a0) / (b0 - a0), loc=a0, scale=b0 - a0)


FAMILIES: dict[str, Family] = {f.name: f for f in (
    Family("uniform", {0: (), 2: ("a", "b")}, frozenset(),
           lambda a, lo, hi: (a[0], a[1]) if a else (lo, hi), _uniform_scipy, frozenset({0}),
           "constant density on the interval; uniform(a, b) on [a, b]"),
    Family("exponential", {1: ("rate",)}, frozenset({"rate"}),
           lambda a, lo, hi: (Fraction(0), None),
           lambda stats, a, lo, hi: stats.expon(scale=1 / a[0]),
           doc="density rate * exp(-rate * x) on [0, inf)"),
    Family("normal", {2: ("mean", "sd")}, frozenset({"sd"}),
           lambda a, lo, hi: (None, None),
           lambda stats, a, lo, hi: stats.norm(loc=a[0], scale=a[1]),
           doc="on (-inf, inf); truncated to the interval it is the truncated normal"),
    Family("beta", {2: ("a", "b")}, frozenset({"a", "b"}),
           lambda a, lo, hi: (lo, hi),
           lambda stats, a, lo, hi: stats.beta(a[0], a[1], loc=_f(lo), scale=_f(hi) - _f(lo)),
           frozenset({2}), "Beta(a, b) scaled from [0, 1] to the declared interval"),
    Family("gamma", {2: ("shape", "rate")}, frozenset({"shape", "rate"}),
           lambda a, lo, hi: (Fraction(0), None),
           lambda stats, a, lo, hi: stats.gamma(a[0], scale=1 / a[1]),
           doc="density proportional to x^(shape-1) exp(-rate x) on [0, inf); gamma(1, r) = exponential(r)"),
    Family("lognormal", {2: ("mu", "sigma")}, frozenset({"sigma"}),
           lambda a, lo, hi: (Fraction(0), None),
           lambda stats, a, lo, hi: stats.lognorm(a[1], scale=np.exp(a[0])),
           doc="log x ~ normal(mu, sigma), on (0, inf)"),
    Family("pareto", {2: ("alpha", "scale")}, frozenset({"alpha", "scale"}),
           lambda a, lo, hi: (a[1], None),
           lambda stats, a, lo, hi: stats.pareto(a[0], scale=a[1]),
           doc="density alpha scale^alpha / x^(alpha+1) on [scale, inf)"),
    Family("triangular", {1: ("mode",), 3: ("lo", "mode", "hi")}, frozenset(),
           lambda a, lo, hi: (a[0], a[2]) if len(a) == 3 else (lo, hi), _triangular_scipy, frozenset({1}),
           "density rising linearly from lo to mode, falling to hi; triangular(mode) on the interval"),
)}

# names people reach for, and what the language calls them
ALIASES = {
    "truncnormal": "normal", "truncnorm": "normal", "truncated_normal": "normal", "gaussian": "normal",
    "norm": "normal", "expon": "exponential", "exp": "exponential", "lognorm": "lognormal",
    "log_normal": "lognormal", "triang": "triangular", "triangle": "triangular", "unif": "uniform",
}


@dataclass(frozen=True)
class Problem:
    """What is wrong with a declared prior: ``arg`` is the offending parameter's position (None:
    the whole distribution)."""

    message: str
    hint: str | None = None
    arg: int | None = None


def problems(name: str, args: tuple[Fraction, ...], lo: Fraction | None, hi: Fraction | None) -> list[Problem]:
    """Everything wrong with ``name(args)`` on the interval [lo, hi] (None: an infinite end)."""
    fam = FAMILIES[name]
    if len(args) not in fam.arities:
        takes = " or ".join(str(k) for k in fam.arities)
        return [Problem(f"{name} takes {takes} argument{'s' if takes != '1' else ''}, got {len(args)}",
                        f"write {fam.signatures()}")]
    names = fam.arities[len(args)]
    out = [Problem(f"{name}: the {p} must be positive, got {_fmt(v)}", None, k)
           for k, (p, v) in enumerate(zip(names, args, strict=True)) if p in fam.positive and v <= 0]
    where = interval_text(lo, hi)
    prior = Prior(name, tuple(args), lo, hi)
    if len(args) in fam.on_interval and (lo is None or hi is None):
        alt = {"uniform": "uniform(a, b)", "triangular": "triangular(lo, mode, hi)"}.get(name)
        out.append(Problem(f"{prior.describe()} lives on the declared interval, which must be bounded; {where} is not",
                           "bound the interval" + (f", or write {alt}" if alt else "") +
                           ", or choose a distribution with unbounded support (exponential, normal, gamma, ...)"))
    if name in ("uniform", "triangular") and len(args) >= 2:
        a, b = args[0], args[-1]
        if not a < b:
            out.append(Problem(f"{prior.describe()} needs {names[0]} < {names[-1]}"))
    if name == "triangular":
        a, m, b = args if len(args) == 3 else (lo, args[0], hi)
        if a is not None and b is not None and a < b and not a <= m <= b:
            out.append(Problem(f"triangular: the mode {_fmt(m)} is outside [{_fmt(a)}, {_fmt(b)}]", None,
                               1 if len(args) == 3 else 0))
    if out:
        return out
    sa, sb = fam.support(args, lo, hi)
    a, b = prior.support()
    if a is not None and b is not None and not a < b:
        return [Problem(f"{prior.describe()} puts no probability on {where}",
                        f"its support is {interval_text(sa, sb)}; the prior is truncated to the declared interval")]
    if prior.density_pieces() is None:
        try:
            with np.errstate(all="ignore"):
                mass = prior.mass()
        except (OverflowError, ValueError, ZeroDivisionError):
            return [Problem(f"{prior.describe()} cannot be evaluated in double precision on {where}",
                            "use parameters and bounds within about 1e300")]
        if not mass > 1e-300:
            return [Problem(f"{prior.describe()} gives {where} probability {mass:.3g}: too little to compute with",
                            "move the interval towards the distribution's bulk")]
    return []


# ---------------------------------------------------------------------------------------------
# Priors
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Piece:
    """density(x) = sum(coeffs[k] * x**k) on [lo, hi] (exact rationals)."""

    lo: Fraction
    hi: Fraction
    coeffs: tuple[Fraction, ...]


@dataclass(frozen=True)
class Prior:
    """A continuous prior on [lo, hi] (either end may be None: unbounded).

    ``name`` is the distribution (a key of FAMILIES) or ``mixture``; ``args`` its parameters in the
    language's order; ``components`` (mixtures) are (weight, Prior) pairs whose weights sum to 1.
    The named distribution is truncated to [lo, hi] (renormalised); a mixture's components are
    each truncated to [lo, hi], so the weights are the components' probabilities."""

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

    def support(self) -> tuple[Fraction | None, Fraction | None]:
        """Where the truncated prior puts its mass: the distribution's support met with [lo, hi]."""
        if self.name == "mixture":
            ends = [c.support() for _, c in self.components]
            a = None if any(e[0] is None for e in ends) else min(e[0] for e in ends)
            b = None if any(e[1] is None for e in ends) else max(e[1] for e in ends)
            return a, b
        sa, sb = FAMILIES[self.name].support(self.args, self.lo, self.hi)
        a = sa if self.lo is None else (self.lo if sa is None else max(sa, self.lo))
        b = sb if self.hi is None else (self.hi if sb is None else min(sb, self.hi))
        return a, b

    def uniform_on(self) -> tuple[Fraction, Fraction] | None:
        """(a, b) when the truncated prior is the uniform distribution on the bounded [a, b]."""
        if self.name != "uniform":
            return None
        a, b = self.support()
        return None if a is None or b is None else (a, b)

    def window(self, tail: float) -> tuple[float, float]:
        """[lo, hi] as floats, an infinite end replaced by the ``tail`` (or ``1 - tail``) quantile:
        a finite range for searches and plots over an unbounded type."""
        lo = float(self.lo) if self.lo is not None else float(self.ppf(tail))
        hi = float(self.hi) if self.hi is not None else float(self.ppf(1 - tail))
        return lo, hi

    # ---- scipy
    def base(self):
        """The untruncated scipy.stats frozen distribution (not for mixtures)."""
        from scipy import stats

        if self.name not in FAMILIES:
            raise ValueError(f"no scipy distribution for {self.name}")
        return FAMILIES[self.name].scipy(stats, [float(x) for x in self.args], self.lo, self.hi)

    def _window(self):
        """(distribution, upper, A, B): the truncation computed on the side that keeps precision.
        With upper False, A, B = F(lo), F(hi); with upper True (the interval in the upper tail,
        where 1 - F loses digits), A, B = S(lo), S(hi) for the survival function S."""
        d = self.base()
        lo = -np.inf if self.lo is None else float(self.lo)
        hi = np.inf if self.hi is None else float(self.hi)
        flo = float(d.cdf(lo))
        if flo <= 0.5:
            return d, False, flo, float(d.cdf(hi))
        return d, True, float(d.sf(lo)), float(d.sf(hi))

    def mass(self) -> float:
        """The probability of [lo, hi] under the untruncated distribution (1 for a mixture, whose
        components are truncated one by one)."""
        if self.name == "mixture":
            return 1.0
        _, upper, A, B = self._window()
        return A - B if upper else B - A

    def _ends(self) -> tuple[float, float]:
        return (-np.inf if self.lo is None else float(self.lo), np.inf if self.hi is None else float(self.hi))

    def cdf(self, x) -> np.ndarray:
        x = np.asarray(x, dtype=float)
        if self.name == "mixture":
            out = sum(float(w) * c.cdf(x) for w, c in self.components)
        else:
            d, upper, A, B = self._window()
            with np.errstate(all="ignore"):
                out = (A - d.sf(x)) / (A - B) if upper else (d.cdf(x) - A) / (B - A)
        lo, hi = self._ends()
        return np.clip(np.where(x < lo, 0.0, np.where(x >= hi, 1.0, out)), 0.0, 1.0)

    def pdf(self, x) -> np.ndarray:
        """The density of the truncated prior (0 outside [lo, hi])."""
        x = np.asarray(x, dtype=float)
        if self.name == "mixture":
            return sum(float(w) * c.pdf(x) for w, c in self.components)
        lo, hi = self._ends()
        with np.errstate(all="ignore"):
            out = self.base().pdf(x) / self.mass()
        return np.where((x < lo) | (x > hi), 0.0, out)

    def ppf(self, u) -> np.ndarray:
        """Quantiles of the truncated distribution, for u in [0, 1]."""
        u = np.asarray(u, dtype=float)
        lo, hi = self._ends()
        if self.name == "mixture":
            return _invert(self, u)
        d, upper, A, B = self._window()
        x = d.isf(A - u * (A - B)) if upper else d.ppf(A + u * (B - A))
        return np.clip(x, lo, hi)

    # ---- exact form
    def density_pieces(self) -> tuple[Piece, ...] | None:
        """The density as an exact piecewise polynomial on [lo, hi], or None."""
        if self.name == "mixture":
            parts = [(w, c.density_pieces()) for w, c in self.components]
            if any(p is None for _, p in parts):
                return None
            return _truncate(_combine(parts), self.lo, self.hi)
        exact = _EXACT.get(self.name)
        pieces = exact(self) if exact is not None else None
        return None if pieces is None else _truncate(pieces, self.lo, self.hi)


# ---- exact densities: (the untruncated density as pieces, or None) per family


def _uniform_pieces(p: Prior):
    a, b = FAMILIES["uniform"].support(p.args, p.lo, p.hi)
    if a is None or b is None:
        return None
    return (Piece(a, b, (1 / (b - a),)),)


def _triangular_pieces(p: Prior):
    a, m, b = p.args if len(p.args) == 3 else (p.lo, p.args[0] if p.args else None, p.hi)
    if a is None or b is None or m is None:
        return None
    out = []
    if a < m:  # 2 (x - a) / ((b - a)(m - a))
        s = Fraction(2) / ((b - a) * (m - a))
        out.append(Piece(a, m, (-a * s, s)))
    if m < b:  # 2 (b - x) / ((b - a)(b - m))
        s = Fraction(2) / ((b - a) * (b - m))
        out.append(Piece(m, b, (b * s, -s)))
    return tuple(out)


def _beta_pieces(p: Prior):
    """Beta(a, b) on [lo, hi] with positive integer a, b: y^(a-1) (1-y)^(b-1) / B(a, b) with
    y = (x - lo) / (hi - lo), expanded into powers of x."""
    if p.lo is None or p.hi is None or any(v.denominator != 1 or v <= 0 for v in p.args) \
            or sum(p.args) > MAX_EXACT_DEGREE + 2:
        return None
    a, b = (int(v) for v in p.args)
    w = p.hi - p.lo
    inv_beta = Fraction(math.factorial(a + b - 1), math.factorial(a - 1) * math.factorial(b - 1))
    y = (-p.lo / w, 1 / w)  # y as a polynomial in x
    poly = (inv_beta / w,)
    for _ in range(a - 1):
        poly = _poly_mul(poly, y)
    for _ in range(b - 1):
        poly = _poly_mul(poly, (1 - y[0], -y[1]))
    return (Piece(p.lo, p.hi, poly),)


MAX_EXACT_DEGREE = 64  # beta(a, b) keeps its polynomial density up to degree a + b - 2 <= 64

_EXACT = {"uniform": _uniform_pieces, "triangular": _triangular_pieces, "beta": _beta_pieces}


def _poly_mul(p: tuple[Fraction, ...], q: tuple[Fraction, ...]) -> tuple[Fraction, ...]:
    out = [Fraction(0)] * (len(p) + len(q) - 1)
    for i, x in enumerate(p):
        for j, y in enumerate(q):
            out[i + j] += x * y
    return tuple(out)


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


def _invert(mix: Prior, u: np.ndarray) -> np.ndarray:
    """Quantiles of a mixture, vectorised: the mixture's u-quantile lies between the smallest and
    the largest of its components' u-quantiles; bisection on the cdf between them."""
    shape = u.shape
    u = u.reshape(-1)
    qs = np.array([c.ppf(u) for _, c in mix.components])
    a, b = qs.min(axis=0), qs.max(axis=0)
    inner = np.isfinite(a) & np.isfinite(b) & (a < b)
    if np.any(inner):
        x, y, ui = a[inner], b[inner], u[inner]
        for _ in range(64):
            m = 0.5 * (x + y)
            below = mix.cdf(m) < ui
            x, y = np.where(below, m, x), np.where(below, y, m)
        a = a.copy()
        a[inner] = 0.5 * (x + y)
    return np.where(u >= 1, b, np.where(u <= 0, qs.min(axis=0), a)).reshape(shape)


def prior_of(ts) -> Prior:
    """The Prior of an interval TypeSpace (its declared distribution truncated to the interval)."""
    if getattr(ts, "prior", None) is not None:
        return ts.prior
    return Prior(ts.dist, tuple(ts.dist_args), ts.lo, ts.hi)
