"""Priors in the language: every named distribution against scipy.stats directly, truncation,
mixtures, exact density pieces, unbounded intervals, per-agent priors, located errors, fmt."""

import subprocess
import sys
from fractions import Fraction as F

import numpy as np
import pytest
from scipy import stats

import mechc
from mechc.analysis.grid import component_points
from mechc.errors import SpecErrors
from mechc.fmt import format_text
from mechc.model.priors import FAMILIES, Prior, _integral
from mechc.parse import parse

INF = None

# (prior, the untruncated scipy distribution built here independently of mechc)
CASES = [
    (Prior("uniform", (), F(0), F(1)), stats.uniform(0, 1)),
    (Prior("uniform", (F(-1), F(3)), F(0), F(2)), stats.uniform(-1, 4)),
    (Prior("exponential", (F(1, 3),), F(0), INF), stats.expon(scale=3)),
    (Prior("exponential", (F(2),), F(1), F(4)), stats.expon(scale=0.5)),
    (Prior("normal", (F(1), F(2)), INF, INF), stats.norm(1, 2)),
    (Prior("normal", (F(0), F(1)), F(-1, 2), F(3)), stats.norm(0, 1)),
    (Prior("normal", (F(0), F(1)), F(10), F(11)), stats.norm(0, 1)),  # deep in the upper tail
    (Prior("beta", (F(2), F(3)), F(1), F(3)), stats.beta(2, 3, loc=1, scale=2)),
    (Prior("beta", (F(1, 2), F(5, 2)), F(0), F(1)), stats.beta(0.5, 2.5)),
    (Prior("gamma", (F(2), F(3)), F(0), INF), stats.gamma(2, scale=1 / 3)),
    (Prior("gamma", (F(3, 2), F(1)), F(1), F(5)), stats.gamma(1.5)),
    (Prior("lognormal", (F(0), F(1, 2)), F(0), INF), stats.lognorm(0.5, scale=1.0)),
    (Prior("lognormal", (F(1), F(1)), F(1), F(10)), stats.lognorm(1, scale=np.e)),
    (Prior("pareto", (F(3), F(2)), F(0), INF), stats.pareto(3, scale=2)),
    (Prior("pareto", (F(3), F(2)), F(3), F(9)), stats.pareto(3, scale=2)),
    (Prior("triangular", (F(0), F(1), F(4)), F(0), F(4)), stats.triang(0.25, loc=0, scale=4)),
    (Prior("triangular", (F(1, 2),), F(0), F(2)), stats.triang(0.25, loc=0, scale=2)),
    (Prior("triangular", (F(0), F(3), F(4)), F(1), F(2)), stats.triang(0.75, loc=0, scale=4)),
]
IDS = [c[0].describe() + f" on [{c[0].lo}, {c[0].hi}]" for c in CASES]


def _ends(p):
    return (-np.inf if p.lo is None else float(p.lo), np.inf if p.hi is None else float(p.hi))


@pytest.mark.parametrize("prior,ref", CASES, ids=IDS)
def test_cdf_and_ppf_are_scipys_truncated_distribution(prior, ref):
    lo, hi = _ends(prior)
    u = np.linspace(0.01, 0.99, 25)
    a, b = ref.cdf(lo), ref.cdf(hi)
    if a > 0.5:  # the reference in the upper tail: through the survival function
        sa, sb = ref.sf(lo), ref.sf(hi)
        want_x = ref.isf(sa - u * (sa - sb))
    else:
        want_x = ref.ppf(a + u * (b - a))
    assert np.allclose(prior.ppf(u), want_x, rtol=1e-9, atol=1e-12)
    x = want_x
    assert np.allclose(prior.cdf(x), u, rtol=1e-7, atol=1e-12)
    mass = (ref.sf(lo) - ref.sf(hi)) if a > 0.5 else (b - a)
    assert np.allclose(prior.pdf(x), ref.pdf(x) / mass, rtol=1e-7)
    # outside the interval: no mass
    if np.isfinite(lo):
        assert prior.cdf(lo - 1) == 0 and prior.pdf(lo - 1) == 0
    if np.isfinite(hi):
        assert prior.cdf(hi + 1) == 1 and prior.pdf(hi + 1) == 0


def test_normal_truncation_matches_scipys_truncnorm_in_the_tail():
    p = Prior("normal", (F(0), F(1)), F(10), F(11))
    ref = stats.truncnorm(10, 11)
    u = np.array([0.001, 0.25, 0.5, 0.9, 0.999])
    assert np.allclose(p.ppf(u), ref.ppf(u), rtol=1e-10)
    assert np.allclose(p.cdf([10.05, 10.5]), ref.cdf([10.05, 10.5]), rtol=1e-9)


