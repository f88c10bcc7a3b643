"""``mechc fmt``: print a spec in canonical form, keeping its comments.

One printer method per AST node (``_f_<Class>``), minimal parentheses from one precedence table,
one item per line, two-space indentation, a single blank line where the source had one or more.
Comments are kept: a comment on its own line stays before the item that follows it, a comment at
the end of a line stays at the end of that item's line. parse(format(s)) has the same AST as
parse(s), and formatting is idempotent (both tested over every spec and grammar-generated input).
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

from . import ast
from .errors import SpecErrors
from .parse import _syntax_error, _ToAst, lalr_parser

# binding strength; an operand weaker than its context is parenthesised
PREC = {"if": 0, "or": 1, "and": 2, "not": 3, "cmp": 4, "+": 5, "-": 5, "*": 6, "/": 6, "neg": 7, "^": 8,
        "atom": 9}


@dataclass
class Comment:
    line: int
    col: int
    text: str


@functools.cache
def _parser_with_comments():
    comments: list = []
    parser = lalr_parser(lexer_callbacks={"COMMENT": comments.append})
    return parser, comments


def parse_with_comments(text: str, file: str = "<string>") -> tuple[ast.Spec, list[Comment]]:
    from lark.exceptions import UnexpectedInput

    parser, sink = _parser_with_comments()
    sink.clear()
    try:
        tree = parser.parse(text)
    except UnexpectedInput as e:
        raise SpecErrors([_syntax_error(e, file, text)]) from None
    comments = [Comment(t.line, t.column, str(t).rstrip()) for t in sink]
    mechs = _ToAst(file).transform(tree)
    return ast.Spec(file, mechs, span=mechs[0].span if mechs else None), comments


class Formatter:
    def __init__(self, comments: list[Comment], source_lines: list[str]):
        self.comments = sorted(comments, key=lambda c: (c.line, c.col))
        self.lines = source_lines

    # ---- comments
    def _take(self, pred) -> list[Comment]:
        taken = [c for c in self.comments if pred(c)]
        self.comments = [c for c in self.comments if not pred(c)]
        return taken

    def _own_line(self, c: Comment) -> bool:
        return not self.lines[c.line - 1][: c.col - 1].strip()

    # ---- top level
    def spec(self, spec: ast.Spec) -> str:
        out: list[str] = []
        for m in spec.mechanisms:
            for c in self._take(lambda c, m=m: c.line < m.span.line):
                out.append(c.text)
            out.extend(self.mechanism(m))
            out.append("")
        for c in self.comments:
            out.append(c.text)
        while out and out[-1] == "":
            out.pop()
        return "\n".join(out) + "\n"

    def mechanism(self, m: ast.Mechanism) -> list[str]:
        self.kind = m.kind
        head = f"{m.kind} {m.name} {{"
        trailing = self._take(lambda c: c.line == m.span.line and not self._own_line(c))
        out = [head + (f"  {trailing[0].text}" if trailing else "")]
        if m.doc is not None:
            doc = m.doc.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")
            out.append(f'  "{doc}"')
        prev_end = None
        for item in m.items:
            leading = self._take(lambda c, item=item: c.line < item.span.line and self._own_line(c))
            start = min([item.span.line] + [c.line for c in leading])
            if prev_end is not None and any(not self.lines[k - 1].strip() for k in range(prev_end + 1, start)):
                out.append("")
            out.extend("  " + c.text for c in leading)
            text = self.item(item)
            end = item.span.end_line
            trailing = self._take(lambda c, item=item, end=end: item.span.line <= c.line <= end)
            out.append("  " + text + "".join(f"  {c.text}" for c in trailing))
            prev_end = max([end] + [c.line for c in trailing])
        rest = self._take(lambda c: c.line <= m.span.end_line)
        out.extend("  " + c.text for c in rest)
        out.append("}")
        return out

    # ---- items
    def item(self, it) -> str:
        return getattr(self, "_f_" + type(it).__name__)(it)

    def _f_Param(self, p: ast.Param) -> str:
        return f"param {p.name}: {p.ptype}" + (f" = {self.expr(p.default)}" if p.default is not None else "")

    def _f_Agents(self, a: ast.Agents) -> str:
        return f"agents {a.var} in {self.set(a.set)}"

    def _f_SetDecl(self, s: ast.SetDecl) -> str:
        return f"set {s.name} = {self.set(s.set)}"

    def _f_TypeDecl(self, t: ast.TypeDecl) -> str:
        idx = ", ".join([t.agent] + [f"{b.var} in {self.set(b.set)}" for b in t.items])
        space = self.interval(t.space) if isinstance(t.space, ast.Interval) else self.set(t.space)
        kind = f": {t.kind} in" if t.kind else " in"
        dist = f" ~ {self.dist(t.dist)}" if t.dist is not None else ""
        return f"type {t.name}[{idx}]{kind} {space}{dist}"

    def interval(self, iv: ast.Interval) -> str:
        return (("(" if iv.lo_open else "[") + f"{self.expr(iv.lo, 5)}, {self.expr(iv.hi, 5)}"
                + (")" if iv.hi_open else "]"))

    def dist(self, d) -> str:
        if isinstance(d, ast.DistNamed):
            return d.name + (f"({', '.join(self.expr(a) for a in d.args)})" if d.args else "")
        if isinstance(d, ast.DistMixture):
            texts = d.texts or tuple(str(w) for w in d.weights)
            return " + ".join(f"{w} {self.dist(c)}" for w, c in zip(texts, d.components, strict=True))
        if isinstance(d, ast.DistList):
            return "[" + ", ".join(self.expr(p) for p in d.probs) + "]"
        return "{" + ", ".join(f"{self.expr(k, 5)}: {self.expr(v, 5)}" for k, v in d.entries) + "}"

    def _f_Report(self, r: ast.Report) -> str:
        return f"report {r.name}[{r.agent}] of {r.of_type}[{r.of_agent}]"

    def _f_Outcomes(self, o: ast.Outcomes) -> str:
        return f"outcomes {o.name} = {self.set(o.set)}"

    def _f_Definition(self, d: ast.Definition) -> str:
        if isinstance(d.body, ast.Table):
            return self.table(d.name, d.body)
        idx = f"[{', '.join(self.formal(f) for f in d.index)}]" if d.index else ""
        par = f"({', '.join(self.formal(f) for f in d.params)})" if d.params is not None else ""
        return f"{d.name}{idx}{par} = {self.expr(d.body)}"

    def formal(self, f: ast.Formal) -> str:
        return f.name + (f" in {self.set(f.set)}" if f.set is not None else "")

    def _f_Decide(self, d: ast.Decide) -> str:
        parts = []
        for x in d.decisions:
            rng = f" in [{self.expr(x.lo, 5)}, {self.expr(x.hi, 5)}]" if x.lo is not None else ""
            idx = x.agent + (f" in {self.set(x.index_set)}" if x.index_set is not None else "")
            parts.append(f"{x.name}[{idx}]: {'int' if x.integer else 'real'}{rng}")
        return "decide " + ", ".join(parts)

    def _f_Strategy(self, st: ast.Strategy) -> str:
        if isinstance(st.set, ast.Interval):
            return f"strategy {st.name}[{st.agent}] in {self.interval(st.set)}"
        return f"strategy {st.name}[{st.agent}] in {self.set(st.set)}"

    def _f_Leader(self, ld: ast.Leader) -> str:
        return f"leader {ld.player}"

    def _f_Moves(self, mv: ast.Moves) -> str:
        return "moves " + " then ".join(mv.players)

    def table(self, name: str, t: ast.Table) -> str:
        """One table row per line, cells aligned in columns."""
        cells = [["(" + ", ".join(self.expr(x) for x in c) + ")" for c in row] for row in t.rows]
        width = [max(len(r[k]) for r in cells if k < len(r)) for k in range(max(map(len, cells)))]
        lines = [" ".join(c.ljust(width[k]) for k, c in enumerate(r)).rstrip() for r in cells]
        head = f"{name} = ["
        return (";\n" + "  " + " " * len(head)).join(lines).join([head, "]"])

    def _f_Implement(self, i: ast.Implement) -> str:
        return f"implement {i.action}"

    def _f_Objective(self, o: ast.Objective) -> str:
        return f"{o.sense} " + ("expect " if o.expect else "") + self.expr(o.body)

    def _f_Require(self, r: ast.Require) -> str:
        keyword = "subject to " if getattr(self, "kind", "mechanism") == "design" else "require "
        return keyword + ", ".join(p.name + (f"({', '.join(self.expr(a) for a in p.args)})" if p.args else "")
                                      for p in r.props)

    def _f_Measure(self, m: ast.Measure) -> str:
        return f"measure {m.name} = " + ("expect " if m.expect else "") + self.expr(m.body)

    def _f_Feasible(self, f: ast.Feasible) -> str:
        return f"feasible {self.expr(f.expr)}"

    # ---- sets
    def set(self, s) -> str:
        if isinstance(s, ast.RangeSet):
            return f"{self.expr(s.lo, 5)}..{self.expr(s.hi, 5)}"
        if isinstance(s, ast.SymbolSet):
            return "{" + ", ".join(s.names) + "}"
        if isinstance(s, ast.NumberSet):
            texts = s.texts or tuple(str(v) for v in s.values)
            return "{" + ", ".join(texts) + "}"
        if isinstance(s, ast.SetName):
            return s.name
        if isinstance(s, ast.Assignments):
            return f"assignments({self.set(s.items)}, {self.set(s.to)}{' or none' if s.allow_none else ''})"
        raise AssertionError(s)

    # ---- expressions
    def expr(self, e, need: int = 0) -> str:
        text, prec = getattr(self, "_e_" + type(e).__name__)(e)
        return f"({text})" if prec < need else text

    def _e_Num(self, e):
        return e.text, PREC["atom"]

    def _e_Bool(self, e):
        return ("true" if e.value else "false"), PREC["atom"]

    def _e_NoneLit(self, e):
        return "none", PREC["atom"]

    def _e_Name(self, e):
        return e.name, PREC["atom"]

    def _e_Index(self, e):
        return f"{e.name}[{', '.join(self.expr(a) for a in e.args)}]", PREC["atom"]

    def _e_Call(self, e):
        idx = f"[{', '.join(self.expr(a) for a in e.index)}]" if e.index else ""
        return f"{e.name}{idx}({', '.join(self.expr(a) for a in e.args)})", PREC["atom"]

    def _e_Aggregate(self, e):
        parts = [", ".join(f"{b.var} in {self.set(b.set)}" for b in e.binders)]
        if e.where is not None:
            parts[0] += f" where {self.expr(e.where)}"
        if e.body is not None:
            parts.append(self.expr(e.body))
        if e.default is not None:
            parts.append(f"default {self.expr(e.default)}")
        return f"{e.op}({', '.join(parts)})", PREC["atom"]

    def _e_BinOp(self, e):
        p = PREC[e.op]
        if e.op == "^":
            return f"{self.expr(e.left, PREC['atom'])} ^ {self.expr(e.right, PREC['neg'])}", p
        return f"{self.expr(e.left, p)} {e.op} {self.expr(e.right, p + 1)}", p

    def _e_Neg(self, e):
        return f"-{self.expr(e.operand, PREC['neg'])}", PREC["neg"]

    def _e_Compare(self, e):
        return f"{self.expr(e.left, 5)} {e.op} {self.expr(e.right, 5)}", PREC["cmp"]

    def _e_BoolOp(self, e):
        p = PREC[e.op]

        def side(x, need):
            # `a or (b and c)`: the parentheses are redundant but say what is meant
            if isinstance(x, ast.BoolOp) and x.op != e.op:
                return f"({self.expr(x)})"
            return self.expr(x, need)

        return f"{side(e.left, p)} {e.op} {side(e.right, p + 1)}", p

    def _e_Not(self, e):
        return f"not {self.expr(e.operand, PREC['not'])}", PREC["not"]

    def _e_IfElse(self, e):
        return f"if {self.expr(e.cond)} then {self.expr(e.then)} else {self.expr(e.else_)}", PREC["if"]


def format_text(text: str, file: str = "<string>") -> str:
    """The canonical form of a spec (raises SpecErrors on a syntax error)."""
    spec, comments = parse_with_comments(text, file)
    return Formatter(comments, text.splitlines()).spec(spec)
