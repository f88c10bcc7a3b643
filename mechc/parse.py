"""Text -> AST: the cached lark LALR parser and one Transformer to frozen dataclasses."""

from __future__ import annotations

import functools
import sys
from fractions import Fraction
from importlib import resources

from lark import Lark, Token, Transformer, Tree, v_args
from lark.exceptions import (
    UnexpectedCharacters,
    UnexpectedEOF,
    UnexpectedInput,
    UnexpectedToken,
    VisitError,
)

from . import ast
from .errors import Span, SpecError, SpecErrors, source_lines
from .limits import MAX_SOURCE_BYTES, refuse_if

MAX_NESTING = 200  # syntax-tree depth; the deepest spec in specs/ has 15, Python's stack allows ~400
MAX_LITERAL_DIGITS = 400  # any double needs at most 17 significant digits and an exponent of 3


def grammar_text() -> str:
    """The grammar, read as package data so an installed mechc finds it."""
    return resources.files("mechc").joinpath("grammar/mech.lark").read_text(encoding="utf-8")


@functools.cache
def _parser() -> Lark:
    return lalr_parser()


def lalr_parser(**options) -> Lark:
    """The LALR parser of the grammar. Its tables are cached in the user's cache folder (lark checks
    the grammar's hash on load), which takes about 0.3 s off every command; no cache when the
    folder cannot be written."""
    import os

    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    folder = os.path.join(base, "mechc")
    try:
        os.makedirs(folder, mode=0o700, exist_ok=True)
        cache = os.path.join(folder, "grammar.lark-cache") if os.access(folder, os.W_OK) else False
    except OSError:
        cache = False
    return Lark(grammar_text(), parser="lalr", propagate_positions=True, maybe_placeholders=True, cache=cache,
                **options)


def _tok_span(file: str, tok: Token) -> Span:
    return Span(file, tok.line, tok.column, tok.end_line, tok.end_column)


def literal(text: str, span: Span) -> Fraction:
    """A NUMBER token's exact value; one that no double can hold (beyond about 1.8e308, or so small
    it rounds to 0) or with absurdly many digits is a located error, since every float back end
    would compute with inf or 0 instead."""
    mantissa = text.lower().split("e")[0]
    digits = mantissa.replace(".", "").lstrip("0")
    if len(mantissa) > MAX_LITERAL_DIGITS:
        raise SpecError(span, f"number literal with {len(mantissa)} digits; at most {MAX_LITERAL_DIGITS} are accepted",
                        hint="a double carries 17 significant digits; write it in scientific notation")
    value = float(text)
    if value == float("inf"):
        raise SpecError(span, f"number literal {_short(text)} is too large: beyond the largest double "
                              "(about 1.8e308)")
    if value == 0 and digits:
        raise SpecError(span, f"number literal {_short(text)} is too small: it rounds to 0 in double "
                              "precision (the smallest positive double is about 5e-324)")
    return Fraction(text)


def decode_spec(data: bytes, file: str) -> str:
    """A spec file's bytes as text; bytes that are not UTF-8 are a located error naming the byte."""
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as e:
        line_start = data.rfind(b"\n", 0, e.start) + 1
        line = data.count(b"\n", 0, e.start) + 1
        col = len(data[line_start:e.start].decode("utf-8", errors="replace")) + 1
        raise SpecErrors([SpecError(Span(file, line, col, line, col + 1),
                                    f"byte 0x{data[e.start]:02x} is not UTF-8",
                                    "mechc reads specs as UTF-8; re-save the file in that encoding")]) from None


def _short(text: str) -> str:
    return text if len(text) <= 24 else text[:10] + "..." + text[-10:]


def _unescape(s: str) -> str:
    out, i = [], 1
    body = s[1:-1]
    i = 0
    while i < len(body):
        c = body[i]
        if c == "\\" and i + 1 < len(body):
            nxt = body[i + 1]
            out.append({"n": "\n", "t": "\t"}.get(nxt, nxt))
            i += 2
        else:
            out.append(c)
            i += 1
    return "".join(out).strip()