def test_every_family_has_a_scipy_form_and_a_case_here():
    assert {c[0].name for c in CASES} == set(FAMILIES)
    assert {"uniform", "exponential", "normal", "beta", "gamma", "lognormal", "pareto", "triangular"} <= set(FAMILIES)


def test_gamma_with_shape_one_is_the_exponential_with_the_same_rate():
    x = np.linspace(0, 5, 11)
    g = Prior("gamma", (F(1), F(2)), F(0), None)
    e = Prior("exponential", (F(2),), F(0), None)
    assert np.allclose(g.cdf(x), e.cdf(x)) and np.allclose(e.cdf(x), 1 - np.exp(-2 * x))


def _mixture(lo, hi, *parts):
    return Prior("mixture", (), lo, hi, tuple((w, Prior(n, a, lo, hi)) for w, n, a in parts))


MIX = _mixture(F(0), F(8), (F(3, 4), "uniform", (F(0), F(3))), (F(1, 4), "uniform", (F(3), F(8))))
MIX_UNBOUNDED = _mixture(F(0), None, (F(1, 2), "exponential", (F(1),)), (F(1, 2), "normal", (F(5), F(1))))


def test_a_mixture_cdf_is_the_weighted_sum_of_its_truncated_components():
    x = np.linspace(-1, 12, 40)
    want = 0.5 * stats.expon.cdf(x) + 0.5 * (stats.norm(5, 1).cdf(x) - stats.norm(5, 1).cdf(0)) / stats.norm(5, 1).sf(0)
    assert np.allclose(MIX_UNBOUNDED.cdf(x), np.clip(want, 0, 1), atol=1e-12)
    # the weights are the components' probabilities: 3/4 of the mass on [0, 3]
    assert MIX.cdf(3.0) == pytest.approx(0.75)


@pytest.mark.parametrize("mix", [MIX, MIX_UNBOUNDED], ids=["uniforms", "exponential+normal"])
def test_mixture_quantiles_invert_the_cdf(mix):
    u = np.linspace(0.001, 0.999, 57)
    assert np.allclose(mix.cdf(mix.ppf(u)), u, atol=1e-10)
    assert MIX.ppf(0.5) == pytest.approx(2.0) and MIX.ppf(0.875) == pytest.approx(5.5)
    assert MIX.ppf(0.0) == 0.0 and MIX.ppf(1.0) == 8.0


EXACT = [
    Prior("uniform", (), F(0), F(1)),
    Prior("uniform", (F(-1), F(3)), F(0), F(2)),
    Prior("triangular", (F(0), F(1), F(4)), F(0), F(4)),
    Prior("triangular", (F(1, 2),), F(0), F(2)),
    Prior("triangular", (F(0), F(3), F(4)), F(1), F(2)),
    Prior("triangular", (F(0), F(0), F(1)), F(0), F(1)),  # the mode at an end: one piece
    Prior("beta", (F(2), F(3)), F(1), F(3)),
    Prior("beta", (F(1), F(1)), F(0), F(1)),
    Prior("beta", (F(4), F(2)), F(-1), F(1, 2)),
    MIX,
    _mixture(F(0), F(2), (F(1, 3), "beta", (F(2), F(2))), (F(2, 3), "triangular", (F(0), F(1, 2), F(1)))),
]


@pytest.mark.parametrize("prior", EXACT, ids=[p.describe() for p in EXACT])
def test_exact_density_pieces_integrate_to_one_and_match_the_pdf(prior):
    pieces = prior.density_pieces()
    assert pieces is not None
    assert sum(_integral(p, p.lo, p.hi) for p in pieces) == 1  # exactly, in Fractions
    assert all(isinstance(c, F) for p in pieces for c in p.coeffs)
    for p in pieces:
        xs = np.linspace(float(p.lo), float(p.hi), 7)[1:-1]
        poly = sum(float(c) * xs**k for k, c in enumerate(p.coeffs))
        assert np.allclose(poly, prior.pdf(xs), rtol=1e-9)


def test_density_pieces_are_none_where_the_density_is_not_a_polynomial():
    for p in (Prior("exponential", (F(1),), F(0), F(1)), Prior("normal", (F(0), F(1)), F(0), F(1)),
              Prior("beta", (F(1, 2), F(2)), F(0), F(1)), MIX_UNBOUNDED):
        assert p.density_pieces() is None


