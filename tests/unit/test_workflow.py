"""The workflow around specs: check on stdin, several files and folders, every block kind, shell
completion for bash, zsh and fish, the pre-commit hooks, and compile's warning about hypothesis."""

from __future__ import annotations

import importlib.util
import io
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from mechc.cli import build_parser, check_each, main
from mechc.completion import SHELLS, commands, script

ROOT = Path(__file__).resolve().parents[2]


def test_check_reads_the_spec_from_stdin(monkeypatch, capsys):
    monkeypatch.setattr(sys, "stdin", io.StringIO((ROOT / "specs" / "first_price.mech").read_text()))
    monkeypatch.setattr("mechc.cli._stdin_text", None)
    assert main(["check", "-"]) == 1
    out = capsys.readouterr().out
    assert "dsic" in out and "violated" in out


def test_stdin_errors_are_located_in_stdin(monkeypatch, capsys):
    monkeypatch.setattr(sys, "stdin", io.StringIO("mechanism M {\n  agents i in 1..2\n  x[i] = bid[i]\n}\n"))
    monkeypatch.setattr("mechc.cli._stdin_text", None)
    assert main(["check", "-"]) == 2
    assert "<stdin>:3:10: error: unknown name 'bid'" in capsys.readouterr().err


def test_check_takes_several_files_and_the_worst_exit_code_wins(capsys):
    assert main(["check", "specs/vickrey.mech", "specs/posted_price.mech"]) == 0
    assert main(["check", "specs/vickrey.mech", "specs/first_price.mech"]) == 1
    assert main(["check", "specs/vickrey.mech", "specs/invalid/duplicate_param.mech", "specs/first_price.mech"]) == 2
    out = capsys.readouterr().out
    assert "Vickrey" in out and "FirstPrice" in out


def test_check_takes_a_folder_and_every_block_kind_in_it(tmp_path, capsys):
    for name in ("vickrey.mech", "games/prisoners_dilemma.mech", "design/moral_hazard.mech",
                 "design/optimal_auction_one_bidder.mech"):
        shutil.copy(ROOT / "specs" / name, tmp_path / Path(name).name)
    assert main(["check", str(tmp_path)]) == 0
    out, err = capsys.readouterr()
    assert "Vickrey" in out and "PrisonersDilemma" in out and "OneBuyer" in out and "wage[Success]" in out
    assert "as 'mechc solve' does" in err and "as 'mechc design' does" in err


def test_check_runs_every_block_of_a_multi_block_file(capsys):
    assert main(["check", "specs/llm/token_auction.mech"]) == 0
    out = capsys.readouterr().out
    assert "TokenAuction" in out and "LogLinearTokenAuction" in out


def test_machine_readable_output_takes_one_spec(capsys):
    assert main(["check", "specs/vickrey.mech", "specs/gsp.mech", "--format", "json"]) == 2
    assert "take one spec" in capsys.readouterr().err
    assert main(["check", "specs/llm/token_auction.mech", "--format", "json"]) == 2
    assert "--mechanism NAME" in capsys.readouterr().err
    assert main(["check", "specs/games/prisoners_dilemma.mech", "--format", "json"]) == 0  # solve's JSON
    assert '"equilibria"' in capsys.readouterr().out


def test_a_missing_folder_or_empty_folder_is_a_usage_error(tmp_path, capsys):
    assert main(["check", str(tmp_path)]) == 2
    assert "no .mech file" in capsys.readouterr().err


# ---- completion


def test_completion_comes_from_the_parser_for_every_shell():
    cmds = {c.name: c for c in commands(build_parser())}
    assert {"check", "design", "solve", "fmt", "completion", "compile"} <= set(cmds)
    fmt = next(o for o in cmds["check"].options if "--format" in o.flags)
    assert fmt.choices == ("text", "json", "junit", "csv") and fmt.takes_value
    for shell in SHELLS:
        text = script(build_parser(), shell)
        for name, c in cmds.items():
            assert name in text
            for o in c.options:
                assert o.flags[-1].lstrip("-") in text, (shell, name, o.flags)
        assert "junit" in text and ".mech" in text


