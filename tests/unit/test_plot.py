"""mechc plot: the arrays behind the panels, and a picture for every spec it can draw."""

from pathlib import Path

import numpy as np
import pytest

import mechc
from mechc.cli import main
from mechc.plot import plot_data

ROOT = Path(__file__).resolve().parents[2]
SPECS = sorted(p.stem for p in (ROOT / "specs").glob("*.mech"))


def test_second_price_has_no_regret_and_first_price_does():
    vick = plot_data(mechc.load("specs/vickrey.mech"), agent=0)
    assert vick.regret.max() <= 1e-12
    assert np.all(np.diff(vick.x) >= 0)  # monotone allocation
    fp = plot_data(mechc.load("specs/first_price_interval.mech"), agent=0, grid=41)
    # others bid 1/2: truthful utility of type 1 is 1 - 1 = 0 (wins, pays its bid); best: bid 1/2, gain 1/2
    assert fp.truthful[-1] == pytest.approx(0.0) and fp.best[-1] == pytest.approx(0.5)


def test_others_can_be_fixed():
    d = plot_data(mechc.load("specs/capped_second_price.mech"), agent=0, grid=101, others={"2": "0.95"})
    assert d.others == {"2": "19/20"}
    assert d.regret.max() == pytest.approx(0.04, abs=0.011)  # v just under 0.95 overbids, pays the cap 0.9


@pytest.mark.parametrize("name", SPECS)
def test_every_drawable_spec_gets_a_picture(name, tmp_path, capsys):
    out = tmp_path / f"{name}.png"
    code = main(["plot", f"specs/{name}.mech", "-o", str(out), "--grid", "31"])
    model = mechc.load(f"specs/{name}.mech")
    drawable = not any(ts.symbolic or ts.items is not None for ts in model.type_spaces)
    if drawable:
        assert code == 0 and out.stat().st_size > 20_000
    else:
        assert code == 2 and "one numeric type" in capsys.readouterr().err


def test_sweep_panel(tmp_path):
    out = tmp_path / "s.png"
    assert main(["plot", "specs/posted_price.mech", "-o", str(out), "--sweep", "price=0:1:0.5", "--grid", "21"]) == 0
    assert out.stat().st_size > 20_000


def test_averaged_view_is_the_interim_one():
    # first price against one uniform bidder: best bid for value 1 is about 1/2, interim gain about 1/4
    fp = plot_data(mechc.load("specs/first_price_interval.mech"), agent=0, grid=41, average=True, others_grid=41)
    assert fp.truthful.max() == pytest.approx(0.0, abs=1e-12)
    assert fp.best[-1] == pytest.approx(0.25, abs=0.02)
    vick = plot_data(mechc.load("specs/vickrey.mech"), agent=1, average=True)
    assert vick.regret.max() <= 1e-12


def test_bash_completion(capsys):
    assert main(["completion"]) == 0
    out = capsys.readouterr().out
    assert "complete -F _mechc mechc" in out and "--sweep" in out and "*.mech" in out