# ---------------------------------------------------------------------------------------------
# the language
# ---------------------------------------------------------------------------------------------

SPEC = """mechanism M {
  agents i in 1..2
%s
  report b[i] of v[i]
  x[i] = if b[i] >= 1 then 1 else 0
  pay[i] = x[i]
  utility[i] = v[i] * x[i] - pay[i]
  require dsic
  measure revenue = expect sum(i in 1..2, pay[i])
}
"""


def load(types: str):
    return mechc.load_text(SPEC % types, "t.mech")


@pytest.mark.parametrize("decl,lo,hi,described", [
    ("real in [0, inf) ~ exponential(1/3)", F(0), None, "[0, inf) ~ exponential(1/3)"),
    ("real in (-inf, inf) ~ normal(1, 2)", None, None, "(-inf, inf) ~ normal(1, 2)"),
    ("real in (-inf, 3] ~ normal(0, 1)", None, F(3), "(-inf, 3] ~ normal(0, 1)"),
    ("real in [1, inf) ~ pareto(2, 1)", F(1), None, "[1, inf) ~ pareto(2, 1)"),
    ("real in [0, inf) ~ gamma(2, 1/2)", F(0), None, "[0, inf) ~ gamma(2, 1/2)"),
    ("real in [0, inf) ~ lognormal(0, 1)", F(0), None, "[0, inf) ~ lognormal(0, 1)"),
    ("real in [0, 1] ~ beta(2, 5)", F(0), F(1), "[0, 1] ~ beta(2, 5)"),
    ("real in [0, 2] ~ triangular(1/2)", F(0), F(2), "[0, 2] ~ triangular(1/2)"),
    ("real in [0, 2] ~ triangular(0, 1, 3)", F(0), F(2), "[0, 2] ~ triangular(0, 1, 3)"),
    ("real in [0, 2] ~ uniform(1, 5)", F(0), F(2), "[0, 2] ~ uniform(1, 5)"),
    ("real in [0, 8] ~ 0.75 uniform(0, 3) + 0.25 uniform(3, 8)", F(0), F(8),
     "[0, 8] ~ 3/4 uniform(0, 3) + 1/4 uniform(3, 8)"),
    ("real in [0, inf) ~ 1/2 exponential(1) + 1/2 gamma(3, 1)", F(0), None,
     "[0, inf) ~ 1/2 exponential(1) + 1/2 gamma(3, 1)"),
])
def test_every_prior_form_loads_with_its_interval_and_prior(decl, lo, hi, described):
    ts = load(f"  type v[i]: {decl}").type_spaces[0]
    assert (ts.lo, ts.hi) == (lo, hi)
    assert ts.describe() == described
    assert ts.prior.lo == lo and ts.prior.hi == hi
    u = ts.prior.ppf(np.array([0.1, 0.5, 0.9]))
    assert np.all(np.diff(u) > 0) and np.allclose(ts.prior.cdf(u), [0.1, 0.5, 0.9])


def test_mixture_weights_are_exact_rationals_and_components_keep_their_parameters():
    ts = load("  type v[i]: real in [0, 8] ~ 0.75 uniform(0, 3) + 0.25 uniform(3, 8)").type_spaces[0]
    assert ts.dist == "mixture"
    assert [(w, c.name, c.args) for w, c in ts.prior.components] == [
        (F(3, 4), "uniform", (F(0), F(3))), (F(1, 4), "uniform", (F(3), F(8)))]


def test_each_agent_can_have_its_own_prior():
    m = load("  type v[1]: real in [0, 1] ~ uniform\n  type v[2]: real in [0, 2] ~ exponential(1)")
    a, b = m.type_spaces
    assert a.describe() == "[0, 1] ~ uniform" and b.describe() == "[0, 2] ~ exponential(1)"
    report = mechc.check(m, grid=101)
    assert report.properties[0].verdict == "proved"
    assert "1: [0, 1] ~ uniform" in report.space and "2: [0, 2] ~ exponential(1)" in report.space
    # measures are integrated under the continuous priors (not the grid): agent 1 pays 1 only at
    # v = 1 (probability 0); agent 2 pays 1 when v >= 1, which has probability
    # (e^-1 - e^-2) / (1 - e^-2) under the truncated prior
    want = (np.exp(-1) - np.exp(-2)) / (1 - np.exp(-2))
    assert report.metrics["revenue"].value == pytest.approx(want, abs=1e-4)


