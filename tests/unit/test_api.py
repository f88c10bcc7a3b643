"""The Python API for notebooks and scripts."""

import pytest

import mechc


def test_load_with_keyword_parameters_and_check():
    m = mechc.load("specs/vickrey.mech", n=4, reserve=0.5)
    assert m.n_agents == 4
    r = m.check()
    assert r.ok and r.properties["dsic"].verdict == "verified"
    with pytest.raises(KeyError, match="the report has"):
        r.properties["bic"]


def test_violations_are_data():
    r = mechc.load("specs/first_price.mech").check()
    assert not r.ok and r.exit_code == 1
    cx = r.properties["dsic"].counterexample
    assert cx.exact and cx.fields["misreport"] == "0"


def test_reports_render_as_text_and_html():
    r = mechc.load("specs/bilateral_posted.mech").check()
    text = str(r)
    assert "efficient" in text and "violated" in text and "\x1b[" not in text
    html = r._repr_html_()
    assert html.startswith("<div>") and "counterexample" in html and "<script" not in html


def test_compile_from_the_api(tmp_path):
    files = mechc.load("specs/vickrey.mech").compile(tmp_path)
    assert set(files) == {"vickrey.py", "test_vickrey.py"}
    assert (tmp_path / "vickrey.py").read_text() == files["vickrey.py"]


def test_bool_and_real_keyword_parameters():
    text = open("specs/posted_price.mech").read()
    m = mechc.load_text(text, "p.mech", price=0.25)
    assert m.params["price"][1] == mechc.load_text(text, "p.mech", params={"price": "1/4"}).params["price"][1]
