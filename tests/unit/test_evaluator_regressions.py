"""Regressions: specs that used to stop with "mechc: internal error" instead of a result.

C: a binder over a literal number set ({0, 1}, {0, 1/2}) took the element's Fraction code in float
   mode (and argmax over it / indexing a definition by it truncated 1/2 to 0).
A: a two-index definition read at (report, constant) mixed an array key with a scalar key.
B: an if-expression inside a condition (a symbol-valued function compared with ==, a count written
   as a sum of ifs) was folded by sympy into ITE, which nothing evaluates.

Each spec is checked on both arithmetic paths (exact Fractions and float64) against values computed
here by enumeration, and its generated module is compared with the evaluator bit for bit.
"""

from __future__ import annotations

import importlib.util
import itertools
import json
import math
import sys
from fractions import Fraction as F

import numpy as np
import pytest

import mechc
from mechc.cli import main
from mechc.model.evaluate import Evaluation

EXACT_MODES = ["always", "never"]

BUG_C = """mechanism BugC {
  agents i in 1..2
  type v[i] in {0, 1}
  report b[i] of v[i]
  c = sum(y in {0, 1}, y) + b[1]
  utility[i] = v[i] * b[i] - c
  measure m = expect c
  require dsic
}"""

BUG_C_HALVES = """mechanism BugCHalves {
  agents i in 1..2
  type v[i] in {0, 1}
  report b[i] of v[i]
  f[y in {0, 1/2}] = 2 * y + 1
  h = argmax(y in {0, 1/2}, y - b[1] * y)
  c = max(y in {0, 1/2}, y * b[2]) + sum(y in {0, 1/2}, f[y]) + f[1/2] + h + f[b[2] / 2]
  utility[i] = v[i] * b[i] - c
  measure m = expect c
  measure mh = expect h
  require dsic
}"""

BUG_C_SQRT = """mechanism BugCSqrt {
  agents i in 1..2
  type v[i] in {0, 1}
  report b[i] of v[i]
  c = max(y in {0, 1/2}, sqrt(y + b[1])) + sum(y in {0, 1/2}, log(y + 1 + b[2]))
  utility[i] = v[i] * b[i] - c
  measure m = expect c
  require dsic
}"""

BUG_A = """mechanism BugA {
  set K = {A, B}
  set T = {Lo, Hi}
  agents i in 1..2
  type t[i] in T
  report r[i] of t[i]
  w[o in T, k in K] = if o == Hi then (if k == A then 1 else 2) else (if k == A then 3 else 5)
  pay[i] = 0
  utility[i] = w[r[i], A]
  measure m = expect sum(i in 1..2, w[r[i], A]) + w[r[1], B]
  require dsic
}"""

BUG_B = """mechanism BugB {
  set K = {A, B}
  set T = {Lo, Hi}
  agents i in 1..2
  type t[i] in T
  report r[i] of t[i]
  fav(o in T) = if o == Hi then A else B
  g(k in K) = if k == A then 10 else 20
  x[i] = if fav(r[1]) == A then 1 else 0
  y = g(fav(r[2]))
  s = if sum(j in 1..2, if r[j] == Hi then 1 else 0) == 1 then 5 else 0
  pay[i] = 0
  utility[i] = x[i]
  measure mx = expect sum(i in 1..2, x[i])
  measure my = expect y
  measure ms = expect s
  require dsic
}"""

# a scalar index computed from a fractional number set (compiled modules truncated 1/2 to 0 there)
SCALAR_HALF = """mechanism ScalarHalf {
  set H = {0, 1/2}
  agents i in 1..2
  type v[i] in {0, 1}
  report b[i] of v[i]
  f[y in H] = if y == 0 then 1 else 2
  h = argmax(y in H, y)
  g = f[h]
  utility[i] = v[i] * b[i] + 0 * g
  measure gm = expect g
  require dsic
}"""

ALL_SPECS = {"scalar_half": SCALAR_HALF, "bug_c": BUG_C, "bug_c_halves": BUG_C_HALVES, "bug_c_sqrt": BUG_C_SQRT, "bug_a": BUG_A, "bug_b": BUG_B}


