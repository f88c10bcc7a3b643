"""The symbolic back end: Myerson's characterisation."""


import mechc
from mechc.analysis.symbolic import check_symbolic


def test_smooth_rule_with_log_is_proved_symbolically_with_no_flags():
    report = mechc.check(mechc.load("specs/proportional_lottery.mech"))
    v = {p.name: p for p in report.properties}
    assert v["dsic"].verdict == "proved" and v["dsic"].method == "symbolic"
    assert v["monotone"].verdict == "proved"
    assert v["ex_post_ir"].verdict == "passed-search"  # not a single-parameter identity: grid + search


def test_wrong_payments_are_not_proved_and_the_search_refutes_them():
    text = open("specs/proportional_lottery.mech").read().replace(
        "pay[i] = b[i] * x[i] - b[i] + c[i] * log((b[i] + c[i]) / c[i])",
        "pay[i] = b[i] * x[i] + 0 * log(c[i])")  # pay-your-bid: shading pays
    model = mechc.load_text(text, "t.mech")
    sym = check_symbolic(model, model.requirements[0])
    assert sym.verdict == "unknown" and "payment identity" in sym.detail
    p = mechc.check(model).properties[0]
    assert p.verdict == "violated" and p.method in ("search", "grid-21")


def test_myerson_optimal_revenue_is_exactly_five_twelfths():
    # Myerson (1981): two bidders uniform on [0, 1], reserve 1/2: expected revenue 5/12
    report = mechc.check(mechc.load("specs/myerson_optimal.mech"))
    assert report.metrics["revenue"].exact == "5/12"