@v_args(meta=True)
class _ToAst(Transformer):
    def __init__(self, file: str):
        super().__init__()
        self.file = file

    def _span(self, meta) -> Span:
        if getattr(meta, "empty", True):
            return Span(self.file, 1, 1, 1, 2)
        return Span(self.file, meta.line, meta.column, meta.end_line, meta.end_column)

    # ---- top level ----
    def start(self, meta, ch):
        return tuple(ch)

    def mechanism(self, meta, ch):
        kind, name, doc, *items = ch
        return ast.Mechanism(
            str(name), _unescape(str(doc)) if doc is not None else None, tuple(items), str(kind),
            span=self._span(meta),
        )

    def decide(self, meta, ch):
        return ast.Decide(tuple(ch), span=self._span(meta))

    def decision(self, meta, ch):
        name, agent, index_set, kind, lo, hi = ch
        return ast.Decision(str(name), str(agent), lo, hi, index_set, kind == "int", span=self._span(meta))

    def real_kind(self, meta, ch):
        return "real"

    def int_kind(self, meta, ch):
        return "int"

    def strategy(self, meta, ch):
        return ast.Strategy(str(ch[0]), str(ch[1]), ch[2], span=self._span(meta))

    def table(self, meta, ch):
        name, *rows = ch
        rows = tuple(r for r in rows if r is not None)
        return ast.Definition(str(name), (), None, ast.Table(rows, span=self._span(meta)), span=self._span(meta))

    def table_row(self, meta, ch):
        return tuple(ch)

    def table_cell(self, meta, ch):
        return tuple(ch[0])

    def leader(self, meta, ch):
        return ast.Leader(str(ch[0]), span=self._span(meta))

    def moves(self, meta, ch):
        return ast.Moves(tuple(str(c) for c in ch), span=self._span(meta))

    def implement(self, meta, ch):
        return ast.Implement(str(ch[0]), span=self._span(meta))

    def subject_to(self, meta, ch):
        return ast.Require(tuple(ch), span=self._span(meta))

    def maximize(self, meta, ch):
        expect, body = ch
        return ast.Objective("maximize", expect is not None, body, span=self._span(meta))

    def minimize(self, meta, ch):
        expect, body = ch
        return ast.Objective("minimize", expect is not None, body, span=self._span(meta))

    # ---- declarations ----
    def param(self, meta, ch):
        name, ptype, default = ch
        return ast.Param(str(name), str(ptype), default, span=self._span(meta))

    def agents(self, meta, ch):
        var, s = ch
        return ast.Agents(str(var), s, span=self._span(meta))

    def setdecl(self, meta, ch):
        name, s = ch
        return ast.SetDecl(str(name), s, span=self._span(meta))

    def typedecl(self, meta, ch):
        name, agent, *rest = ch
        binders = tuple(c for c in rest if isinstance(c, ast.Binder))
        others = [c for c in rest if not isinstance(c, ast.Binder)]
        kind, space, dist = others
        return ast.TypeDecl(
            str(name), str(agent), binders, str(kind) if kind is not None else None, space, dist,
            span=self._span(meta),
        )

    def interval(self, meta, ch):
        return ast.Interval(ch[0], ch[1], span=self._span(meta))

    def interval_open_hi(self, meta, ch):
        return ast.Interval(ch[0], ch[1], False, True, span=self._span(meta))

    def interval_open_lo(self, meta, ch):
        return ast.Interval(ch[0], ch[1], True, False, span=self._span(meta))

    def interval_open(self, meta, ch):
        return ast.Interval(ch[0], ch[1], True, True, span=self._span(meta))

    def dist_named(self, meta, ch):
        name, args = ch
        return ast.DistNamed(str(name), tuple(args or ()), span=self._span(meta))

    def dist_mixture(self, meta, ch):
        weights, texts, parts = zip(*ch, strict=True)
        return ast.DistMixture(weights, parts, texts, span=self._span(meta))

    def mix_term(self, meta, ch):
        (weight, text), name, args = ch
        part = ast.DistNamed(str(name), tuple(args or ()), span=self._span(meta))
        return weight, text, part

    def dist_list(self, meta, ch):
        return ast.DistList(tuple(ch[0]), span=self._span(meta))

    def dist_map(self, meta, ch):
        return ast.DistMap(tuple(ch), span=self._span(meta))

    def pmf_entry(self, meta, ch):
        return (ch[0], ch[1])

    def report(self, meta, ch):
        name, agent, of_type, of_agent = (str(c) for c in ch)
        return ast.Report(name, agent, of_type, of_agent, span=self._span(meta))

    def outcomes(self, meta, ch):
        return ast.Outcomes(str(ch[0]), ch[1], span=self._span(meta))

    def assignments(self, meta, ch):
        items, to, none_opt = ch
        return ast.Assignments(items, to, none_opt is not None, span=self._span(meta))

    def none_opt(self, meta, ch):
        return True

    def definition(self, meta, ch):
        name, index, params, body = ch
        return ast.Definition(
            str(name), tuple(index or ()), tuple(params) if params is not None else None, body,
            span=self._span(meta),
        )

    def param_list(self, meta, ch):
        return tuple(ch)

    def formal(self, meta, ch):
        return ast.Formal(str(ch[0]), ch[1], span=self._span(meta))

    def require(self, meta, ch):
        return ast.Require(tuple(ch), span=self._span(meta))

    def prop(self, meta, ch):
        return ast.Prop(str(ch[0]), tuple(ch[1] or ()), span=self._span(meta))

    def measure(self, meta, ch):
        name, expect, body = ch
        return ast.Measure(str(name), expect is not None, body, span=self._span(meta))

    def feasible(self, meta, ch):
        return ast.Feasible(ch[0], span=self._span(meta))

    # ---- sets ----
    def range(self, meta, ch):
        return ast.RangeSet(ch[0], ch[1], span=self._span(meta))

    def symbols(self, meta, ch):
        return ast.SymbolSet(
            tuple(str(c) for c in ch), tuple(_tok_span(self.file, c) for c in ch), span=self._span(meta)
        )

    def numbers(self, meta, ch):
        return ast.NumberSet(tuple(v for v, _ in ch), tuple(t for _, t in ch), span=self._span(meta))

    def signed_number(self, meta, ch):
        sign, num, den = ch
        value = literal(str(num), _tok_span(self.file, num))
        text = ("-" if sign is not None else "") + str(num) + (f"/{den}" if den is not None else "")
        if den is not None:
            d = literal(str(den), _tok_span(self.file, den))
            if d == 0:
                raise SpecError(self._span(meta), "division by zero in a number literal")
            value = value / d
            if abs(value) > Fraction(sys.float_info.max):
                raise SpecError(self._span(meta), f"number {_short(text)} is too large: beyond the largest double "
                                                  "(about 1.8e308)")
        return (-value if sign is not None else value), text

    def neg_sign(self, meta, ch):
        return True

    def setname(self, meta, ch):
        return ast.SetName(str(ch[0]), span=self._span(meta))

    # ---- expressions ----
    def exprs(self, meta, ch):
        return tuple(ch)

    def ifelse(self, meta, ch):
        return ast.IfElse(ch[0], ch[1], ch[2], span=self._span(meta))

    def or_(self, meta, ch):
        return ast.BoolOp("or", ch[0], ch[1], span=self._span(meta))

    def and_(self, meta, ch):
        return ast.BoolOp("and", ch[0], ch[1], span=self._span(meta))

    def not_(self, meta, ch):
        return ast.Not(ch[0], span=self._span(meta))

    def compare(self, meta, ch):
        return ast.Compare(str(ch[1]), ch[0], ch[2], span=self._span(meta))

    def binop(self, meta, ch):
        return ast.BinOp(str(ch[1]), ch[0], ch[2], span=self._span(meta))

    def neg(self, meta, ch):
        return ast.Neg(ch[0], span=self._span(meta))

    def pow(self, meta, ch):
        return ast.BinOp("^", ch[0], ch[1], span=self._span(meta))

    def number(self, meta, ch):
        return ast.Num(literal(str(ch[0]), self._span(meta)), str(ch[0]), span=self._span(meta))

    def true(self, meta, ch):
        return ast.Bool(True, span=self._span(meta))

    def false(self, meta, ch):
        return ast.Bool(False, span=self._span(meta))

    def none(self, meta, ch):
        return ast.NoneLit(span=self._span(meta))

    def name(self, meta, ch):
        return ast.Name(str(ch[0]), span=self._span(meta))

    def index(self, meta, ch):
        return ast.Index(str(ch[0]), tuple(ch[1]), _tok_span(self.file, ch[0]), span=self._span(meta))

    def icall(self, meta, ch):
        return ast.Call(str(ch[0]), tuple(ch[1]), tuple(ch[2]), _tok_span(self.file, ch[0]), span=self._span(meta))

    def call(self, meta, ch):
        return ast.Call(str(ch[0]), (), tuple(ch[1]), _tok_span(self.file, ch[0]), span=self._span(meta))

    def binder(self, meta, ch):
        return ast.Binder(str(ch[0]), ch[1], span=self._span(meta))

    def aggregate(self, meta, ch):
        op = ch[0]
        binders = tuple(c for c in ch[1:] if isinstance(c, ast.Binder))
        rest = [c for c in ch[1 + len(binders):]]
        where_tok, where, *args = rest
        body = default = None
        for kind, value in args:
            if kind == "default":
                default = value
            elif body is None:
                body = value
            else:
                raise SpecError(value.span, f"{op}(...) takes one body expression", "remove the extra argument")
        return ast.Aggregate(str(op), binders, where, body, default, _tok_span(self.file, op), span=self._span(meta))

    def agg_body(self, meta, ch):
        return ("body", ch[0])

    def agg_default(self, meta, ch):
        return ("default", ch[0])


