"""The front end's fuzz target (issue 21): any input gets a value or a located MechError, never an
internal error, in bounded time; compiled modules import.

Inputs come from the grammar (hypothesis ``from_lark``), from arbitrary text, and from mutations of
every spec in specs/ (token deletes, swaps and duplicates; extreme numbers; names replaced by
keywords, builtins and homoglyphs; deep nesting; odd whitespace; invalid UTF-8). The default suite
runs a few seconds of it with a fixed seed and replays every reproducer in tests/fuzz/corpus/*.fuzz (spec bytes, not .mech so the pytest plugin leaves them alone; a
directory that only grows: add the minimised input of each bug fixed); ``-m slow`` runs the long
campaign, which also checks and compiles what loads. ``MECHC_FUZZ_EXAMPLES`` sets its size,
``MECHC_FUZZ_SEED`` its seed (21).
"""

import os
import re
import time
from pathlib import Path

import pytest
from hypothesis import HealthCheck, Phase, given, seed, settings
from hypothesis import strategies as st
from hypothesis.extra.lark import from_lark
from lark import Lark

import mechc
from mechc.codegen import generate
from mechc.errors import MechError, SpecError, SpecErrors, render
from mechc.parse import decode_spec, grammar_text

ROOT = Path(__file__).resolve().parents[2]
CORPUS = Path(__file__).resolve().parent / "corpus"
SPECS = sorted(p for p in (ROOT / "specs").rglob("*.mech") if "invalid" not in p.parts)
GRAMMAR = Lark(grammar_text(), parser="lalr", start="start")
EXPLICIT = {
    # padded with spaces: from_lark joins tokens without separators, and keywords must not glue to names
    "NAME": st.sampled_from([" i ", " j ", " n ", " b ", " v ", " x ", " pay ", " utility ", " O ", " A ", " k "]),
    "NUMBER": st.sampled_from([" 0 ", " 1 ", " 2 ", " 0.5 ", " 10 ", " 1e999 ", " 1e-30 ", " 9007199254740993 "]),
    "STRING": st.just('"doc"'),
    "WS": st.just(" "),
    "COMMENT": st.just("# c\n"),
}
TOKEN = re.compile(r"\s+|#[^\n]*|\"(?:[^\"\\\n]|\\.)*\"|[A-Za-z_]\w*|\d+(?:\.\d+)?(?:[eE][+-]?\d+)?|\.\.|[<>=!]=|.",
                   re.S)
EXTREME_NUMBERS = ["1e999", "1e-400", "0/0", "1/0.0", "1/-0", "10^100", "2^64", "1e308", "5e-324", "1e-30",
                   "9007199254740993", "1" * 4400, "1e76", "-0", "0.1"]
HOSTILE_NAMES = ["print", "print_", "class", "lambda", "self", "np", "None", "True", "reports", "types", "p",
                 "SYM_a", "evaluate", "Rules", "_x", "__init__", "if", "then", "in", "max", "sum", "none",
                 "\u0445", "x\u0301", "\uff58", "\u0430gents"]  # Cyrillic x, combining accent, fullwidth x
ODD_SPACE = ["\x0c", "\x0b", "\u2028", "\u2029", "\x85", "\r", "\t", "\x00", "\u00a0", "\ufeff", "\x1c"]
BAD_BYTES = [b"\xff", b"\xc3", b"\xed\xa0\x80", b"\xe2\x82", b"\x80"]


def exercise(data: bytes, deep: bool = False) -> str:
    """Run one input through the front end (and, if ``deep``, check and compile what loads):
    'ok', 'error' (a MechError, every SpecError located and renderable) or an assertion failure."""
    text = None
    try:
        text = decode_spec(data, "fuzz.mech")
        model = mechc.load_text(text, "fuzz.mech")
        if deep and model.kind == "mechanism":
            report = mechc.check(model, max_cells=200_000, timeout=2.0)
            generated = generate(model, report, text, "fuzz.mech")
            compile(generated.module, "generated.py", "exec")
            compile(generated.tests, "test_generated.py", "exec")
        return "ok"
    except SpecErrors as e:
        errors = e.errors
    except SpecError as e:
        errors = [e]
    except MechError:
        return "error"
    for err in errors:
        assert err.span is not None, f"unlocated error: {err.message}"
        render(err, {"fuzz.mech": text or ""})
    return "error"


# ---- mutations of the specs in specs/ ----

def _tokens(text: str) -> list[str]:
    return TOKEN.findall(text)


