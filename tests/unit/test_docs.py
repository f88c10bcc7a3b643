"""Every fenced ```mech block in the docs and the README is checked: examples cannot rot.

Blocks whose first line is '# ERROR EXAMPLE' must be rejected with exit code 2; every other block
must load and check (exit 0 or 1)."""

import re
from pathlib import Path

import pytest

from mechc.cli import main

ROOT = Path(__file__).resolve().parents[2]
DOCS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
BLOCKS = [(doc, k, m.group(1)) for doc in DOCS
          for k, m in enumerate(re.finditer(r"```mech\n(.*?)```", doc.read_text(), re.S))]


def test_the_docs_have_examples():
    assert len(BLOCKS) >= 20


@pytest.mark.parametrize("doc,k,text", BLOCKS, ids=[f"{d.name}-{k}" for d, k, _ in BLOCKS])
def test_doc_example(doc, k, text, tmp_path, capsys):
    spec = tmp_path / f"example{k}.mech"
    spec.write_text(text)
    args = ["check", str(spec), "--grid", "5"]
    m = re.search(r"# mechc (check|design|solve) FILE(.*)", text)
    if m:
        args = [m.group(1), str(spec)] + [a for a in m.group(2).split() if a not in ("-o", "build/")]
    code = main(args)
    err = capsys.readouterr().err
    if text.lstrip().startswith("# ERROR EXAMPLE"):
        assert code == 2, f"{doc.name} block {k} should be rejected"
        assert "Traceback" not in err
    else:
        assert code in (0, 1), f"{doc.name} block {k}: exit {code}\n{err}"


def test_sweep_table(capsys):
    assert main(["check", "specs/posted_price.mech", "--sweep", "price=0:1:0.5", "--format", "csv"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == "price,dsic,ex_post_ir,no_positive_transfers,monotone,revenue"
    assert lines[2] == "1/2,proved,proved,proved,proved,0.5"  # revenue 2 p (1 - p), exact at p = 1/2


def test_sweep_of_an_unknown_parameter_is_located(capsys):
    assert main(["check", "specs/posted_price.mech", "--sweep", "prize=0:1:0.5"]) == 2
    assert "unknown parameter 'prize'" in capsys.readouterr().err
