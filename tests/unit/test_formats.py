"""Machine-readable reports: the JSON schema shipped with mechc, and JUnit XML."""

import json
import xml.etree.ElementTree as ET
from importlib import resources
from pathlib import Path

import jsonschema
import pytest

from mechc.cli import main

ROOT = Path(__file__).resolve().parents[2]
GOLDEN = sorted((ROOT / "tests" / "golden").glob("*.json"))


def schema():
    return json.loads(resources.files("mechc").joinpath("schema/report.schema.json").read_text())


@pytest.mark.parametrize("path", GOLDEN, ids=lambda p: p.stem)
def test_every_golden_report_matches_the_shipped_schema(path):
    jsonschema.validate(json.loads(path.read_text()), schema())


def test_schema_rejects_a_bad_verdict():
    rep = json.loads(GOLDEN[0].read_text())
    rep["properties"][0]["verdict"] = "probably"
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(rep, schema())


def test_junit_report(capsys):
    assert main(["check", "specs/bilateral_posted.mech", "--format", "junit"]) == 1
    root = ET.fromstring(capsys.readouterr().out)
    suite = root.find("testsuite")
    assert suite.get("tests") == "4" and suite.get("failures") == "1"
    failed = [c for c in suite.findall("testcase") if c.find("failure") is not None]
    assert [c.get("name") for c in failed] == ["efficient"]
    assert "chooses NoTrade" in failed[0].find("failure").get("message")
