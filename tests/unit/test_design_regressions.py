"""Regressions of `mechc design`: clean stdout (no solver banner), contract `feasible` lines enforced
and re-checked, the program's real size on an infeasible contract, located errors for constraints a
design or contract would otherwise ignore."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

import mechc
from mechc.cli import main
from mechc.design import solve_contract

ROOT = Path(__file__).resolve().parents[2]

# Large makes the good outcome (2) 4/5 likely, Small 1/5; Large costs 1. Without the feasible line
# the cheapest contract pays 5/3 on outcome 2 only; flat pay (pay[1] == pay[2]) cannot make the
# provider choose Large, so the program is infeasible.
FLAT = """\
contract Flat {
  "Flat pay cannot make the provider choose Large."
  set Sizes = {Small, Large}
  outcomes Quality = 1..2
  prob[a in Sizes, y in Quality] = if y == 2 then (if a == Large then 4 / 5 else 1 / 5) else (if a == Large then 1 / 5 else 4 / 5)
  cost[a in Sizes] = if a == Large then 1 else 0
  decide pay[y in Quality]: real in [0, 100]
  utility[a in Sizes] = sum(y in Quality, prob[a, y] * pay[y]) - cost[a]
  feasible pay[1] == pay[2]
  implement Large
  require ir
  minimize sum(y in Quality, prob[Large, y] * pay[y])
}
"""


def _fresh_process(*args):
    """Run mechc in a new interpreter: HiGHS prints its banner only on the first solver of a process."""
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    return subprocess.run([sys.executable, "-m", "mechc", *args], cwd=ROOT, capture_output=True, text=True,
                          env=env, timeout=300)


@pytest.mark.parametrize("spec", ["specs/design/optimal_auction_two_bidders.mech", "specs/design/moral_hazard.mech"])
def test_design_json_is_valid_json_on_the_first_solve_of_a_process(spec):
    p = _fresh_process("design", spec, "--format", "json")
    assert p.returncode == 0, p.stderr
    out = json.loads(p.stdout)  # nothing but the report on stdout
    assert out["status"] == "optimal"
    assert "HiGHS" not in p.stdout + p.stderr and "THIRD_PARTY" not in p.stdout + p.stderr


def test_design_text_report_starts_with_the_report():
    p = _fresh_process("design", "specs/design/optimal_auction_one_bidder.mech")
    assert p.returncode == 0, p.stderr
    assert p.stdout.startswith("OneBuyer (specs/design/optimal_auction_one_bidder.mech):")
    assert "HiGHS 1." not in p.stdout and "THIRD_PARTY" not in p.stdout


def test_output_printed_before_a_quiet_solve_is_kept(capfd):
    from mechc.design import quiet_solver_output

    print("before", end=" ")
    with quiet_solver_output():
        os.write(1, b"hidden ")
        with quiet_solver_output():  # re-entrant
            os.write(1, b"hidden ")
        os.write(1, b"hidden ")
    print("after")
    assert capfd.readouterr().out == "before after\n"


def test_contract_feasible_lines_are_enforced():
    r = solve_contract(mechc.load_text(FLAT, "flat.mech"))
    assert r.status == "infeasible"
    assert r.rows["feasible (line 9)"] == 1


def test_contract_feasible_lines_are_rechecked_exactly():
    text = FLAT.replace("feasible pay[1] == pay[2]", "feasible pay[1] >= 1")
    r = solve_contract(mechc.load_text(text, "floor.mech"))
    # 1/5 * 1 + 4/5 * w - 1 >= 4/5 * 1 + 1/5 * w  ->  w >= 8/3; expected pay 1/5 + 4/5 * 8/3 = 7/3
    assert r.status == "optimal" and r.objective_exact == "7/3"
    assert r.wages[("pay", "1")] == 1 and r.wages[("pay", "2")] * 3 == 8
    assert r.checks["feasible (line 9)"] is True


def test_infeasible_contract_cli_reports_its_size_and_exits_1(tmp_path, capsys):
    spec = tmp_path / "flat.mech"
    spec.write_text(FLAT)
    assert main(["design", str(spec)]) == 1
    out = capsys.readouterr().out
    assert "LP: 2 decisions" in out and "?" not in out
    assert "feasible (line 9): 1" in out and "the program is infeasible" in out
    assert main(["design", str(spec), "--format", "json"]) == 1
    got = json.loads(capsys.readouterr().out)
    assert got["status"] == "infeasible" and got["variables"] == 2


def test_contract_best_action_respects_feasible_lines():
    # outcome 2 is worth 10: without the feasible line Large wins (8 - 4/3 = 20/3 against Small's 2);
    # with flat pay Large cannot be implemented, so the best is Small at pay 0, surplus 1/5 * 10 = 2
    text = FLAT.replace("implement Large", "implement Sizes").replace(
        "minimize sum(y in Quality, prob[Large, y] * pay[y])",
        "maximize sum(y in Quality, prob[implemented, y] * ((if y == 2 then 10 else 0) - pay[y]))")
    r = solve_contract(mechc.load_text(text, "best.mech"))
    assert r.target == "Small" and r.objective_exact == "2"
    assert "implementing Large: infeasible" in r.notes


def _error(text, name, capsys, tmp_path):
    spec = tmp_path / name
    spec.write_text(text)
    assert main(["design", str(spec)]) == 2
    return capsys.readouterr().err


def test_contract_feasible_must_be_one_comparison_located(tmp_path, capsys):
    err = _error(FLAT.replace("pay[1] == pay[2]", "pay[1] <= 1 and pay[2] <= 9"), "and.mech", capsys, tmp_path)
    assert "and.mech:9:12: error: a feasibility constraint in a contract must be one comparison" in err
    assert "^^^" in err and "hint:" in err


def test_contract_rejects_constraints_it_would_ignore(tmp_path, capsys):
    err = _error(FLAT.replace("require ir", "require ir, dsic"), "dsic.mech", capsys, tmp_path)
    assert "dsic.mech:11:15: error: dsic is not a contract constraint" in err and "hint:" in err


def test_design_feasible_lines_not_listed_are_an_error(tmp_path, capsys):
    text = (ROOT / "specs" / "design" / "optimal_auction_two_bidders.mech").read_text().replace(
        "subject to dsic, ex_post_ir, feasible", "subject to dsic, ex_post_ir")
    err = _error(text, "unlisted.mech", capsys, tmp_path)
    assert "unlisted.mech:12:3: error: the design's 'feasible' lines are not among its constraints" in err
    assert "add 'feasible' to 'subject to'" in err


def test_design_json_with_output_dir_is_one_json_document(tmp_path):
    # issue 14, part 5: "wrote ..." lines followed the JSON document on stdout
    p = _fresh_process("design", "specs/design/optimal_auction_two_bidders.mech", "--format", "json", "-o", str(tmp_path))
    assert p.returncode == 0, p.stderr
    out = json.loads(p.stdout)  # raises if anything but one document is on stdout
    assert "wrote" in p.stderr and "wrote" not in p.stdout
    assert out["written"] and all(Path(w).is_file() for w in out["written"])
    # the designed rules and the timings the text report shows are in the JSON too
    rows = out["rules"]["profiles"]
    assert len(rows) == 4 and rows[0]["reports"] == ["1", "1"] and set(rows[0]["rules"]) == {"pay", "x"}
    assert {"build_s", "solve_s", "verify_s", "certify_s"} <= set(out["timings"])
    assert out["objective_exact"] == "3/2" and out["certified"] is True


def test_contract_output_dir_writes_the_designed_contract(tmp_path, capsys):
    # issue 14, part 5: `-o DIR` on a contract wrote nothing and said nothing
    assert main(["design", "specs/design/moral_hazard.mech", "-o", str(tmp_path)]) == 0
    target = tmp_path / "moral_hazard_contract.json"
    assert f"wrote {target}" in capsys.readouterr().out
    doc = json.loads(target.read_text())
    assert doc["decisions_exact"] == {"wage[Fail]": "0", "wage[Success]": "5/2"} and doc["objective_exact"] == "2"
    assert main(["design", "specs/design/moral_hazard.mech", "-o", str(tmp_path), "--format", "json"]) == 0
    captured = capsys.readouterr()
    assert json.loads(captured.out)["written"] == [str(target)] and "wrote" in captured.err
