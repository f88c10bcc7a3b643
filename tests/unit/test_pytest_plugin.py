"""The pytest plugin: .mech files collected from the parse alone, one item per property of every
block, checks at test time, expected outcomes as xfail, readable failures, isolation, a cache."""

import os
import shutil
from pathlib import Path

# pytester runs pytest in this process and forgets the modules each run imported; numpy cannot be
# imported twice in one process, so the back ends the plugin loads lazily are loaded here first
import mechc.api  # noqa: F401
import mechc.design  # noqa: F401
import mechc.games  # noqa: F401

ROOT = Path(__file__).resolve().parents[2]


def copy_spec(pytester, name, new=None):
    text = (ROOT / "specs" / f"{name}.mech").read_text()
    pytester.makefile(".mech", **{new or name: text})


def test_properties_become_items_and_violations_fail_with_the_counterexample(pytester):
    copy_spec(pytester, "vickrey")
    unmarked = (ROOT / "specs" / "first_price.mech").read_text().replace("# expect:", "# was:")
    pytester.makefile(".mech", first_price=unmarked)
    result = pytester.runpytest("-p", "no:randomly", "-rA")
    result.assert_outcomes(passed=5 + 2, failed=1)
    out = result.stdout.str()
    assert "first_price.mech::dsic" in out and "vickrey.mech::ex_post_ir" in out
    assert "counterexample: agent 1 with true type 1 gains 1 by reporting 0" in out


def test_invalid_spec_fails_with_a_located_message(pytester):
    pytester.makefile(".mech", bad="mechanism M {\n  agents i in 1..2\n  x[i] = bid[i]\n}\n")
    pytester.makefile(".mech", syntax="mechanism M {\n  agents i in 1..2\n  x[i] = = 1\n}\n")
    result = pytester.runpytest()
    result.assert_outcomes(failed=2)
    out = result.stdout.str()
    assert "bad.mech::check" in out and "bad.mech:3:10: error: unknown name 'bid'" in out
    assert "syntax.mech::load" in out and "syntax.mech:3:" in out


def test_results_are_cached_by_content(pytester):
    copy_spec(pytester, "vickrey")
    pytester.runpytest().assert_outcomes(passed=5)
    cache = list((pytester.path / ".pytest_cache" / "v" / "mechc" / "v2").glob("*"))
    assert len(cache) == 1
    pytester.runpytest().assert_outcomes(passed=5)
    assert len(list((pytester.path / ".pytest_cache" / "v" / "mechc" / "v2").glob("*"))) == 1
    pytester.runpytest("--mech-cache-clear").assert_outcomes(passed=5)


def test_unknown_is_skipped_unless_strict(pytester):
    text = (ROOT / "specs" / "posted_price.mech").read_text().replace("require dsic,", "require bic, dsic,")
    pytester.makefile(".mech", pp=text)
    pytester.runpytest("--mech-method", "smt").assert_outcomes(passed=4, skipped=1)
    pytester.runpytest("--mech-method", "smt", "--mech-strict", "--mech-cache-clear").assert_outcomes(passed=4, failed=1)


