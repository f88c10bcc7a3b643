"""The pytest plugin: .mech files collected, one item per property, readable failures, a cache."""

from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def copy_spec(pytester, name, new=None):
    text = (ROOT / "specs" / f"{name}.mech").read_text()
    pytester.makefile(".mech", **{new or name: text})


def test_properties_become_items_and_violations_fail_with_the_counterexample(pytester):
    copy_spec(pytester, "vickrey")
    copy_spec(pytester, "first_price")
    result = pytester.runpytest("-p", "no:randomly", "-rA")
    result.assert_outcomes(passed=5 + 2, failed=1)
    out = result.stdout.str()
    assert "first_price.mech::dsic" in out and "vickrey.mech::ex_post_ir" in out
    assert "counterexample: agent 1 with true type 1 gains 1 by reporting 0" in out


def test_invalid_spec_fails_with_a_located_message(pytester):
    pytester.makefile(".mech", bad="mechanism M {\n  agents i in 1..2\n  x[i] = bid[i]\n}\n")
    result = pytester.runpytest()
    result.assert_outcomes(failed=1)
    out = result.stdout.str()
    assert "bad.mech::load" in out and "bad.mech:3:10: error: unknown name 'bid'" in out


def test_results_are_cached_by_content(pytester):
    copy_spec(pytester, "vickrey")
    pytester.runpytest().assert_outcomes(passed=5)
    cache = list((pytester.path / ".pytest_cache" / "v" / "mechc" / "v1").glob("*"))
    assert len(cache) == 1
    pytester.runpytest().assert_outcomes(passed=5)
    assert len(list((pytester.path / ".pytest_cache" / "v" / "mechc" / "v1").glob("*"))) == 1
    pytester.runpytest("--mech-cache-clear").assert_outcomes(passed=5)


def test_unknown_is_skipped_unless_strict(pytester):
    text = (ROOT / "specs" / "posted_price.mech").read_text().replace("require dsic,", "require bic, dsic,")
    pytester.makefile(".mech", pp=text)
    pytester.runpytest("--mech-method", "smt").assert_outcomes(passed=4, skipped=1)
    pytester.runpytest("--mech-method", "smt", "--mech-strict", "--mech-cache-clear").assert_outcomes(passed=4, failed=1)