def expectation(fn, values, n=2):
    """E[fn(profile)] with every agent's type uniform on ``values``, by enumeration."""
    profiles = list(itertools.product(values, repeat=n))
    return sum((F(fn(p)) for p in profiles), F(0)) / len(profiles)


def max_gain(util, values, n=2):
    """The largest gain any agent gets from misreporting (utility(agent, truth, reports))."""
    best = F(0)
    for truth in itertools.product(values, repeat=n):
        for k in range(n):
            for lie in values:
                reports = list(truth)
                reports[k] = lie
                best = max(best, F(util(k, truth, reports)) - F(util(k, truth, truth)))
    return best


def check(text, exact):
    report = mechc.check(mechc.load_text(text, "bug.mech"), exact=exact)
    return {p.name: p for p in report.properties}, report.metrics


# ---------------------------------------------------------------- C: binders over number sets

def c_value(b):
    return sum([0, 1]) + b[0]


@pytest.mark.parametrize("exact", EXACT_MODES)
def test_sum_over_a_literal_number_set(exact):
    props, metrics = check(BUG_C, exact)
    want = expectation(c_value, [0, 1])
    assert want == F(3, 2)
    assert metrics["m"].value == float(want)
    if exact == "always":
        assert metrics["m"].exact == str(want)
    gain = max_gain(lambda k, t, r: t[k] * r[k] - c_value(r), [0, 1])
    assert props["dsic"].verdict == ("verified" if gain == 0 else "violated")


def c_halves(b):
    f = {F(0): 1, F(1, 2): 2}  # f[y] = 2y + 1
    ys = [F(0), F(1, 2)]
    h = max(ys, key=lambda y: (y - b[0] * y, -ys.index(y)))  # argmax: the first best element
    return max(y * b[1] for y in ys) + sum(f[y] for y in ys) + f[F(1, 2)] + h + f[F(b[1], 2)], h


@pytest.mark.parametrize("exact", EXACT_MODES)
def test_argmax_and_indexing_over_a_fractional_number_set(exact):
    props, metrics = check(BUG_C_HALVES, exact)
    want = expectation(lambda b: c_halves(b)[0], [0, 1])
    want_h = expectation(lambda b: c_halves(b)[1], [0, 1])
    assert (want, want_h) == (F(7), F(1, 4))
    assert metrics["m"].value == float(want) and metrics["mh"].value == float(want_h)
    if exact == "always":
        assert (metrics["m"].exact, metrics["mh"].exact) == (str(want), str(want_h))
    gain = max_gain(lambda k, t, r: t[k] * r[k] - c_halves(r)[0], [0, 1])
    assert props["dsic"].verdict == ("verified" if gain == 0 else "violated")


@pytest.mark.parametrize("exact", EXACT_MODES)
def test_transcendental_aggregates_over_a_number_set(exact):
    props, metrics = check(BUG_C_SQRT, exact)

    def c(b):
        return max(math.sqrt(y + b[0]) for y in (0, 0.5)) + sum(math.log(y + 1 + b[1]) for y in (0, 0.5))

    want = sum(c(b) for b in itertools.product([0, 1], repeat=2)) / 4
    assert metrics["m"].value == pytest.approx(want, rel=1e-12)
    gain = float(max_gain(lambda k, t, r: t[k] * r[k] - c(r), [0, 1]))
    assert gain == pytest.approx(math.log(10 / 3) - 1)  # agent 2 of type 1 saves log(10/3) - 1 by reporting 0
    assert props["dsic"].verdict == "violated"
    assert props["dsic"].counterexample.fields["gain"] == pytest.approx(gain, rel=1e-12)


def test_cli_float_mode_reports_the_number_set_sum(tmp_path, capsys):
    path = tmp_path / "bug.mech"
    path.write_text(BUG_C)
    assert main(["check", str(path), "--exact", "never", "--format", "json"]) == 0
    out = capsys.readouterr()
    assert "internal error" not in out.err
    assert json.loads(out.out)["metrics"]["m"]["value"] == 1.5