def test_collection_parses_only_and_loads_no_back_end(pytester, monkeypatch):
    copy_spec(pytester, "vickrey")
    copy_spec(pytester, "first_price")
    pytester.makeconftest("""
import sys
def pytest_collection_finish(session):
    heavy = sorted(m for m in ("sympy", "numpy", "scipy", "z3", "cvxpy") if m in sys.modules)
    print("HEAVY MODULES:", heavy or "none")
""")
    monkeypatch.setenv("PYTHONPATH", str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", ""))
    result = pytester.runpytest_subprocess("--collect-only", "-p", "no:cacheprovider", "-s")
    out = result.stdout.str()
    assert "HEAVY MODULES: none" in out, out
    assert "<MechItem dsic>" in out and "<MechItem monotone>" in out


def test_every_block_kind_is_collected_per_block(pytester):
    for name in ("games/prisoners_dilemma", "games/chicken", "design/moral_hazard", "design/screening",
                 "llm/token_auction"):
        copy_spec(pytester, name, Path(name).name)
    result = pytester.runpytest("-p", "no:cacheprovider", "-rA")
    result.assert_outcomes(passed=2 + 1 + 2 + 3 + 8)
    out = result.stdout.str()
    for item in ("prisoners_dilemma.mech::nash(Defect, Defect)", "chicken.mech::equilibria",
                 "moral_hazard.mech::contract", "moral_hazard.mech::ir", "screening.mech::design",
                 "screening.mech::dsic", "token_auction.mech::TokenAuction.dsic",
                 "token_auction.mech::LogLinearTokenAuction.monotone"):
        assert f"PASSED {item}" in out, item


def test_expected_violations_are_xfail_and_a_wrong_expectation_fails(pytester):
    text = (ROOT / "specs" / "first_price.mech").read_text()
    assert "# expect: violated dsic" in text
    pytester.makefile(".mech", first_price=text)
    pytester.runpytest("-p", "no:cacheprovider").assert_outcomes(passed=2, xfailed=1)
    vickrey = (ROOT / "specs" / "vickrey.mech").read_text()
    pytester.makefile(".mech", first_price=text.replace("# expect:", "# not an expectation:"),
                      vickrey=vickrey + "\n# expect: violated dsic\n")
    result = pytester.runpytest("-p", "no:cacheprovider")
    result.assert_outcomes(passed=2 + 4, failed=2)
    out = result.stdout.str()
    assert "marked '# expect: violated' but the verdict is verified" in out
    pytester.makefile(".mech", first_price=text, vickrey=vickrey + "\n# expect: violated dsci\n")
    result = pytester.runpytest("-p", "no:cacheprovider")
    result.assert_outcomes(passed=2 + 5, xfailed=1, failed=1)
    assert "names 'dsci', which is not an item" in result.stdout.str()


def test_the_invalid_corpus_is_expected_to_be_rejected_with_its_message(pytester):
    inv = pytester.mkdir("invalid")
    for name in ("duplicate_param", "game_leader_unknown", "unknown_name"):
        for ext in (".mech", ".expected"):
            src = ROOT / "specs" / "invalid" / (name + ext)
            if src.exists():
                shutil.copy(src, inv / src.name)
    count = len(list(inv.glob("*.mech")))
    pytester.runpytest("-p", "no:cacheprovider").assert_outcomes(xfailed=count)
    (inv / "duplicate_param.expected").write_text("specs/invalid/duplicate_param.mech:9:9: error: something else\n")
    result = pytester.runpytest("-p", "no:cacheprovider")
    result.assert_outcomes(xfailed=count - 1, failed=1)
    assert "rejected with a different message" in result.stdout.str()


def test_a_spec_that_crashes_is_one_failed_item_and_the_others_still_run(pytester):
    copy_spec(pytester, "vickrey")
    copy_spec(pytester, "first_price", "crash_in_check")
    copy_spec(pytester, "posted_price", "crash_in_parse")
    pytester.makeconftest("""
import importlib

api, parser = importlib.import_module("mechc.api"), importlib.import_module("mechc.parse")
real_load, real_parse = api.load_text, parser.parse

def load_text(text, file, *a, **kw):
    if "crash_in_check" in file:
        raise RuntimeError("boom in the checker")
    return real_load(text, file, *a, **kw)

def parse(text, file="<string>"):
    if "crash_in_parse" in file:
        raise ZeroDivisionError("boom in the parser")
    return real_parse(text, file)

def pytest_configure(config):
    api.load_text, parser.parse = load_text, parse

def pytest_unconfigure(config):
    api.load_text, parser.parse = real_load, real_parse
""")
    result = pytester.runpytest("-p", "no:cacheprovider")
    result.assert_outcomes(passed=5, failed=1 + 3)  # the parse crash: one item; the check crash: each item
    out = result.stdout.str()
    assert "error" not in result.parseoutcomes()
    assert "crash_in_parse.mech::load" in out and "internal error: ZeroDivisionError: boom in the parser" in out
    assert "internal error: RuntimeError: boom in the checker" in out and "Traceback" not in out


def test_a_mechanism_without_require_is_one_check_item(pytester):
    text = (ROOT / "specs" / "vickrey.mech").read_text()
    text = "\n".join(ln for ln in text.splitlines() if not ln.strip().startswith("require")) + "\n"
    pytester.makefile(".mech", measures_only=text)
    result = pytester.runpytest("-p", "no:cacheprovider", "-rA")
    result.assert_outcomes(passed=1)
    assert "PASSED measures_only.mech::check" in result.stdout.str()