@pytest.mark.parametrize("shell", SHELLS)
def test_completion_script_is_valid_for_its_shell(shell, capsys):
    assert main(["completion", shell]) == 0
    text = capsys.readouterr().out
    exe = shutil.which(shell)
    if exe is None:
        pytest.skip(f"{shell} is not installed")
    path = Path(f"/tmp/mechc-completion-test.{shell}")
    path.write_text(text)
    subprocess.run([exe, "-n", str(path)], check=True)


def test_bash_completion_completes_commands_flags_and_choices():
    text = script(build_parser(), "bash")
    probe = (text + "\nCOMP_WORDS=(mechc check --format j); COMP_CWORD=3; _mechc; echo \"${COMPREPLY[*]}\""
             "\nCOMP_WORDS=(mechc comp); COMP_CWORD=1; _mechc; echo \"${COMPREPLY[*]}\"")
    out = subprocess.run(["bash", "-c", probe], capture_output=True, text=True, check=True).stdout.splitlines()
    assert out == ["json junit", "compile completion"]


@pytest.mark.skipif(shutil.which("fish") is None, reason="fish is not installed")
def test_fish_completion_completes_choices():
    text = script(build_parser(), "fish")
    out = subprocess.run(["fish", "-c", text + "\ncomplete -C 'mechc check --format j'"], capture_output=True,
                         text=True, check=True).stdout
    assert {ln.split("\t")[0] for ln in out.splitlines()} == {"json", "junit"}


# ---- pre-commit hooks and compile


def _hooks(text: str) -> dict[str, dict[str, str]]:
    """The flat `- id: ...` entries of .pre-commit-hooks.yaml (no YAML library needed)."""
    hooks: dict[str, dict[str, str]] = {}
    for block in text.split("\n- ")[1:]:
        fields = dict(line.strip().lstrip("- ").split(": ", 1) for line in block.splitlines() if ": " in line)
        hooks[fields["id"]] = fields
    return hooks


def test_pre_commit_hooks_fix_formatting_and_check_every_block_kind(tmp_path, capsys):
    hooks = _hooks((ROOT / ".pre-commit-hooks.yaml").read_text())
    assert hooks["mechc-fmt"]["entry"] == "mechc fmt"  # fixes; pre-commit fails the run when files change
    assert hooks["mechc-check"]["entry"] == "mechc check"
    # what the check hook runs on a commit touching every kind of spec
    files = ["specs/vickrey.mech", "specs/games/prisoners_dilemma.mech", "specs/design/moral_hazard.mech",
             "specs/design/screening.mech", "specs/llm/token_auction.mech"]
    assert main(["check", *files]) == 0
    assert check_each(files) == 0  # the old entry point still works for configurations naming it
    # the fmt hook rewrites a badly laid out spec in place
    bad = tmp_path / "bad.mech"
    bad.write_text((ROOT / "specs" / "vickrey.mech").read_text().replace("  agents i in 1..n", "agents   i in 1..n"))
    assert main(["fmt", str(bad)]) == 0
    assert bad.read_text() == (ROOT / "specs" / "vickrey.mech").read_text()
    assert main(["fmt", "--check", str(bad)]) == 0


def test_compile_warns_when_the_generated_tests_cannot_run(tmp_path, monkeypatch, capsys):
    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec", lambda name, *a: None if name == "hypothesis" else real(name, *a))
    assert main(["compile", "specs/vickrey.mech", "-o", str(tmp_path), "--no-verify"]) == 0
    err = capsys.readouterr().err
    assert "hypothesis, which is not installed" in err and "pip install" in err
    monkeypatch.setattr(importlib.util, "find_spec", real)
    assert main(["compile", "specs/vickrey.mech", "-o", str(tmp_path), "--no-verify"]) == 0
    assert "hypothesis" not in capsys.readouterr().err