# ---------------------------------------------------------------- A: mixed array/scalar indices

W = {("Lo", "A"): 3, ("Lo", "B"): 5, ("Hi", "A"): 1, ("Hi", "B"): 2}


@pytest.mark.parametrize("exact", EXACT_MODES)
def test_two_index_definition_read_at_a_report_and_a_constant(exact):
    props, metrics = check(BUG_A, exact)
    want = expectation(lambda r: W[r[0], "A"] + W[r[1], "A"] + W[r[0], "B"], ["Lo", "Hi"])
    assert want == F(15, 2)
    assert metrics["m"].value == float(want)
    if exact == "always":
        assert metrics["m"].exact == str(want)
    gain = max_gain(lambda k, t, r: W[r[k], "A"], ["Lo", "Hi"])
    assert gain == 2  # type Hi (utility 1) reports Lo (utility 3)
    assert props["dsic"].verdict == "violated"
    assert props["dsic"].counterexample.fields["exact_values"]["gain"] == str(gain)


# ---------------------------------------------------------------- B: ifs inside conditions

def fav(o):
    return "A" if o == "Hi" else "B"


@pytest.mark.parametrize("exact", EXACT_MODES)
def test_symbol_valued_function_compared_in_a_condition(exact):
    props, metrics = check(BUG_B, exact)

    def x(r):
        return 1 if fav(r[0]) == "A" else 0

    want_x = expectation(lambda r: 2 * x(r), ["Lo", "Hi"])
    want_y = expectation(lambda r: 10 if fav(r[1]) == "A" else 20, ["Lo", "Hi"])
    want_s = expectation(lambda r: 5 if sum(v == "Hi" for v in r) == 1 else 0, ["Lo", "Hi"])
    assert (want_x, want_y, want_s) == (F(1), F(15), F(5, 2))
    assert [metrics[k].value for k in ("mx", "my", "ms")] == [float(want_x), float(want_y), float(want_s)]
    if exact == "always":
        assert [metrics[k].exact for k in ("mx", "my", "ms")] == [str(want_x), str(want_y), str(want_s)]
    gain = max_gain(lambda k, t, r: x(r), ["Lo", "Hi"])
    assert gain == 1
    assert props["dsic"].verdict == "violated"
    assert props["dsic"].counterexample.fields["exact_values"]["gain"] == str(gain)


def test_if_conditions_are_not_rewritten_into_ite():
    model = mechc.load_text(BUG_B, "bug.mech")
    for d in model.defs.values():
        assert "ITE" not in str(d.body)


# ---------------------------------------------------------------- generated modules agree

def _load_module(path):
    spec = importlib.util.spec_from_file_location(f"gen_reg_{path.stem}", path)
    mod = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = mod
    spec.loader.exec_module(mod)
    return mod


@pytest.mark.parametrize("name", sorted(ALL_SPECS))
def test_generated_module_matches_the_evaluator(name, tmp_path):
    path = tmp_path / f"{name}.mech"
    path.write_text(ALL_SPECS[name])
    assert main(["compile", str(path), "-o", str(tmp_path / "out"), "--no-verify"]) == 0
    mod = _load_module(tmp_path / "out" / f"{name}.py")
    model = mechc.load(path)
    cols = [np.array(ts.values) if ts.symbolic else np.array([float(v) for v in ts.values]) for ts in model.type_spaces]
    profiles = np.array(list(itertools.product(*cols)))  # every report profile
    P = len(profiles)
    reports, truths = profiles, profiles[::-1]
    batch = mod.evaluate(reports, truths)
    tables = [np.concatenate([reports[:, k], truths[:, k]])[:, None] for k in range(model.n_agents)]
    idx = [np.arange(P) for _ in tables]
    ev = Evaluation(model, tables, idx)
    for dname, d in model.defs.items():
        if d.reads_types or dname == "utility" or len(d.index_sets) > 1:
            continue
        got = getattr(batch, dname)
        codes = d.index_sets[0].codes if d.index_sets else [None]
        for col, code in enumerate(codes):
            want = np.broadcast_to(ev.ref(dname, () if code is None else (code,)), (P,))
            have = got[:, col] if code is not None else got
            np.testing.assert_array_equal(have, want, err_msg=dname)
    for k, code in enumerate(model.agents.codes):
        ev_u = Evaluation(model, tables, idx, true_types={k: np.arange(P, 2 * P)})
        want = np.broadcast_to(ev_u.eval(model.utility, {model.utility_var: code}), (P,))
        np.testing.assert_array_equal(batch.utility[:, k], want)
    for row in range(P):  # the scalar entry point agrees with the batch
        one = mod.run(reports[row].tolist(), truths[row].tolist())
        assert one.utility == tuple(float(u) for u in batch.utility[row])


