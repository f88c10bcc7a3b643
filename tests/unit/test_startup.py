"""Start-up cost: `import mechc` and the commands that check nothing load no heavy module.

Each case runs in a fresh interpreter and lists the modules it loaded (sys.modules), so this pins
what is imported, not how long it takes (bench/bench_startup.py measures the time)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
HEAVY = ("sympy", "numpy", "scipy", "z3", "cvxpy", "matplotlib", "jinja2", "rich")


def loaded_after(code: str) -> set[str]:
    probe = f"import sys, json\n{code}\nprint(json.dumps(sorted({{m.split('.')[0] for m in sys.modules}})))"
    out = subprocess.run([sys.executable, "-c", probe], cwd=ROOT, capture_output=True, text=True, check=True)
    return set(json.loads(out.stdout.strip().splitlines()[-1]))


def run_cli(*argv: str) -> str:
    return (f"from mechc.cli import main\nimport contextlib, io\n"
            f"with contextlib.redirect_stdout(io.StringIO()):\n"
            f"    try:\n        main({list(argv)!r})\n    except SystemExit:\n        pass")


def test_import_mechc_loads_no_parser_and_no_back_end():
    mods = loaded_after("import mechc")
    assert not mods & {*HEAVY, "lark"}, mods & {*HEAVY, "lark"}


@pytest.mark.parametrize("argv", [("--help",), ("--version",), ("completion",), ("completion", "zsh"), ("completion", "fish"),
                                  ("fmt", "--check", "specs/vickrey.mech")])
def test_commands_that_check_nothing_load_no_heavy_module(argv):
    mods = loaded_after(run_cli(*argv))
    assert "mechc" in mods
    assert not mods & set(HEAVY), mods & set(HEAVY)


def test_checking_a_finite_spec_loads_neither_z3_nor_scipy_nor_cvxpy():
    mods = loaded_after(run_cli("check", "specs/vickrey.mech"))
    assert {"sympy", "numpy"} <= mods
    assert not mods & {"z3", "scipy", "cvxpy", "matplotlib", "jinja2"}, mods


def test_the_public_api_is_still_there_lazily():
    import mechc
    import mechc.parse as parse_module  # noqa: F401 - importing the submodule must not hide mechc.parse()

    assert callable(mechc.parse) and mechc.parse("mechanism M {\n  agents i in 1..2\n}\n").mechanisms
    assert {"load", "load_text", "check", "Model", "Report", "SpecErrors"} <= set(dir(mechc))
    assert mechc.Options is __import__("mechc.analysis", fromlist=["Options"]).Options
    with pytest.raises(AttributeError):
        mechc.no_such_name  # noqa: B018


def test_cli_methods_are_the_checkers_methods():
    from mechc import analysis, cli

    assert cli.METHODS == analysis.METHODS
