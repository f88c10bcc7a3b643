"""Golden JSON reports for every spec in specs/: deterministic, byte for byte.

Regenerate after an intended change with: MECHC_UPDATE_GOLDEN=1 python -m pytest tests/golden
"""

import os
from pathlib import Path

import pytest

from mechc.cli import main

ROOT = Path(__file__).resolve().parents[2]
SPECS = sorted(p.stem for p in (ROOT / "specs").glob("*.mech"))


def test_every_spec_has_a_golden_file():
    assert len(SPECS) >= 10


@pytest.mark.parametrize("name", SPECS)
def test_golden_report(name, capsys):
    main(["check", f"specs/{name}.mech", "--format", "json"])
    out = capsys.readouterr().out
    golden = ROOT / "tests" / "golden" / f"{name}.json"
    if os.environ.get("MECHC_UPDATE_GOLDEN"):
        golden.write_text(out, encoding="utf-8")
    assert golden.exists(), f"missing {golden}; run with MECHC_UPDATE_GOLDEN=1"
    assert out == golden.read_text(encoding="utf-8")