# issue 14, part 5: `==` / `!=` between two conditions stopped with "internal error: TypeError:
# unsupported operand type(s) for -: 'StrictGreaterThan' and 'Zero'" (sympy's Eq takes no booleans)
BOOL_EQ = """mechanism BoolEq {
  agents i in 1..2
  type v[i] in {0, 1, 2}
  report b[i] of v[i]
  t[i] = b[i] >= 1
  x[i] = if t[1] == (b[2] > 0) then 1 else 0
  y[i] = if t[1] != t[2] then 1 else 0
  pay[i] = 0
  utility[i] = v[i] * x[i] - pay[i]
  measure agree = expect x[1]
  measure differ = expect y[1]
}"""


@pytest.mark.parametrize("exact", EXACT_MODES)
def test_conditions_compare_with_eq_and_ne(exact):
    model = mechc.load_text(BOOL_EQ, "booleq.mech")
    metrics = mechc.check(model, exact=exact).metrics
    profiles = list(itertools.product(range(3), repeat=2))
    agree = F(sum((b1 >= 1) == (b2 > 0) for b1, b2 in profiles), 9)
    differ = F(sum((b1 >= 1) != (b2 >= 1) for b1, b2 in profiles), 9)
    assert (agree, differ) == (F(5, 9), F(4, 9))
    assert metrics["agree"].value == pytest.approx(float(agree)) and metrics["differ"].value == pytest.approx(float(differ))


def test_conditions_compared_on_an_interval_reach_z3_and_the_generated_module(tmp_path):
    # true type 3/8 reporting 1/2 flips t[1] while the other's 1/2 keeps (b[2] > 1/2) false: x 1 -> 0,
    # utility -1/8 -> 0, so dsic is violated, and z3 must find it through the lowered ==
    text = BOOL_EQ.replace("in {0, 1, 2}", ": real in [0, 1] ~ uniform").replace("b[i] >= 1", "b[i] >= 1 / 2").replace(
        "(b[2] > 0)", "(b[2] > 1 / 2)").replace("pay[i] = 0", "pay[i] = if x[i] == 1 then 1 / 2 else 0") + "\n"
    text = text.replace("  measure agree", "  require dsic\n  measure agree")
    path = tmp_path / "booleq_interval.mech"
    path.write_text(text)
    report = mechc.check(mechc.load(path))
    assert report.properties["dsic"].verdict == "violated" and report.properties["dsic"].method == "smt"
    assert main(["compile", str(path), "-o", str(tmp_path / "out"), "--no-verify"]) == 0
    mod = _load_module(tmp_path / "out" / "booleq_interval.py")
    assert mod.run([0.375, 0.5]).x == (1, 1) and mod.run([0.5, 0.5]).x == (0, 0)


def test_myerson_with_one_bidder_is_a_posted_price(capsys):
    # issue 14, part 5: n = 1 exited 2 ("max over an empty set"); with `default 0` it is a posted
    # price 1/2 on U[0, 1]: revenue 1/2 * P(v >= 1/2) = 1/4 (Myerson 1981), up to the grid's quadrature
    report = mechc.check(mechc.load("specs/myerson_optimal.mech", params={"n": "1"}), grid=101)
    assert all(p.verdict == "proved" for p in report.properties)
    assert report.metrics["revenue"].value == pytest.approx(0.25, abs=3e-3)
    assert main(["check", "specs/myerson_optimal.mech", "--param", "n=1"]) == 0
