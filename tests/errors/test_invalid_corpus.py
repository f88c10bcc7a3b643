"""Every spec in specs/invalid/ is rejected with exit code 2 and its expected located error.

Each ``NAME.mech`` there has a ``NAME.expected`` holding the first ``file:line:col: error: ...``
line the CLI must print. The CLI runs in-process from the repository root, so paths in the
messages are the relative ``specs/invalid/NAME.mech`` the user typed.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from mechc.cli import main

REPO = Path(__file__).resolve().parents[2]
INVALID = REPO / "specs" / "invalid"
SPECS = sorted(INVALID.glob("*.mech"))
CARET = re.compile(r"^ *\^+ *$")


def test_corpus_is_large_enough():
    assert len(SPECS) >= 25


@pytest.mark.parametrize("spec", SPECS, ids=[p.stem for p in SPECS])
def test_invalid_spec_is_rejected_with_location(spec: Path, capsys, monkeypatch):
    monkeypatch.chdir(REPO)
    rel = spec.relative_to(REPO).as_posix()
    assert spec.read_text(encoding="utf-8").startswith("# "), "each bad spec starts with a '# ' comment"
    expected = spec.with_suffix(".expected").read_text(encoding="utf-8").strip()
    assert expected.startswith(f"{rel}:") and ": error: " in expected

    code = main(["check", rel])
    out, err = capsys.readouterr()

    assert code == 2, f"exit code {code}\nstderr:\n{err}"
    assert "Traceback" not in out + err
    lines = err.splitlines()
    assert expected in lines, f"expected line not found\nwant: {expected}\nstderr:\n{err}"
    k = lines.index(expected)
    # the offending source line, then a caret line under it
    assert k + 2 < len(lines), err
    assert CARET.match(lines[k + 2]), f"no caret line after the source line:\n{err}"
    # the first error printed is the expected one
    first = next(ln for ln in lines if re.match(rf"^{re.escape(rel)}:\d+:\d+: error: ", ln))
    assert first == expected