# Readable names for the grammar's terminals in "expected ..." messages.
_PRETTY = {
    "NAME": "a name", "NUMBER": "a number", "STRING": "a docstring", "CMP": "a comparison",
    "ADDOP": "'+' or '-'", "MULOP": "'*' or '/'", "PTYPE": "'int', 'real' or 'bool'",
    "TYPEKIND": "'real' or 'int'", "EXPECT": "'expect'", "WHERE": "'where'", "$END": "end of file",
}


def _pretty_expected(expected: set[str]) -> str:
    parser = _parser()
    names = []
    for term in sorted(expected):
        if term in _PRETTY:
            names.append(_PRETTY[term])
            continue
        try:
            pat = parser.get_terminal(term).pattern
            names.append(f"'{pat.value}'" if pat.type == "str" else term)
        except KeyError:
            names.append(term)
    # closing brackets and separators first: they are what a user most often left out
    first = ("'}'", "')'", "']'", "','")
    names = sorted(set(names), key=lambda x: (first.index(x) if x in first else len(first), x))
    if len(names) > 8:
        names = names[:8] + ["..."]
    return ", ".join(names)


def _syntax_error(e: UnexpectedInput, file: str, text: str) -> SpecError:
    line, col = max(1, getattr(e, "line", 1) or 1), max(1, getattr(e, "column", 1) or 1)
    hint = None
    if isinstance(e, UnexpectedToken) and e.token.type != "$END":
        tok = e.token
        span = Span(file, tok.line, tok.column, tok.end_line or tok.line, tok.end_column or tok.column + 1)
        shown = str(tok)
        msg = f"unexpected '{shown}'; expected {_pretty_expected(e.expected)}"
        if shown == "=" and "CMP" in e.expected:
            hint = "use '==' to compare; '=' only introduces a definition"
        elif tok.type == "NAME" and shown in {"if", "then", "else"}:
            hint = "wrap the if-expression in parentheses when it is an operand"
        elif shown == ".." :
            hint = "ranges are written lo..hi with integer bounds, e.g. 1..n"
    elif isinstance(e, UnexpectedCharacters):
        lines = source_lines(text)
        ch = lines[line - 1][col - 1] if line - 1 < len(lines) and col - 1 < len(lines[line - 1]) else "?"
        span = Span(file, line, col, line, col + 1)
        msg = f"unexpected character '{ch}'" if ch.isprintable() else f"unexpected character U+{ord(ch):04X}"
        if ch == "'":
            hint = "docstrings use double quotes"
    else:  # UnexpectedEOF or an UnexpectedToken at end of input
        lines = source_lines(text.removesuffix("\n"))
        line, col = len(lines), len(lines[-1]) + 1
        span = Span(file, line, max(1, col - 1), line, col)
        expected = getattr(e, "expected", None) or []
        msg = "unexpected end of file" + (f"; expected {_pretty_expected(set(expected))}" if expected else "")
        if "RBRACE" in expected:
            hint = "a mechanism block must end with '}'"
    return SpecError(span, f"syntax error: {msg}", hint)


