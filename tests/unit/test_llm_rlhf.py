"""specs/llm/rlhf_*.mech: VCG (Clarke pivot) payments for pooling reported preference distributions.

Every expected figure is computed here independently, in plain Python with math.log, from the model in
the specs' headers (Sun et al. 2024, arXiv 2405.16276; Park et al. 2024, arXiv 2405.00254): a labeler
with preference p values a trained distribution q by the log score S(p, q) = sum_k p(k) log q(k).
Floats are compared with a relative tolerance of 1e-9 (mechc evaluates log specs in float64).
"""

import importlib.util
import itertools
import math
import sys
from fractions import Fraction
from pathlib import Path

import pytest

import mechc
from mechc.games import solve

ROOT = Path(__file__).resolve().parents[2]
LLM = ROOT / "specs" / "llm"
GRID = [0.1, 0.3, 0.5, 0.7, 0.9]  # the type set: P(response A)
TOL = 1e-9


def _verdicts(report):
    return {p.name: p.verdict for p in report.properties}


def score(p, q):
    """Log score of the distribution q for a labeler with distribution p (tuples over responses)."""
    return sum(a * math.log(b) for a, b in zip(p, q, strict=True))


def kl(p, q):
    return sum(a * math.log(a / b) for a, b in zip(p, q, strict=True) if a > 0)


def mean(dists):
    return tuple(sum(d[k] for d in dists) / len(dists) for k in range(len(dists[0])))


def binary(x):
    return (x, 1 - x)


def clarke(reports, i):
    """pay_i = others' reported welfare at the pool without i minus at the pool with i (definition)."""
    others = [d for j, d in enumerate(reports) if j != i]
    q, q_without = mean(reports), mean(others)
    return sum(score(d, q_without) - score(d, q) for d in others)


def test_mean_pool_maximises_the_reported_log_score_welfare():
    # the header's derivation (Gibbs' inequality), checked by brute force on a fine grid of q
    fine = [k / 1000 for k in range(1, 1000)]
    for reports in itertools.product(GRID, repeat=2):
        dists = [binary(r) for r in reports]
        best = max(fine, key=lambda q, dists=dists: sum(score(d, binary(q)) for d in dists))
        assert abs(best - mean(dists)[0]) <= 1e-3