@st.composite
def mutated_spec(draw) -> bytes:
    toks = _tokens(SPECS[draw(st.integers(0, len(SPECS) - 1))].read_text(encoding="utf-8"))
    for _ in range(draw(st.integers(1, 3))):
        k = draw(st.integers(0, len(toks) - 1))
        kind = draw(st.sampled_from(["delete", "swap", "duplicate", "number", "name", "nest", "space", "sum"]))
        if kind == "delete":
            del toks[k]
        elif kind == "swap" and k + 1 < len(toks):
            toks[k], toks[k + 1] = toks[k + 1], toks[k]
        elif kind == "duplicate":
            toks.insert(k, toks[k])
        elif kind == "number":
            nums = [j for j, t in enumerate(toks) if t[:1].isdigit()] or [k]
            toks[draw(st.sampled_from(nums))] = draw(st.sampled_from(EXTREME_NUMBERS))
        elif kind == "name":
            names = [j for j, t in enumerate(toks) if t[:1].isalpha() or t[:1] == "_"] or [k]
            toks[draw(st.sampled_from(names))] = draw(st.sampled_from(HOSTILE_NAMES))
        elif kind == "nest":
            depth = draw(st.sampled_from([50, 250, 600]))
            opener, closer = draw(st.sampled_from([("(", ")"), ("max(0, ", ")"), ("-", ""), ("if 1 > 0 then ", " else 0")]))
            toks[k] = opener * depth + toks[k] + closer * depth
        elif kind == "space":
            toks.insert(k, draw(st.sampled_from(ODD_SPACE)))
        else:  # a long flat sum
            toks[k] = toks[k] + " + 0" * draw(st.sampled_from([10, 300]))
    data = "".join(toks).encode("utf-8", errors="surrogatepass")
    if draw(st.booleans()) and draw(st.booleans()):  # a quarter of inputs get an invalid byte
        at = draw(st.integers(0, len(data)))
        data = data[:at] + draw(st.sampled_from(BAD_BYTES)) + data[at:]
    return data


FAST = settings(max_examples=60, deadline=None, derandomize=True, suppress_health_check=list(HealthCheck),
                phases=[Phase.explicit, Phase.generate])


@FAST
@given(from_lark(GRAMMAR, explicit=EXPLICIT))
def test_generated_text_loads_or_gives_spec_error(text):
    exercise(text.encode("utf-8"))


@settings(max_examples=200, deadline=None, derandomize=True)
@given(st.text(alphabet="mechanism {}[]()=<>+-*/.,:~#\"ifthenlsaxbvpur0123456789 \n\x0c\u2028", max_size=120))
def test_arbitrary_text_never_crashes(text):
    exercise(text.encode("utf-8"))


@FAST
@given(mutated_spec())
def test_mutated_specs_load_or_give_located_errors(data):
    exercise(data)


@pytest.mark.parametrize("path", sorted(CORPUS.glob("*.fuzz")), ids=lambda p: p.name)
def test_corpus_reproducer(path):
    """Every minimised reproducer of a fixed bug still gets a value or a located error, checked and
    compiled as in the slow campaign."""
    start = time.process_time()
    exercise(path.read_bytes(), deep=True)
    assert time.process_time() - start < 60


def test_corpus_only_grows():
    assert len(list(CORPUS.glob("*.fuzz"))) >= 20


@pytest.mark.slow
@seed(int(os.environ.get("MECHC_FUZZ_SEED", "21")))
@settings(max_examples=int(os.environ.get("MECHC_FUZZ_EXAMPLES", "10000")), deadline=None,
          suppress_health_check=list(HealthCheck), phases=[Phase.explicit, Phase.generate], database=None)
@given(st.one_of(mutated_spec(), from_lark(GRAMMAR, explicit=EXPLICIT).map(lambda t: t.encode("utf-8"))))
def test_fuzz_campaign(data):
    """The long run: mutations and grammar text, checked and compiled where they load.
    ``MECHC_FUZZ_LOG=FILE`` appends one line per input (outcome, CPU seconds) for the figures and
    keeps the input under way in FILE.current (to recover one that hangs or exhausts memory)."""
    if os.environ.get("MECHC_FUZZ_LOG"):
        Path(os.environ["MECHC_FUZZ_LOG"] + ".current").write_bytes(data)
    start = time.process_time()
    outcome = exercise(data, deep=True)
    spent = time.process_time() - start
    if os.environ.get("MECHC_FUZZ_LOG"):
        with open(os.environ["MECHC_FUZZ_LOG"], "a", encoding="utf-8") as log:
            log.write(f"{outcome} {spent:.3f}\n")
    assert spent < 60, "an input took more than a minute of CPU"
