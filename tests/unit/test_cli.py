import json

import mechc.cli as cli


def test_json_report_has_the_documented_fields(capsys):
    assert cli.main(["check", "specs/bilateral_vcg.mech", "--format", "json"]) == 1
    rep = json.loads(capsys.readouterr().out)
    assert set(rep) >= {"spec", "name", "doc", "params", "space", "properties", "metrics", "notes", "exit_code"}
    p = next(p for p in rep["properties"] if p["verdict"] == "violated")
    assert set(p) >= {"name", "verdict", "method", "detail", "counterexample", "stats"}
    assert p["counterexample"]["exact"] is True and p["counterexample"]["kind"] == "profile"
    assert all(set(m) >= {"value", "stderr"} for m in rep["metrics"].values())


def test_output_file_and_param_override(tmp_path, capsys):
    out = tmp_path / "r.json"
    assert cli.main(["check", "specs/vickrey.mech", "--param", "n=2", "--format", "json", "-o", str(out)]) == 0
    assert json.loads(out.read_text())["params"]["n"] == "2"


def test_unreadable_file_is_exit_2(capsys):
    assert cli.main(["check", "specs/does_not_exist.mech"]) == 2
    assert "cannot read" in capsys.readouterr().err


def test_internal_errors_never_show_a_traceback(monkeypatch, capsys):
    def boom(args, err):
        raise RuntimeError("boom")

    monkeypatch.setattr(cli, "_check", boom)
    monkeypatch.delenv("MECHC_DEBUG", raising=False)
    assert cli.main(["check", "specs/vickrey.mech"]) == 2
    err = capsys.readouterr().err
    assert "internal error" in err and "Traceback" not in err


def test_unknown_param_is_located_with_a_hint(capsys):
    assert cli.main(["check", "specs/vickrey.mech", "--param", "reserv=0.3"]) == 2
    err = capsys.readouterr().err
    assert "specs/vickrey.mech:3:1: error: unknown parameter 'reserv'" in err
    assert "did you mean 'reserve'" in err