def test_a_generic_prior_with_one_agent_overridden():
    m = load("  type v[i]: real in [0, inf) ~ exponential(1)\n  type v[2]: real in [0, 1] ~ beta(2, 2)")
    assert [ts.prior.name for ts in m.type_spaces] == ["exponential", "beta"]


@pytest.mark.parametrize("decl,message,at", [  # `at`: the caret starts at its last occurrence
    ("real in [0, inf) ~ exponential(0)", "exponential: the rate must be positive, got 0", "0"),
    ("real in [0, 1] ~ normal(0, -1)", "normal: the sd must be positive, got -1", "-1"),
    ("real in [0, inf) ~ gamma(0, 1)", "gamma: the shape must be positive, got 0", "0"),
    ("real in [0, 1] ~ beta(2, 0)", "beta: the b must be positive, got 0", "0"),
    ("real in [0, inf) ~ lognormal(0, 0)", "lognormal: the sigma must be positive, got 0", "0"),
    ("real in [1, inf) ~ pareto(2, -1)", "pareto: the scale must be positive, got -1", "-1"),
    ("real in [0, 4] ~ triangular(0, 5, 4)", "triangular: the mode 5 is outside [0, 4]", "5"),
    ("real in [0, 4] ~ triangular(5)", "triangular: the mode 5 is outside [0, 4]", "5"),
    ("real in [0, 4] ~ uniform(3, 1)", "uniform(3, 1) needs a < b", "uniform"),
    ("real in [5, 6] ~ uniform(0, 1)", "uniform(0, 1) puts no probability on [5, 6]", "uniform"),
    ("real in [0, 5] ~ pareto(2, 10)", "pareto(2, 10) puts no probability on [0, 5]", "pareto"),
    ("real in (-inf, 0] ~ exponential(1)", "exponential(1) puts no probability on (-inf, 0]", "exponential"),
    ("real in [40, 50] ~ normal(0, 1)", "normal(0, 1) gives [40, 50] probability 0: too little to compute with",
     "normal"),
    ("real in [0, 1] ~ uniform(1)", "uniform takes 0 or 2 arguments, got 1", "uniform"),
    ("real in [0, 1] ~ gamma(1)", "gamma takes 2 arguments, got 1", "gamma"),
    ("real in [0, 1] ~ gama(1, 2)", "unknown distribution 'gama'", "gama"),
    ("real in [0, inf) ~ uniform", "uniform lives on the declared interval, which must be bounded; [0, inf) is not",
     "uniform"),
    ("real in (-inf, inf) ~ beta(1, 1)", "beta(1, 1) lives on the declared interval, which must be bounded", "beta"),
    ("real in [0, inf)", "the interval [0, inf) is unbounded, so it needs a named prior", "[0, inf)"),
    ("real in [0, inf]", "an infinite end is open: 'inf' is closed with ']'", "inf"),
    ("real in [-inf, 0)", "an infinite end is open: '-inf' is closed with '['", "-inf"),
    ("real in [inf, 0)", "the lower end of an interval cannot be inf", "inf"),
    ("real in (0, 5]", "the finite lower end 0 is open", "0"),
    ("real in [0, 1) ~ uniform", "the finite upper end 1 is open", "1"),
    ("real in [0, 8] ~ 3/4 uniform(0, 3) + 1/2 uniform(3, 8)", "the mixture weights sum to 5/4, not 1", "3/4"),
    ("real in [0, 8] ~ -1/4 uniform(0, 3) + 5/4 uniform(3, 8)", "mixture weight -1/4 is not positive", "-1/4"),
    ("real in [0, 8] ~ 1/2 uniform(0, 3) + 1/2 unifrom(3, 8)", "unknown distribution 'unifrom'", "1/2 unifrom"),
    ("real in [0, 8] ~ 1/2 uniform(0, 3) + 1/2 exponential(-1)", "exponential: the rate must be positive", "-1"),
    ("in {0, 1} ~ 1/2 uniform(0, 3) + 1/2 uniform(3, 8)", "a mixture is a continuous prior", "1/2 uniform(0"),
])
def test_bad_priors_get_located_errors(decl, message, at):
    line = f"  type v[i]: {decl}"
    with pytest.raises(SpecErrors) as e:
        load(line)
    first = e.value.errors[0]
    assert message in first.message
    assert first.span.line == 3
    assert first.span.col == line.rindex(at) + 1, (first.span.col, line)


