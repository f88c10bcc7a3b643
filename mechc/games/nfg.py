"""Gambit strategic-form files (.nfg, format version 1): read both variants, write the outcome one.

Reference: the Gambit manual, "Game representation formats: the strategic game (.nfg) file format".
Header ``NFG 1 R "title" { "P1" "P2" } { { "s1" "s2" } { "t1" "t2" } }`` (or ``{ 2 2 }`` with
unnamed strategies), an optional comment string, then either a flat list of payoffs (profile by
profile, player 1's strategy varying fastest, every player's payoff) or a list of outcomes
``{ "name" 3, 2 }`` followed by one outcome index per profile (0 = no outcome, all payoffs 0).
A tokenizer of ~20 lines suffices (pygambit reads these files too, but it is an optional extra).
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from fractions import Fraction

import numpy as np

from ..errors import Span, SpecError

_TOKEN = re.compile(r'\s*(?:"((?:[^"\\]|\\.)*)"|([{}])|(,)|([-+]?[0-9.]+(?:[eE][-+]?\d+)?(?:/\d+)?))')


@dataclass
class NormalForm:
    title: str
    players: list[str]
    strategies: list[list[str]]
    payoffs: np.ndarray  # shape (S_1, ..., S_n, n), Fractions (object dtype)
    comment: str = ""


class _Tokens:
    def __init__(self, text: str, file: str, pos: int = 0):
        self.file, self.text = file, text
        self.toks: list[tuple[str, str, int]] = []
        while pos < len(text):
            if text[pos:].strip() == "":
                break
            m = _TOKEN.match(text, pos)
            if not m:
                self.error(pos, f"unexpected character {text[pos:].lstrip()[:1]!r}")
            kind = "str" if m.group(1) is not None else "brace" if m.group(2) else "comma" if m.group(3) else "num"
            self.toks.append((kind, m.group(m.lastindex).replace('\\"', '"'), m.start(m.lastindex)))
            pos = m.end()
        self.k = 0

    def error(self, pos: int, msg: str):
        line = self.text.count("\n", 0, pos) + 1
        col = pos - (self.text.rfind("\n", 0, pos) + 1) + 1
        raise SpecError(Span(self.file, line, col, line, col + 1), msg, "see the Gambit manual's .nfg format")

    def peek(self):
        return self.toks[self.k] if self.k < len(self.toks) else ("eof", "", len(self.text))

    def take(self, kind: str, value: str | None = None):
        t = self.peek()
        if t[0] != kind or (value is not None and t[1] != value):
            self.error(t[2], f"expected {value or kind}, found {t[1] or 'end of file'!r}")
        self.k += 1
        return t[1]

    def number(self) -> Fraction:
        t = self.peek()
        v = self.take("num")
        try:
            return Fraction(v)
        except (ValueError, ZeroDivisionError):
            self.error(t[2], f"not a number: {v!r}")


def read_nfg(text: str, file: str = "<nfg>") -> NormalForm:
    start = len(text) - len(text.lstrip())
    if not text.startswith("NFG", start):
        raise SpecError(Span(file, 1, 1, 1, 2), "not a Gambit strategic-form file: it must start with 'NFG 1 R'")
    head = re.match(r"NFG\s+(\S+)\s+R\s*", text[start:])
    if not head or head.group(1) != "1":
        raise SpecError(Span(file, 1, 1, 1, 2), "only version 1 of the .nfg format (NFG 1 R ...) is supported")
    t = _Tokens(text, file, start + head.end())
    title = t.take("str")
    t.take("brace", "{")
    players = []
    while t.peek()[0] == "str":
        players.append(t.take("str"))
    t.take("brace", "}")
    if not players:
        t.error(t.peek()[2], "the game has no players")
    t.take("brace", "{")
    strategies: list[list[str]] = []
    if t.peek()[0] == "num":  # { 3 2 }: strategy counts
        while t.peek()[0] == "num":
            k = int(t.number())
            strategies.append([str(j + 1) for j in range(k)])
    else:
        while t.peek() == ("brace", "{", t.peek()[2]):
            t.take("brace", "{")
            names = []
            while t.peek()[0] == "str":
                names.append(t.take("str"))
            t.take("brace", "}")
            strategies.append(names)
    t.take("brace", "}")
    if len(strategies) != len(players) or any(not s for s in strategies):
        t.error(t.peek()[2], f"{len(players)} players but {len(strategies)} strategy lists")
    comment = t.take("str") if t.peek()[0] == "str" else ""
    n = len(players)
    sizes = [len(s) for s in strategies]
    P = math.prod(sizes)
    if P * n > 10_000_000:
        t.error(0, f"the game has {P:,} profiles; mechc reads games up to 10,000,000 payoffs")
    flat = np.empty((P, n), dtype=object)
    if t.peek()[1] == "{":  # outcome version
        t.take("brace", "{")
        outcomes = [[Fraction(0)] * n]
        while t.peek()[1] == "{":
            t.take("brace", "{")
            t.take("str")
            pay = []
            while t.peek()[0] == "num":
                pay.append(t.number())
                if t.peek()[0] == "comma":
                    t.take("comma")
            t.take("brace", "}")
            if len(pay) != n:
                t.error(t.peek()[2], f"an outcome with {len(pay)} payoffs for {n} players")
            outcomes.append(pay)
        t.take("brace", "}")
        for k in range(P):
            pos = t.peek()[2]
            o = int(t.number())
            if not 0 <= o < len(outcomes):
                t.error(pos, f"outcome {o} is not defined (there are {len(outcomes) - 1})")
            flat[k] = outcomes[o]
    else:
        for k in range(P):
            for a in range(n):
                flat[k, a] = t.number()
    if t.peek()[0] != "eof":
        t.error(t.peek()[2], "unexpected text after the payoffs")
    # profile k has player 1 fastest: reshape in Fortran order to one axis per player
    pay = flat.reshape(*sizes[::-1], n).transpose(*range(n - 1, -1, -1), n)
    return NormalForm(title, players, strategies, pay, comment)


def _q(s: str) -> str:
    return '"' + s.replace('"', '\\"') + '"'


def _num(v) -> str:
    if isinstance(v, Fraction):
        return str(v.numerator) if v.denominator == 1 else f"{v.numerator}/{v.denominator}"
    return repr(float(v))


def write_nfg(nf: NormalForm) -> str:
    """The outcome version of the format (keeps strategy names), one outcome per profile."""
    n = len(nf.players)
    sizes = [len(s) for s in nf.strategies]
    out = [f"NFG 1 R {_q(nf.title)} {{ {' '.join(map(_q, nf.players))} }}", ""]
    out.append("{ " + "\n".join("{ " + " ".join(map(_q, s)) + " }" for s in nf.strategies) + "\n}")
    out.append(_q(nf.comment))
    out.append("")
    out.append("{")
    order = np.transpose(nf.payoffs, (*range(n - 1, -1, -1), n)).reshape(-1, n)  # player 1 fastest
    for row in order:
        out.append('{ "" ' + ", ".join(_num(v) for v in row) + " }")
    out.append("}")
    out.append(" ".join(str(k + 1) for k in range(math.prod(sizes))) + " ")
    return "\n".join(out) + "\n"


_IDENT = re.compile(r"[^A-Za-z0-9_]")


def _ident(s: str, prefix: str) -> str:
    s = _IDENT.sub("_", s.strip()) or prefix
    return s if not s[0].isdigit() else prefix + s


def to_mech(nf: NormalForm, name: str = "Imported") -> str:
    """A .mech game spec with the same players, strategies and payoff table."""
    from ..sema.check import KEYWORDS

    n = len(nf.players)
    players = _unique([_ident(p, "P") for p in nf.players])
    strats = [[_ident(s, "s") for s in ss] for ss in nf.strategies]
    shared = all(s == strats[0] for s in strats)
    if not shared:  # a name may belong to one strategy set only: prefix by player where they collide
        names = [s for ss in strats for s in ss]
        if len(set(names)) < len(names):
            strats = [[f"{players[a]}_{s}" for s in ss] for a, ss in enumerate(strats)]
    strats = [_unique([s + "_" if s in KEYWORDS else s for s in ss]) for ss in strats]
    players = [p + "_" if p in KEYWORDS else p for p in players]
    title = nf.title.replace('"', "'").replace("\n", " ")
    doc = (nf.comment or nf.title).replace('"', "'").replace("\n", " ")
    ident = _ident(title, "G") if title and len(title) <= 40 else _ident(name, "G")
    lines = [f"# Imported from a Gambit .nfg file: {title}" if title else "# Imported from a Gambit .nfg file",
             f"game {ident[0].upper() + ident[1:]} {{"]
    if doc:
        lines.append(f'  "{doc}"')
    lines.append(f"  agents i in {{{', '.join(players)}}}")
    if shared:
        lines.append(f"  strategy s[i] in {{{', '.join(strats[0])}}}")
    else:
        lines += [f"  strategy s[{p}] in {{{', '.join(ss)}}}" for p, ss in zip(players, strats, strict=True)]
    flat = nf.payoffs.reshape(-1, n)
    last = len(strats[-1])
    cells = ["(" + ", ".join(_num(v) for v in row) + ")" for row in flat]
    width = max(map(len, cells))
    rows = [" ".join(c.ljust(width) for c in cells[k:k + last]).rstrip() for k in range(0, len(cells), last)]
    head = "  payoff = ["
    lines.append(head + (";\n" + " " * len(head)).join(rows) + "]")
    lines.append("}")
    return "\n".join(lines) + "\n"


def _unique(names: list[str]) -> list[str]:
    out, seen = [], set()
    for s in names:
        t, k = s, 2
        while t in seen:
            t, k = f"{s}_{k}", k + 1
        seen.add(t)
        out.append(t)
    return out


def from_model(model, U, gs, sign: int) -> NormalForm:
    """A solved game's payoff arrays as a normal form (cost games are written as payoffs -cost)."""
    n = len(U)
    pay = np.empty((*U[0].shape, n), dtype=object)
    for a in range(n):
        pay[..., a] = U[a]
    return NormalForm(model.name, [model.agent_label(a) for a in range(n)], [list(g.labels) for g in gs], pay,
                      (model.doc or "") + (" (payoffs are minus the spec's costs)" if sign < 0 else ""))