def _compiled(tmp_path, monkeypatch, name):
    """The spec compiled by `mechc compile` to a Python module (same semantics as mechc check)."""
    files = mechc.load(LLM / f"{name}.mech").compile(tmp_path)
    assert f"{name}.py" in files
    spec = importlib.util.spec_from_file_location(f"compiled_{name}", tmp_path / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    monkeypatch.setitem(sys.modules, spec.name, module)  # dataclasses look their module up
    spec.loader.exec_module(module)
    return module


def test_vcg_issue_example_aggregate_and_payments(tmp_path, monkeypatch):
    # issue 9 item 6: preferences (0.9, 0.1) and (0.3, 0.7) pooled by the arithmetic mean
    rules = _compiled(tmp_path, monkeypatch, "rlhf_vcg")
    res = rules.run([0.9, 0.3], [0.9, 0.3])
    p = [binary(0.9), binary(0.3)]
    assert mean(p) == pytest.approx((0.6, 0.4), rel=TOL)
    assert res.q == pytest.approx(0.6, rel=TOL)
    pay = [clarke(p, 0), clarke(p, 1)]
    # hand values in the header: KL(0.3 || 0.6) = 0.18379, KL(0.9 || 0.6) = 0.22629
    assert pay == pytest.approx([kl(p[1], binary(0.6)), kl(p[0], binary(0.6))], rel=TOL)
    assert pay == pytest.approx([0.18379, 0.22629], abs=5e-6)
    assert res.pay == pytest.approx(pay, rel=TOL)
    # net gain over staying out (the model trained on the other alone): 2 KL(q || q_-i)
    gain = [score(p[i], mean(p)) - pay[i] - score(p[i], p[1 - i]) for i in range(2)]
    assert gain == pytest.approx([2 * kl(binary(0.6), p[1]), 2 * kl(binary(0.6), p[0])], rel=TOL)
    assert res.utility == pytest.approx(gain, rel=TOL)


@pytest.mark.parametrize("n", [2, 3])
def test_vcg_is_truthful_individually_rational_and_charges(n):
    report = mechc.load(LLM / "rlhf_vcg.mech", n=n).check()
    assert _verdicts(report) == {"dsic": "verified", "ex_post_ir": "verified", "no_positive_transfers": "verified"}
    assert report.properties["dsic"].stats["cases"] == n * 5 * 4 * 5 ** (n - 1)  # agent, type, misreport, others
    assert report.metrics["max_regret"].value == 0
    # independent: expected total Clarke payment and total net gain over the uniform prior
    profiles = [[binary(r) for r in prof] for prof in itertools.product(GRID, repeat=n)]
    revenue = sum(clarke(prof, i) for prof in profiles for i in range(n)) / len(profiles)
    gain = sum(n * kl(mean(prof), mean([d for j, d in enumerate(prof) if j != i]))
               for prof in profiles for i in range(n)) / len(profiles)
    assert report.metrics["revenue"].value == pytest.approx(revenue, rel=TOL)
    assert report.metrics["welfare_gain"].value == pytest.approx(gain, rel=TOL)


def _gains(dists, n):
    """Every (true type, others' reports, misreport) gain of agent 1 without payments."""
    for t, others in itertools.product(dists, itertools.product(dists, repeat=n - 1)):
        od = [dists[o] for o in others]
        truthful = score(dists[t], mean([dists[t], *od]))
        for r in dists:
            gain = score(dists[t], mean([dists[r], *od])) - truthful
            yield t, others, r, gain, truthful


def _no_payment_figures(dists, n):
    gains = list(_gains(dists, n))
    violations = n * sum(g > TOL * (1 + abs(u)) for *_, g, u in gains)  # agents are symmetric
    best = max(gains, key=lambda c: c[3])
    by_case = {}
    for t, others, _r, g, _u in gains:
        by_case[(t, others)] = max(by_case.get((t, others), 0.0), g)
    expected = sum(by_case.values()) / len(by_case)  # uniform prior
    return violations, best, expected


@pytest.mark.parametrize("n", [2, 3])
def test_without_payments_labelers_exaggerate(n):
    report = mechc.load(LLM / "rlhf_no_payment.mech", n=n).check()
    assert _verdicts(report) == {"dsic": "violated", "ex_post_ir": "verified"}
    dists = {x: binary(x) for x in GRID}
    violations, best, expected = _no_payment_figures(dists, n)
    dsic = report.properties["dsic"]
    assert dsic.stats["violations"] == violations == {2: 32, 3: 252}[n]
    assert report.metrics["max_regret"].value == pytest.approx(best[3], rel=TOL)
    assert report.metrics["expected_regret"].value == pytest.approx(expected, rel=TOL)
    cx = dsic.counterexample.fields
    assert cx["gain"] == pytest.approx(best[3], rel=TOL)
    if n == 2:
        # header: p = 0.3 facing 0.9 reports 0.1; gain KL(0.3 || 0.6) - KL(0.3 || 0.5) = 0.10150
        hand = kl(binary(0.3), binary(0.6)) - kl(binary(0.3), binary(0.5))
        assert best[3] == pytest.approx(hand, rel=TOL) and hand == pytest.approx(0.10150, abs=5e-6)
        assert (cx["true_type"], cx["misreport"], cx["others_reports"]) == ("3/10", "1/10", {"2": "9/10"})
    else:
        # a moderate labeler (0.5) facing two reports of 0.1 overstates A with 0.9
        assert (cx["true_type"], cx["misreport"], cx["others_reports"]) == ("1/2", "9/10", {"2": "1/10", "3": "1/10"})
    # every profitable misreport exaggerates: it lies beyond the truth, away from the others' mean
    for t, others, r, g, u in _gains(dists, n):
        if g > TOL * (1 + abs(u)):
            rest = sum(others) / len(others)
            assert (r - t) * (t - rest) > 0


OPINIONS = {
    "Even": (Fraction(1, 3),) * 3,
    "LeanA": (Fraction(1, 2), Fraction(1, 4), Fraction(1, 4)),
    "LeanB": (Fraction(1, 4), Fraction(1, 2), Fraction(1, 4)),
    "LeanC": (Fraction(1, 4), Fraction(1, 4), Fraction(1, 2)),
    "OnlyA": (Fraction(4, 5), Fraction(1, 10), Fraction(1, 10)),
    "OnlyB": (Fraction(1, 10), Fraction(4, 5), Fraction(1, 10)),
    "OnlyC": (Fraction(1, 10), Fraction(1, 10), Fraction(4, 5)),
}
DISTS = {name: tuple(float(x) for x in d) for name, d in OPINIONS.items()}


def test_three_responses_vcg_is_truthful_and_its_revenue_matches_enumeration():
    assert all(sum(d) == 1 for d in OPINIONS.values())
    report = mechc.load(LLM / "rlhf_vcg_three_responses.mech").check()
    assert _verdicts(report) == {"dsic": "verified", "ex_post_ir": "verified", "no_positive_transfers": "verified"}
    profiles = [[DISTS[a], DISTS[b]] for a, b in itertools.product(DISTS, repeat=2)]
    revenue = sum(clarke(prof, i) for prof in profiles for i in range(2)) / len(profiles)
    # the closed form of the header: pay_i = (n - 1) KL(q_-i || q)
    assert revenue == pytest.approx(sum(kl(prof[1 - i], mean(prof)) for prof in profiles for i in range(2))
                                    / len(profiles), rel=TOL)
    assert report.metrics["revenue"].value == pytest.approx(revenue, rel=TOL)


def test_three_responses_without_payments_leanc_understates_c():
    report = mechc.load(LLM / "rlhf_vcg_three_responses.mech", vcg=False).check()
    assert _verdicts(report) == {"dsic": "violated", "ex_post_ir": "verified", "no_positive_transfers": "verified"}
    violations, best, expected = _no_payment_figures(DISTS, 2)
    assert report.properties["dsic"].stats["violations"] == violations == 60
    # header: LeanC facing OnlyC reports Even, gaining (1/2) ln(884/819) = 0.03819
    assert best[:3] == ("LeanC", ("OnlyC",), "Even")
    assert best[3] == pytest.approx(0.5 * math.log(884 / 819), rel=TOL)
    assert report.metrics["max_regret"].value == pytest.approx(best[3], rel=TOL)
    assert report.metrics["expected_regret"].value == pytest.approx(expected, rel=TOL)
    cx = report.properties["dsic"].counterexample.fields
    assert (cx["true_type"], cx["misreport"], cx["others_reports"]) == ("LeanC", "Even", {"2": "OnlyC"})


def test_reporting_game_without_payments_has_the_exaggerated_equilibrium():
    sol = solve(mechc.load(LLM / "rlhf_reporting_game.mech"))
    (eq,) = sol.equilibria
    assert eq[0] == ("9/10", "1/10")
    # both payoffs are S(p_i, 1/2) = ln(1/2): the pool lands on q = 1/2
    assert [float(v) for v in eq[1]] == pytest.approx([math.log(0.5)] * 2, rel=TOL)
    assert sol.surviving == [["9/10"], ["1/10"]]
    assert [p["verdict"] for p in sol.properties] == ["verified", "verified"]
    # welfare lost against truthful reporting (q = 3/5): 2 KL(0.6 || 0.5) = 0.04027 (header)
    p = [binary(0.9), binary(0.3)]
    loss = sum(score(d, binary(0.6)) - score(d, binary(0.5)) for d in p)
    assert loss == pytest.approx(2 * kl(binary(0.6), binary(0.5)), rel=TOL)
    assert loss == pytest.approx(0.04027, abs=5e-6)
    assert sum(float(v) for v in eq[1]) == pytest.approx(sum(score(d, binary(0.6)) for d in p) - loss, rel=TOL)
