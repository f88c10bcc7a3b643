"""The AST: frozen dataclasses, every node with a Span. The contract between front and back ends."""

from __future__ import annotations

from dataclasses import dataclass, field
from fractions import Fraction

from .errors import Span


@dataclass(frozen=True)
class Node:
    span: Span = field(kw_only=True, compare=False, repr=False)


# ---- expressions ----


class Expr(Node):
    pass


@dataclass(frozen=True)
class Num(Expr):
    value: Fraction
    text: str


@dataclass(frozen=True)
class Bool(Expr):
    value: bool


@dataclass(frozen=True)
class NoneLit(Expr):
    pass


@dataclass(frozen=True)
class Name(Expr):
    name: str


@dataclass(frozen=True)
class Index(Expr):
    """``name[a, b]``: a type, report, indexed definition or outcome component."""

    name: str
    args: tuple[Expr, ...]
    name_span: Span = field(compare=False)


@dataclass(frozen=True)
class Call(Expr):
    """``f(a, b)`` (builtin) or ``value[i](o)`` (user function; ``index`` holds ``[i]``)."""

    name: str
    index: tuple[Expr, ...]
    args: tuple[Expr, ...]
    name_span: Span = field(compare=False)


@dataclass(frozen=True)
class Binder(Node):
    var: str
    set: SetExpr


@dataclass(frozen=True)
class Aggregate(Expr):
    """``op(j in S, k in T where cond, body, default d)``."""

    op: str
    binders: tuple[Binder, ...]
    where: Expr | None
    body: Expr | None
    default: Expr | None
    op_span: Span = field(compare=False)


@dataclass(frozen=True)
class BinOp(Expr):
    op: str  # + - * / ^
    left: Expr
    right: Expr


@dataclass(frozen=True)
class Neg(Expr):
    operand: Expr


@dataclass(frozen=True)
class Compare(Expr):
    op: str  # == != < <= > >=
    left: Expr
    right: Expr


@dataclass(frozen=True)
class BoolOp(Expr):
    op: str  # and / or
    left: Expr
    right: Expr


@dataclass(frozen=True)
class Not(Expr):
    operand: Expr


@dataclass(frozen=True)
class IfElse(Expr):
    cond: Expr
    then: Expr
    else_: Expr


# ---- sets ----


class SetExpr(Node):
    pass


@dataclass(frozen=True)
class RangeSet(SetExpr):
    lo: Expr
    hi: Expr


@dataclass(frozen=True)
class SymbolSet(SetExpr):
    names: tuple[str, ...]
    name_spans: tuple[Span, ...] = field(compare=False)


@dataclass(frozen=True)
class NumberSet(SetExpr):
    values: tuple[Fraction, ...]
    texts: tuple[str, ...] = field(default=(), compare=False)  # the literals as written


@dataclass(frozen=True)
class SetName(SetExpr):
    name: str


@dataclass(frozen=True)
class Assignments(SetExpr):
    items: SetExpr
    to: SetExpr
    allow_none: bool


@dataclass(frozen=True)
class Interval(Node):
    """``[lo, hi]``; an end written with a parenthesis is open: ``[0, inf)``, ``(-inf, inf)``."""

    lo: Expr
    hi: Expr
    lo_open: bool = False
    hi_open: bool = False


# ---- distributions ----


class Dist(Node):
    pass


@dataclass(frozen=True)
class DistNamed(Dist):
    name: str
    args: tuple[Expr, ...]


@dataclass(frozen=True)
class DistMixture(Dist):
    """``3/4 uniform(0, 3) + 1/4 exponential(1)``: number-literal weights, named components."""

    weights: tuple[Fraction, ...]
    components: tuple[DistNamed, ...]
    texts: tuple[str, ...] = field(default=(), compare=False)  # the weights as written


@dataclass(frozen=True)
class DistList(Dist):
    probs: tuple[Expr, ...]


@dataclass(frozen=True)
class DistMap(Dist):
    entries: tuple[tuple[Expr, Expr], ...]


# ---- declarations ----


class Item(Node):
    pass


@dataclass(frozen=True)
class Param(Item):
    name: str
    ptype: str  # int | real | bool
    default: Expr | None


@dataclass(frozen=True)
class Agents(Item):
    var: str
    set: SetExpr


@dataclass(frozen=True)
class SetDecl(Item):
    name: str
    set: SetExpr


@dataclass(frozen=True)
class TypeDecl(Item):
    name: str
    agent: str  # the agent index variable, or one agent's name/number for a per-agent space
    items: tuple[Binder, ...]
    kind: str | None  # real | int | None
    space: Interval | SetExpr
    dist: Dist | None


@dataclass(frozen=True)
class Report(Item):
    name: str
    agent: str
    of_type: str
    of_agent: str


@dataclass(frozen=True)
class Outcomes(Item):
    name: str
    set: SetExpr


@dataclass(frozen=True)
class Formal(Node):
    name: str
    set: SetExpr | None


@dataclass(frozen=True)
class Definition(Item):
    name: str
    index: tuple[Formal, ...]
    params: tuple[Formal, ...] | None  # None: not a function
    body: Expr


@dataclass(frozen=True)
class Prop(Node):
    name: str
    args: tuple[Expr, ...]


@dataclass(frozen=True)
class Require(Item):
    props: tuple[Prop, ...]


@dataclass(frozen=True)
class Measure(Item):
    name: str
    expect: bool
    body: Expr


@dataclass(frozen=True)
class Feasible(Item):
    expr: Expr


@dataclass(frozen=True)
class Decision(Node):
    name: str
    agent: str  # the index variable (the agent index in designs; e.g. an outcome in contracts)
    lo: Expr | None
    hi: Expr | None
    index_set: SetExpr | None = None
    integer: bool = False


@dataclass(frozen=True)
class Strategy(Item):
    name: str
    agent: str  # the player index variable, or one player's name or number
    set: SetExpr | Interval


@dataclass(frozen=True)
class Table(Expr):
    """A payoff table: rows of cells, each cell one payoff per player."""

    rows: tuple[tuple[tuple[Expr, ...], ...], ...]


@dataclass(frozen=True)
class Leader(Item):
    player: str


@dataclass(frozen=True)
class Moves(Item):
    """`moves A then B then C`: a sequential game of perfect information, in this order."""

    players: tuple[str, ...]


@dataclass(frozen=True)
class Implement(Item):
    action: str


@dataclass(frozen=True)
class Decide(Item):
    decisions: tuple[Decision, ...]


@dataclass(frozen=True)
class Objective(Item):
    sense: str  # maximize | minimize
    expect: bool
    body: Expr


@dataclass(frozen=True)
class Mechanism(Node):
    name: str
    doc: str | None
    items: tuple[Item, ...]
    kind: str = "mechanism"  # mechanism | design


@dataclass(frozen=True)
class Spec(Node):
    file: str
    mechanisms: tuple[Mechanism, ...]