def _check_depth(tree: Tree, file: str) -> None:
    """Refuse a syntax tree deeper than MAX_NESTING (500 nested ifs, a 500-term sum) with a located
    error, measured without recursion, before any recursive pass sees it."""
    stack = [(tree, 1, None)]
    while stack:
        node, depth, where = stack.pop()
        if not isinstance(node, Tree):
            continue
        if not getattr(node.meta, "empty", True):
            where = node.meta
        if depth > MAX_NESTING:
            span = (Span(file, where.line, where.column, where.end_line, where.end_column) if where is not None
                    else Span(file, 1, 1, 1, 2))
            raise SpecErrors([SpecError(span, f"expression nested more than {MAX_NESTING} levels deep",
                                        "name the inner parts as definitions (y = ...; z = ... y ...), or "
                                        "write a long sum as sum(k in 1..m, ...)")])
        stack.extend((c, depth + 1, where) for c in node.children)


def _lexes(text: str) -> bool:
    try:
        for _ in _parser().lex(text):
            pass
        return True
    except UnexpectedInput:
        return False


def parse(text: str, file: str = "<string>") -> ast.Spec:
    """Parse .mech text into an AST. Raises SpecErrors (never a lark exception)."""
    # a size limit, not an invalid spec: exit 3 like every other limit
    refuse_if(len(text.encode("utf-8", errors="replace")), MAX_SOURCE_BYTES, f"{file}: bytes in the spec:",
              "a smaller spec (split it into several files)")
    if _lexes(text) and next(iter(_parser().lex(text)), None) is None:
        raise SpecErrors([SpecError(Span(file, 1, 1, 1, 2), "the file contains no mechanism",
                                    "a spec starts with 'mechanism Name {'")])
    try:
        tree = _parser().parse(text)
    except (UnexpectedToken, UnexpectedCharacters, UnexpectedEOF) as e:
        raise SpecErrors([_syntax_error(e, file, text)]) from None
    _check_depth(tree, file)
    try:
        mechs = _ToAst(file).transform(tree)
    except VisitError as e:
        if isinstance(e.orig_exc, SpecError):
            raise SpecErrors([e.orig_exc]) from None
        raise
    lines = source_lines(text.removesuffix("\n"))
    return ast.Spec(file, mechs, span=Span(file, 1, 1, len(lines), len(lines[-1]) + 1))