def test_hints_name_the_fix():
    def hint(decl):
        with pytest.raises(SpecErrors) as e:
            load(f"  type v[i]: {decl}")
        return e.value.errors[0].hint

    assert "write 'normal'" in hint("real in [0, 1] ~ truncnormal(0, 1)")
    assert "did you mean 'gamma'" in hint("real in [0, 1] ~ gama(1, 2)")
    assert "write gamma(shape, rate)" in hint("real in [0, 1] ~ gamma(1)")
    assert "support is [10, inf)" in hint("real in [0, 5] ~ pareto(2, 10)")
    assert "[lo, inf)" in hint("real in [0, inf]")


def test_unbounded_strategies_are_refused_with_a_location():
    text = """game G {
  agents i in 1..2
  strategy q[i] in [0, inf)
  payoff[i] = q[i]
}
"""
    with pytest.raises(SpecErrors) as e:
        mechc.load_text(text, "g.mech")
    assert e.value.errors[0].message == "the strategy interval [0, inf) is unbounded"
    assert (e.value.errors[0].span.line, e.value.errors[0].span.col) == (3, 20)


def test_inf_is_reserved_and_explained_in_expressions():
    with pytest.raises(SpecErrors) as e:
        mechc.load_text((SPEC % "  type v[i]: real in [0, 1]").replace("agents", "param inf: real = 1\n  agents"), "t.mech")
    assert "'inf' is a reserved word" in e.value.errors[0].message
    with pytest.raises(SpecErrors) as e:
        load("  type v[i]: real in [0, 1]\n  y = inf")
    assert "unknown name 'inf'" in e.value.errors[0].message and "[0, inf)" in e.value.errors[0].hint


def test_inf_does_not_change_how_expressions_and_ranges_parse():
    spec = parse("mechanism M {\n  agents i in (1)..2\n  type v[i] in (1 + 1)..(3)\n  x[i] = (1) + 2\n}\n")
    assert spec.mechanisms[0].items[1].space.__class__.__name__ == "RangeSet"


@pytest.mark.parametrize("decl", [
    "real in [0, inf) ~ exponential(1 / 3)",
    "real in (-inf, inf) ~ normal(0, 1)",
    "real in (-inf, 3] ~ normal(0, 1)",
    "real in [0, 8] ~ 0.75 uniform(0, 3) + 0.25 uniform(3, 8)",
    "real in [0, inf) ~ 1/2 exponential(1) + 1/2 lognormal(0, 1)",
    "real in [0, 2] ~ triangular(0, 1 / 2, 2)",
])
def test_fmt_round_trips_the_new_syntax(decl):
    text = SPEC % f"  type v[i]: {decl}"
    out = format_text(text)
    assert f"  type v[i]: {decl}\n" in out  # canonical already: printed back as written
    assert parse(out).mechanisms == parse(text).mechanisms
    assert format_text(out) == out


def test_fmt_keeps_open_brackets_and_mixture_weights():
    text = "mechanism M {\n  agents i in 1..2\n  type v[i]:real in(-inf,inf)~1/4 normal(0,1)+3/4 normal(2,1)\n}\n"
    assert "type v[i]: real in (-inf, inf) ~ 1/4 normal(0, 1) + 3/4 normal(2, 1)" in format_text(text)


# ---------------------------------------------------------------------------------------------
# back ends
# ---------------------------------------------------------------------------------------------


def test_the_uniform_grid_is_unchanged_evenly_spaced_with_trapezoid_weights():
    ts = load("  type v[i]: real in [0, 1]").type_spaces[0]
    pts, probs, labels = component_points(ts, 5)
    assert pts == [F(0), F(1, 4), F(1, 2), F(3, 4), F(1)]
    assert probs == [F(1, 8), F(1, 4), F(1, 4), F(1, 4), F(1, 8)]


def test_a_uniform_with_its_own_support_is_gridded_on_that_support():
    ts = load("  type v[i]: real in [0, 4] ~ uniform(1, 3)").type_spaces[0]
    pts, _, _ = component_points(ts, 3)
    assert pts == [F(1), F(2), F(3)]


@pytest.mark.parametrize("decl", ["real in [0, inf) ~ exponential(1/3)", "real in (-inf, inf) ~ normal(0, 1)",
                                  "real in [0, 1e9] ~ exponential(1/3)", "real in [0, 1] ~ beta(2, 2)"])
def test_other_priors_are_gridded_at_equal_probability_quantile_midpoints(decl):
    ts = load(f"  type v[i]: {decl}").type_spaces[0]
    k = 8
    pts, probs, labels = component_points(ts, k)
    assert probs == [F(1, k)] * k
    mids = ts.prior.ppf((np.arange(k) + 0.5) / k)
    assert np.allclose([float(p) for p in pts], mids, rtol=1e-8)
    assert all(isinstance(p, F) for p in pts) and pts == sorted(pts)


POSTED = """mechanism Post {
  agents i in 1..1
  type v[i]: real in %s
  report b[i] of v[i]
  x[i] = if b[i] >= %s then 1 else 0
  pay[i] = %s * x[i]
  utility[i] = v[i] * x[i] - pay[i]
  require dsic
  measure revenue = expect pay[1]
}
"""


def posted_revenue(space: str, price: str, grid: int):
    return mechc.check(mechc.load_text(POSTED % (space, price, price), "p.mech"), grid=grid).metrics["revenue"]


def test_a_wide_interval_no_longer_puts_all_grid_weight_at_zero():
    """[0, 1e9] ~ exponential(1/3) used to give revenue 0: the grid's second point was 5e7."""
    rev = posted_revenue("[0, 1e9] ~ exponential(1/3)", "3", 201).value
    assert rev == pytest.approx(3 * np.exp(-1), abs=0.01)


FIRST_PRICE = """mechanism FP {
  agents i in 1..2
  type v[i]: real in %s
  report b[i] of v[i]
  winner = argmax(j in 1..2, b[j])
  x[i] = if i == winner then 1 else 0
  pay[i] = x[i] * b[i]
  utility[i] = v[i] * x[i] - pay[i]
  require dsic, ex_post_ir
}
"""


def test_smt_proves_and_refutes_over_unbounded_types():
    sp = (FIRST_PRICE % "(-inf, inf) ~ normal(0, 1)").replace("pay[i] = x[i] * b[i]",
                                                             "pay[i] = x[i] * max(j in 1..2 where j != i, b[j])")
    r = mechc.check(mechc.load_text(sp, "sp.mech"), grid=5)
    assert [p.verdict for p in r.properties] == ["proved", "proved"]
    r = mechc.check(mechc.load_text(FIRST_PRICE % "[0, inf) ~ exponential(1)", "fp.mech"), grid=5)
    assert [p.verdict for p in r.properties] == ["violated", "proved"]


def test_search_states_the_window_it_searched_for_an_unbounded_type():
    m = mechc.load_text(FIRST_PRICE % "[0, inf) ~ exponential(1)", "fp.mech")
    r = mechc.check(m, grid=5, method="search")
    assert r.properties[0].verdict == "violated"
    assert "unbounded types searched between the prior's 1e-06 and 1 - 1e-06 quantiles" in r.properties[0].detail
    assert "[0, inf) ~ exponential(1) within [0, 13.8155]" in r.properties[0].detail


def test_exact_expectation_uses_the_support_of_uniform_a_b():
    rev = posted_revenue("[0, 4] ~ uniform(1, 3)", "5/2", 5)  # 5/2 P(v >= 5/2) = 5/2 * 1/4 (not * 3/8)
    assert rev.exact == "5/8" and rev.method.startswith("exact")


def test_compiled_module_and_its_tests_handle_an_unbounded_type(tmp_path):
    m = mechc.load_text(FIRST_PRICE % "[0, inf) ~ exponential(1)", "fp.mech")
    files = m.compile(tmp_path)
    module = next(n for n in files if not n.startswith("test_"))
    assert 'GENERIC_SPACE = ("interval", 0.0, float("inf"))' in files[module]
    assert "st.floats(0.0, 20.7233, allow_nan=False)" in files["test_" + module]
    sys.path.insert(0, str(tmp_path))
    try:
        mod = __import__(module[:-3])
        batch = mod.evaluate([[1e6, 2.0]], [[1e6, 2.0]])
        assert batch.utility[0].tolist() == [0.0, 0.0]
        with pytest.raises(ValueError, match="outside its type space"):
            mod.evaluate([[-1.0, 2.0]])
    finally:
        sys.path.remove(str(tmp_path))


def test_plot_cuts_an_unbounded_axis_at_quantiles():
    from mechc.plot import plot_data

    m = mechc.load_text(FIRST_PRICE % "[0, inf) ~ exponential(1)", "fp.mech")
    d = plot_data(m, 0, grid=11)
    assert d.reports[0] == 0 and d.reports[-1] == pytest.approx(-np.log(1e-3), rel=1e-5)


def test_importing_the_cli_does_not_import_scipy_stats():
    code = "import sys, mechc.cli; print('scipy.stats' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "False"
