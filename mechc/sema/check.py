"""Name resolution, typing and well-formedness of one mechanism, lowered to a Model.

One typed walk per expression: it resolves names, computes the value type and builds the sympy
expression node by node (spec text never reaches sympify/eval). Every problem is collected in an
ErrorSink with its span; the walk goes on with an error type so one mistake is reported once.
"""

from __future__ import annotations

import math
import re
import sys
from dataclasses import dataclass
from fractions import Fraction

import sympy
from sympy.core.symbol import Str
from sympy.functions.elementary.piecewise import ExprCondPair

from .. import ast, runtime
from ..errors import ErrorSink, Span, did_you_mean
from ..limits import MAX_AGGREGATE_TERMS, MAX_POWER_BITS, refuse_if
from ..model.model import (
    NONE_CODE,
    Constraint,
    Definition,
    FiniteSet,
    Measure,
    Model,
    Requirement,
    TypeSpace,
)
from ..model.nodes import (
    BoolDefRef,
    DefRef,
    IndexVar,
    NamedSet,
    NoneConst,
    ParamSymbol,
    RangeSet,
    ReportVal,
    StrategyTable,
    Subscript,
    SymConst,
    TypeVal,
    make_aggregate,
)
from ..model.priors import ALIASES, FAMILIES, Prior, interval_text, problems
from .types import BOOL, ERR, INT, NONE, NUM, VType, comparable_eq, unify

MAX_SET_SIZE = 100_000

BUILTIN_FUNCS = {"abs": 1, "log": 1, "exp": 1, "sqrt": 1, "min": -2, "max": -2, "binomial": 3}
AGGREGATES = {"sum", "prod", "min", "max", "argmax", "argmin", "count", "any", "all", "median"}
KEYWORDS = {"mechanism", "param", "agents", "set", "type", "report", "of", "outcomes", "require", "measure",
            "expect", "feasible", "if", "then", "else", "and", "or", "not", "in", "where", "default", "true",
            "false", "none", "assignments", "int", "real", "bool", "design", "contract", "game", "decide",
            "subject", "to", "maximize", "minimize", "implement", "strategy", "leader", "moves", "inf"}
RESERVED = set(BUILTIN_FUNCS) | AGGREGATES

# property -> (number of arguments, what it needs from the spec)
PROPERTIES: dict[str, tuple[int, str]] = {
    "dsic": (0, "utility"), "bic": (0, "utility"), "eps_dsic": (1, "utility"), "eps_bic": (1, "utility"),
    "ex_post_ir": (0, "utility"), "interim_ir": (0, "utility"),
    "weak_budget_balance": (0, "pay"), "strong_budget_balance": (0, "pay"),
    "no_positive_transfers": (0, "pay"), "efficient": (0, "welfare"), "monotone": (0, "x"),
    "feasible": (0, "constraints"),
}
BUILTIN_METRICS = {"max_regret", "expected_regret", "ic_violation_fraction"}
PROPERTY_ALIASES = {"strategyproof": "dsic", "ir": "ex_post_ir", "ic": "dsic"}
# game blocks: property -> (allowed argument counts, e.g. n for one strategy per player)
GAME_PROPERTIES = {"nash": "one strategy per player", "dominant": "(strategy) or (player, strategy)",
                   "strictly_dominant": "(strategy) or (player, strategy)", "pure_equilibrium": "no arguments",
                   "subgame_perfect": "one strategy per player (needs 'moves')"}


_MAX_DOUBLE = Fraction(sys.float_info.max)

class _Err(Exception):
    """Unwinds one expression after its error has been recorded."""


@dataclass
class Local:
    vtype: VType
    sym: sympy.Basic
    set: FiniteSet | None = None


@dataclass
class DefInfo:
    node: ast.Definition | ast.Decision
    index: list[tuple[str, FiniteSet]]
    params: list[tuple[str, FiniteSet]] | None
    state: str = "new"  # new | visiting | done
    vtype: VType = ERR
    body: sympy.Basic | None = None
    index_syms: tuple = ()
    param_syms: tuple = ()
    deps: frozenset = frozenset()
    type_read: Span | None = None
    bounds: tuple | None = None  # a decision variable: (lo, hi)


def _piecewise(*pairs) -> sympy.Basic:
    """``Piecewise((expr, cond), ...)`` that keeps each condition as written.

    sympy rewrites a condition containing an if-expression (``(if c then A else B) == A``, a
    function call that inlines one, a count written as a sum of ifs) with piecewise_fold into an
    ``ITE``, a node no back end evaluates, and the fold lifts ifs out of aggregates whose bound
    variables their conditions mention. Such pairs are built directly instead; the others take the
    ordinary constructor (and its simplifications)."""
    pairs = [(sympy.sympify(x), sympy.sympify(c)) for x, c in pairs]
    if not any(isinstance(c, sympy.Basic) and c.has(sympy.Piecewise) for _, c in pairs):
        return sympy.Piecewise(*pairs)
    kept = []
    for x, c in pairs:
        if c is sympy.false:
            continue
        kept.append(sympy.Tuple.__new__(ExprCondPair, x, c))
        if c is sympy.true:
            break
    if kept[0].cond is sympy.true:
        return kept[0].expr
    return sympy.Basic.__new__(sympy.Piecewise, *kept)


def _substitute(e: sympy.Basic, mapping: dict) -> sympy.Basic:
    """``e.xreplace(mapping)`` that rebuilds if-expressions with _piecewise (xreplace would refold
    their conditions). The mapping's keys are fresh symbols, so nothing bound is captured."""
    if e in mapping:
        return mapping[e]
    if not e.args:
        return e
    args = [_substitute(a, mapping) for a in e.args]
    if all(x is y for x, y in zip(args, e.args, strict=True)):
        return e
    if isinstance(e, sympy.Piecewise):
        return _piecewise(*((p.args[0], p.args[1]) for p in args))
    if isinstance(e, ExprCondPair):
        return sympy.Tuple.__new__(ExprCondPair, *args)  # rebuilt as a whole by the Piecewise above
    return e.func(*args)


def _count(k: int, word: str) -> str:
    plural = {"index": "indices"}.get(word, word + "s")
    return f"{k} {word if k == 1 else plural}"


def _infinity(e: ast.Expr) -> int:
    """+1 for ``inf``, -1 for ``-inf``, 0 for anything else (an interval end)."""
    if isinstance(e, ast.Name) and e.name == "inf":
        return 1
    if isinstance(e, ast.Neg) and _infinity(e.operand) == 1:
        return -1
    return 0


def _fmt(x) -> str:
    if isinstance(x, Fraction):
        return str(x.numerator) if x.denominator == 1 else f"{x.numerator}/{x.denominator}"
    return str(x)


class Checker:
    def __init__(self, mech: ast.Mechanism, file: str, overrides: dict[str, str] | None = None):
        self.mech = mech
        self.file = file
        self.overrides = dict(overrides or {})
        self.sink = ErrorSink()
        self.globals: dict[str, tuple[str, Span]] = {}  # name -> (kind, where declared)
        self.params: dict[str, tuple[str, object]] = {}
        self.sets: dict[str, FiniteSet] = {}
        self.symbols: dict[str, tuple[int, str]] = {}  # symbol -> (code, set name)
        self.defs: dict[str, DefInfo] = {}
        self.outcomes: dict[str, FiniteSet] = {}
        self.agents: FiniteSet | None = None
        self.agent_var: str | None = None
        self.type_name: str | None = None
        self.type_vtype: VType = NUM
        self.item_set: FiniteSet | None = None
        self.report_name: str | None = None
        self.type_spaces: tuple[TypeSpace, ...] = ()
        self.transcendental = False
        self._var_counts: dict[str, int] = {}
        self._stack: list[str] = []
        self._deps: set[str] | None = None
        self._type_read: Span | None = None
        self.spans: dict = {}
        self.set_defs: dict = {}
        self.generic_space: TypeSpace | None = None

    # ------------------------------------------------------------------ helpers
    def err(self, span: Span | None, msg: str, hint: str | None = None) -> None:
        self.sink.add(span, msg, hint)

    def fail(self, span: Span | None, msg: str, hint: str | None = None):
        self.err(span, msg, hint)
        raise _Err

    def declare(self, name: str, kind: str, span: Span) -> bool:
        if name in KEYWORDS:
            self.err(span, f"'{name}' is a reserved word of the language", "choose another name")
            return False
        if name in RESERVED:
            self.err(span, f"'{name}' is a built-in function and cannot be redefined", "choose another name")
            return False
        if name in self.globals:
            k, first = self.globals[name]
            self.err(span, f"duplicate name '{name}'", f"'{name}' is already declared as a {k} at line {first.line}")
            return False
        self.globals[name] = (kind, span)
        return True

    def fresh(self, name: str) -> IndexVar:
        n = self._var_counts.get(name, 0) + 1
        self._var_counts[name] = n
        return IndexVar(name if n == 1 else f"{name}_{n}")

    def names_in_scope(self, env: dict[str, Local]) -> list[str]:
        return list(env) + list(self.globals)

    def suggest(self, name: str, env: dict[str, Local], pool=None) -> str | None:
        """'did you mean' plus where the suggested name was declared."""
        if name == "inf":
            return "'inf' only stands for an infinite end of a type interval, e.g. [0, inf)"
        hint = did_you_mean(name, self.names_in_scope(env) if pool is None else pool)
        if hint is None:
            return None
        best = hint.split("'")[1]
        if best in self.globals:
            kind, span = self.globals[best]
            hint += f" ({kind} declared at line {span.line})"
        return hint

    # ------------------------------------------------------------------ entry
    def run(self) -> Model:
        items = self.mech.items
        by = {k: [it for it in items if isinstance(it, k)] for k in (
            ast.Param, ast.SetDecl, ast.Agents, ast.TypeDecl, ast.Report, ast.Outcomes,
            ast.Definition, ast.Require, ast.Measure, ast.Feasible, ast.Decide, ast.Objective, ast.Implement,
            ast.Strategy, ast.Leader, ast.Moves)}
        for p in by[ast.Param]:
            self.check_param(p)
        unknown = sorted(set(self.overrides) - set(self.params))
        for name in unknown:
            self.err(self.mech.span, f"unknown parameter '{name}' in --param {name}={self.overrides[name]}",
                     did_you_mean(name, self.params) or (
                         "the spec declares: " + ", ".join(self.params) if self.params else "the spec declares no parameters"))
        for s in by[ast.SetDecl]:
            if self.declare(s.name, "set", s.span):
                fs = self.resolve_set(s.set, s.name)
                if fs is not None:
                    self.sets[s.name] = fs
        self.check_agents(by[ast.Agents])
        for o in by[ast.Outcomes]:
            if self.declare(o.name, "outcome set", o.span):
                fs = self.resolve_set(o.set, o.name)
                if fs is not None:
                    self.outcomes[o.name] = fs
                    self.sets[o.name] = fs
        if self.mech.kind == "game":
            self.check_strategies(by[ast.Strategy])
        else:
            for st in by[ast.Strategy]:
                self.err(st.span, "'strategy' belongs in a game block", f"write 'game {self.mech.name} {{ ... }}'")
            self.check_types(by[ast.TypeDecl])
            self.check_report(by[ast.Report])
        self.check_design_items(by[ast.Decide], by[ast.Objective])
        for d in by[ast.Definition]:
            self.register_def(d)
        for name in self.defs:
            self.lower_def(name)
        if self.mech.kind == "game" and self.agents is not None and not {"payoff", "cost"} & set(self.defs):
            self.err(self.mech.span, f"game {self.mech.name} defines no payoffs",
                     "add payoff[i] = ... (or cost[i] = ..., minimised), or a table payoff = [(3, 2) (0, 0); ...]")
        self.check_conventions()
        requirements = self.check_requirements(by[ast.Require])
        measures = self.check_measures(by[ast.Measure])
        implement = self.check_implement(by[ast.Implement])
        leader = self.check_leader(by[ast.Leader])
        moves = self.check_moves(by[ast.Moves], leader)
        objective = self.check_objective(by[ast.Objective], implement)
        constraints = self.check_constraints(by[ast.Feasible])
        self.check_purity(constraints)
        utility, uvar = self.derive_utility(requirements)
        welfare = self.derive_welfare(requirements)
        self.sink.raise_if_any()
        return Model(
            name=self.mech.name, doc=self.mech.doc, file=self.file, params=self.params,
            symbols={k: v[0] for k, v in self.symbols.items()}, sets=self.sets, agents=self.agents,
            agent_var=self.agent_var, type_name=self.type_name, report_name=self.report_name,
            type_spaces=self.type_spaces,
            defs={n: Definition(n, d.index_syms, tuple(s for _, s in d.index), d.body, d.vtype,
                                self.reads_types(n), d.node.span, d.bounds)
                  for n, d in self.defs.items() if d.params is None and (d.body is not None or d.bounds is not None)},
            kind=self.mech.kind, objective=objective,
            utility=utility, utility_var=uvar, requirements=tuple(requirements), measures=tuple(measures),
            constraints=tuple(constraints), outcomes=self.outcomes, welfare=welfare,
            transcendental=self.transcendental, span=self.mech.span,
            extra={"spans": self.spans, "implement": implement, "leader": leader, "moves": moves},
            set_defs=self.set_defs, generic_space=self.generic_space,
        )

    # ------------------------------------------------------------------ constants
    def const(self, e: ast.Expr, what: str) -> Fraction | bool:
        """Evaluate a constant expression (numbers, parameters, arithmetic, min/max/abs)."""
        if isinstance(e, ast.Num):
            return e.value
        if isinstance(e, ast.Bool):
            return e.value
        if isinstance(e, ast.Name) and e.name in self.params:
            v = self.params[e.name][1]
            if v is None:
                raise _Err
            return v
        if isinstance(e, ast.Neg):
            return -self._num(self.const(e.operand, what), e)
        if isinstance(e, ast.BinOp):
            a = self._num(self.const(e.left, what), e.left)
            b = self._num(self.const(e.right, what), e.right)
            if e.op == "+":
                return a + b
            if e.op == "-":
                return a - b
            if e.op == "*":
                return a * b
            if e.op == "/":
                if b == 0:
                    self.fail(e.span, "division by zero in a constant")
                return a / b
            if b.denominator != 1 or abs(b) > 64:
                self.fail(e.span, f"{what}: only small integer powers are allowed in constants")
            return a**int(b)
        if isinstance(e, ast.Call) and e.name in ("min", "max", "abs") and not e.index:
            vals = [self._num(self.const(a, what), a) for a in e.args]
            if e.name == "abs" and len(vals) == 1:
                return abs(vals[0])
            if e.name in ("min", "max") and len(vals) >= 2:
                return min(vals) if e.name == "min" else max(vals)
        hint = None
        if isinstance(e, ast.Name):
            hint = did_you_mean(e.name, self.params) or "only numbers and parameters may appear here"
        self.fail(e.span, f"{what} must be a constant (numbers and parameters only)", hint)

    def _num(self, v, e: ast.Expr) -> Fraction:
        if isinstance(v, bool):
            self.fail(e.span, "expected a number, got a bool")
        return v

    def const_int(self, e: ast.Expr, what: str) -> int:
        v = self._num(self.const(e, what), e)
        if v.denominator != 1:
            self.fail(e.span, f"{what} must be an integer, got {_fmt(v)}")
        return int(v)

    # ------------------------------------------------------------------ params
    def check_param(self, p: ast.Param) -> None:
        if not self.declare(p.name, "parameter", p.span):
            return
        value = None
        if p.name in self.overrides:
            raw = self.overrides[p.name].strip()
            value = self.parse_override(p, raw)
        elif p.default is not None:
            try:
                value = self.const(p.default, f"the default of '{p.name}'")
            except _Err:
                value = None
            if value is not None:
                value = self.coerce_param(p, value, p.default.span)
            if isinstance(value, Fraction) and abs(value) > _MAX_DOUBLE:  # every float path would see inf
                self.err(p.default.span, f"the default of '{p.name}' is beyond double precision (about 1.8e308)",
                         "rescale the spec's numbers")
                value = None
        else:
            self.err(p.span, f"parameter '{p.name}' has no default and no value was given",
                     f"give a default ('param {p.name}: {p.ptype} = ...') or pass --param {p.name}=...")
        self.params[p.name] = (p.ptype, value)

    def parse_override(self, p: ast.Param, raw: str):
        try:
            if p.ptype == "bool":
                if raw not in ("true", "false"):
                    raise ValueError
                return raw == "true"
            if not re.fullmatch(r"[+-]?\d+(\.\d+)?([eE][+-]?\d+)?(/\d+)?", raw):
                raise ValueError
            v = Fraction(raw)
            if p.ptype == "int" and v.denominator != 1:
                raise ValueError
            return v
        except (ValueError, ZeroDivisionError):
            self.err(p.span, f"--param {p.name}={raw}: expected {'an int' if p.ptype == 'int' else 'a ' + p.ptype}",
                     f"'{p.name}' is declared here as {p.ptype}")
            return None

    def coerce_param(self, p: ast.Param, value, span: Span):
        if p.ptype == "bool":
            if not isinstance(value, bool):
                self.err(span, f"parameter '{p.name}' is a bool; its default must be true or false")
                return None
            return value
        if isinstance(value, bool):
            self.err(span, f"parameter '{p.name}' is {p.ptype}; its default is a bool")
            return None
        if p.ptype == "int" and value.denominator != 1:
            self.err(span, f"parameter '{p.name}' is an int; its default {_fmt(value)} is not an integer",
                     f"declare it 'param {p.name}: real'")
            return None
        return value

    # ------------------------------------------------------------------ sets
    def resolve_set(self, s: ast.SetExpr, name: str | None = None) -> FiniteSet | None:
        try:
            return self._resolve_set(s, name)
        except _Err:
            return None

    def _resolve_set(self, s: ast.SetExpr, name: str | None) -> FiniteSet:
        if isinstance(s, ast.RangeSet):
            lo = self.const_int(s.lo, "a range bound")
            hi = self.const_int(s.hi, "a range bound")
            if hi < lo:
                self.fail(s.span, f"empty range {lo}..{hi}", "a range lo..hi needs lo <= hi")
            if hi - lo + 1 > MAX_SET_SIZE:
                self.fail(s.span, f"range {lo}..{hi} has {hi - lo + 1} elements; the limit is {MAX_SET_SIZE}")
            els = tuple(range(lo, hi + 1))
            lo_s, hi_s = self.lx(s.lo, {})[1], self.lx(s.hi, {})[1]
            fs = FiniteSet(name or f"{lo_s}..{hi_s}".replace(" ", ""), "int", els, els)
            self.set_defs.setdefault(fs.name, ("range", lo_s, hi_s))
            return fs
        if isinstance(s, ast.SymbolSet):
            set_name = name or "{" + ", ".join(s.names) + "}"
            owners = {self.symbols[x][1] for x in s.names if x in self.symbols}
            if name is None and len(owners) == 1 and all(x in self.symbols for x in s.names) \
                    and set_name not in owners:
                # an inline reordering or subset of a declared set: same elements, same type
                if len(set(s.names)) != len(s.names):
                    self.fail(s.span, "a symbol appears twice in this set")
                self.set_defs.setdefault(set_name, ("symbols", tuple(s.names)))
                return FiniteSet(set_name, "sym", tuple(s.names), tuple(self.symbols[x][0] for x in s.names),
                                 key=owners.pop())
            codes = []
            for sym, sp in zip(s.names, s.name_spans, strict=True):
                if sym in self.symbols and self.symbols[sym][1] == set_name and set_name == name:
                    self.fail(sp, f"'{sym}' appears twice in this set")
                if sym in self.symbols and self.symbols[sym][1] != set_name:
                    self.fail(sp, f"symbol '{sym}' already belongs to set {self.symbols[sym][1]}",
                              "a symbol can belong to one set only; name the set once and reuse it")
                if sym not in self.symbols:
                    if sym in self.globals or sym in RESERVED:
                        self.fail(sp, f"symbol '{sym}' clashes with a name declared elsewhere")
                    self.symbols[sym] = (len(self.symbols) + 1, set_name)
                codes.append(self.symbols[sym][0])
            if len(set(codes)) != len(codes):
                self.fail(s.span, "a symbol appears twice in this set")
            self.set_defs.setdefault(set_name, ("symbols", tuple(s.names)))
            return FiniteSet(set_name, "sym", tuple(s.names), tuple(codes))
        if isinstance(s, ast.NumberSet):
            if len(set(s.values)) != len(s.values):
                self.fail(s.span, "a number appears twice in this set")
            fs = FiniteSet(name or "{" + ", ".join(_fmt(v) for v in s.values) + "}", "num", s.values, s.values)
            self.set_defs.setdefault(fs.name, ("numbers", s.values))
            return fs
        if isinstance(s, ast.SetName):
            if s.name in self.sets:
                if name is not None and name != s.name:  # `set B = A`: an alias
                    self.set_defs.setdefault(name, ("alias", s.name))
                return self.sets[s.name]
            if self.agents is not None and s.name == self.agents.name:
                return self.agents
            self.fail(s.span, f"unknown set '{s.name}'", did_you_mean(s.name, self.sets) or
                      "declare it with 'set Name = {...}' before using it")
        if isinstance(s, ast.Assignments):
            items = self._resolve_set(s.items, None)
            to = self._resolve_set(s.to, None)
            if items.kind == "outcome" or to.kind in ("outcome", "num"):
                self.fail(s.span, "assignments(items, recipients) needs finite sets of symbols or integers")
            opts = list(to.codes) + ([NONE_CODE] if s.allow_none else [])
            size = len(opts) ** len(items)
            if size > MAX_SET_SIZE:
                self.fail(s.span, f"assignments has {size} outcomes; the limit is {MAX_SET_SIZE}")
            els = tuple(runtime.assignments(items.codes, to.codes, s.allow_none))
            fs = FiniteSet(name or f"assignments({items.name}, {to.name})", "outcome", els, tuple(range(len(els))),
                           items=items, to=to, allow_none=s.allow_none)
            self.set_defs.setdefault(fs.name, ("assignments", items.name, to.name, s.allow_none))
            return fs
        raise AssertionError(s)

    def elem_type(self, fs: FiniteSet) -> VType:
        return {"int": INT, "num": NUM}.get(fs.kind) or VType("elem" if fs.kind == "sym" else "outcome",
                                                               fs.key or fs.name)

    # ------------------------------------------------------------------ agents, types, reports
    def check_agents(self, decls: list[ast.Agents]) -> None:
        if not decls and self.mech.kind == "contract":
            return  # a contract's agent is implicit: it chooses an action, it reports nothing
        if not decls:
            self.err(self.mech.span, f"mechanism {self.mech.name} declares no agents",
                     "add a line such as 'agents i in 1..n'")
            return
        for extra in decls[1:]:
            self.err(extra.span, "agents are declared twice", f"first declared at line {decls[0].span.line}")
        d = decls[0]
        fs = self.resolve_set(d.set, None)
        if fs is None:
            return
        if fs.kind not in ("int", "sym"):
            self.err(d.set.span, "agents must be a range (1..n) or a set of names ({Buyer, Seller})")
            return
        if d.var in self.globals:
            self.err(d.span, f"agent index '{d.var}' clashes with a name declared elsewhere")
        self.agents = fs
        self.agent_var = d.var

    def check_types(self, decls: list[ast.TypeDecl]) -> None:
        if not decls and self.mech.kind == "contract":
            return
        if not decls:
            self.err(self.mech.span, "no private types declared",
                     "add e.g. 'type v[i]: real in [0, 1] ~ uniform'")
            return
        name = decls[0].name
        if not self.declare(name, "type", decls[0].span):
            return
        self.type_name = name
        if self.agents is None:
            return
        items_seen = None

        def build(d: ast.TypeDecl) -> TypeSpace:
            nonlocal items_seen
            if d.name != name:
                self.err(d.span, f"a second private type '{d.name}' (the first is '{name}')",
                         f"one type per agent is supported; make it a vector: 'type {name}[i, k in Items] ...'")
                raise _Err
            ts = self.type_space(d)
            items = tuple(b.var for b in d.items)
            if items_seen is not None and items != items_seen:
                self.err(d.span, f"all declarations of '{name}' must have the same item indices")
            items_seen = items
            return ts

        got = self.per_agent(decls, name, build, ("agent", "the type of agent {} is", "type space"))
        if got is None:
            return
        spaces, self.generic_space = got
        kinds = {("sym", s.symbolic and s.labels and self.symbols.get(s.labels[0], (0, ""))[1])
                 if s.symbolic else "num" for s in spaces}
        if len(kinds) > 1:
            self.err(decls[0].span, "agents' type spaces mix numbers and symbols")
            return
        self.type_spaces = tuple(spaces)
        s0 = spaces[0]
        if s0.symbolic:
            self.type_vtype = VType("elem", self.symbols[s0.labels[0]][1])
        elif all(not s.continuous and all(Fraction(v).denominator == 1 for v in s.values) for s in spaces):
            self.type_vtype = INT
        else:
            self.type_vtype = NUM
        self.item_set = s0.items

    def type_space(self, d: ast.TypeDecl) -> TypeSpace:
        items = None
        if d.items:
            if len(d.items) > 1:
                self.fail(d.items[1].span, "vector types have one item index", "use one item set, e.g. k in Items")
            items = self._resolve_set(d.items[0].set, None)
            if items.kind not in ("sym", "int"):
                self.fail(d.items[0].set.span, "the item index must range over symbols or integers")
        if isinstance(d.space, ast.Interval):
            if d.kind == "int":
                self.fail(d.space.span, "an int type ranges over a set, not an interval",
                          "write 'int in lo..hi' or 'real in [lo, hi]'")
            lo, hi = self.interval_ends(d.space)
            prior = self.continuous_prior(d, lo, hi)
            return TypeSpace("interval", lo=lo, hi=hi, dist=prior.name, dist_args=prior.args, items=items,
                             span=d.span, prior=prior)
        if d.kind == "real" and not isinstance(d.space, ast.NumberSet | ast.RangeSet):
            self.fail(d.space.span, "'real in' takes an interval [lo, hi] or a set of numbers")
        fs = self._resolve_set(d.space, None)
        if fs.kind == "outcome":
            self.fail(d.space.span, "a type space cannot be an outcome set")
        if d.kind == "int" and fs.kind != "int" and not (fs.kind == "num" and all(v.denominator == 1 for v in fs.elements)):
            self.fail(d.space.span, "an int type needs integer values")
        n = len(fs)
        if d.dist is None or isinstance(d.dist, ast.DistNamed) and d.dist.name == "uniform" and not d.dist.args:
            probs = (Fraction(1, n),) * n
        elif isinstance(d.dist, ast.DistList):
            if len(d.dist.probs) != n:
                self.fail(d.dist.span, f"the prior lists {len(d.dist.probs)} probabilities for {n} types")
            probs = tuple(self._num(self.const(p, "a probability"), p) for p in d.dist.probs)
        elif isinstance(d.dist, ast.DistMap):
            probs_d: dict = {}
            for k, p in d.dist.entries:
                key = k.name if isinstance(k, ast.Name) and fs.kind == "sym" else self.const(k, "a type value")
                if key not in fs.elements:
                    self.fail(k.span, f"{_fmt(key)} is not one of the types {'{' + ', '.join(map(_fmt, fs.elements)) + '}'}")
                if key in probs_d:
                    self.fail(k.span, f"{_fmt(key)} is given a probability twice")
                probs_d[key] = self._num(self.const(p, "a probability"), p)
            probs = tuple(probs_d.get(e, Fraction(0)) for e in fs.elements)
        else:
            what = f"'{d.dist.name}' is a continuous distribution" if isinstance(d.dist, ast.DistNamed) \
                else "a mixture is a continuous prior"
            self.fail(d.dist.span, f"{what}; a finite type set takes 'uniform' or a list of probabilities")
        for p in probs:
            if p < 0:
                self.fail(d.dist.span, f"negative probability {_fmt(p)}")
        if sum(probs) != 1:
            self.fail(d.dist.span, f"the prior's probabilities sum to {_fmt(sum(probs))}, not 1",
                      "probabilities are exact rationals: write 1/3, not 0.33")
        sym = fs.kind == "sym"
        return TypeSpace("finite", values=fs.codes if sym else tuple(Fraction(v) for v in fs.elements),
                         probs=probs, symbolic=sym, labels=tuple(_fmt(e) for e in fs.elements),
                         items=items, span=d.span)

    def interval_ends(self, iv: ast.Interval) -> tuple[Fraction | None, Fraction | None]:
        """The constant ends of ``[lo, hi]``; None for an infinite end (``inf``/``-inf``, which must
        be open: ``[0, inf)``). Finite ends are closed."""
        ends = []
        for side, e, open_ in (("lower", iv.lo, iv.lo_open), ("upper", iv.hi, iv.hi_open)):
            sign = _infinity(e)
            if sign:
                if (sign > 0) != (side == "upper"):
                    self.fail(e.span, f"the {side} end of an interval cannot be {'-' if sign < 0 else ''}inf",
                              "write (-inf, hi], [lo, inf) or (-inf, inf)")
                if not open_:
                    self.fail(e.span, f"an infinite end is open: '{'-inf' if sign < 0 else 'inf'}' is closed "
                                      f"with '{'[' if sign < 0 else ']'}'",
                              "an infinite end takes a parenthesis: [lo, inf), (-inf, hi] or (-inf, inf)")
                ends.append(None)
                continue
            v = self._num(self.const(e, "an interval bound"), e)
            if open_:
                self.fail(e.span, f"the finite {side} end {_fmt(v)} is open",
                          f"finite ends are closed: write {f'[{_fmt(v)}, ...' if side == 'lower' else f'..., {_fmt(v)}]'} "
                          "(an end point has probability 0 under a continuous prior, so nothing is lost)")
            ends.append(v)
        lo, hi = ends
        if lo is not None and hi is not None and not lo < hi:
            self.fail(iv.span, f"empty interval [{_fmt(lo)}, {_fmt(hi)}]", "an interval [lo, hi] needs lo < hi")
        return lo, hi

    def continuous_prior(self, d: ast.TypeDecl, lo: Fraction | None, hi: Fraction | None) -> Prior:
        """The declared prior of a real interval: a named distribution or a mixture of them,
        truncated to [lo, hi]; the default is uniform (which needs a bounded interval)."""
        if d.dist is None:
            if lo is None or hi is None:
                self.fail(d.space.span, f"the interval {interval_text(lo, hi)} is unbounded, so it needs a named prior",
                          "the default prior is uniform, which needs bounds; write e.g. '~ exponential(1)' or "
                          "'~ normal(0, 1)'")
            return Prior("uniform", (), lo, hi)
        if isinstance(d.dist, ast.DistNamed):
            return self.named_prior(d.dist, lo, hi)
        if isinstance(d.dist, ast.DistMixture):
            for w, part in zip(d.dist.weights, d.dist.components, strict=True):
                if w <= 0:
                    self.err(part.span, f"mixture weight {_fmt(w)} is not positive", "each weight is a probability > 0")
            total = sum(d.dist.weights, Fraction(0))
            if total != 1:
                self.err(d.dist.span, f"the mixture weights sum to {_fmt(total)}, not 1",
                         "weights are exact rationals: write 1/3, not 0.33")
            parts = []
            for w, part in zip(d.dist.weights, d.dist.components, strict=True):
                try:
                    parts.append((w, self.named_prior(part, lo, hi)))
                except _Err:
                    pass
            if len(parts) < len(d.dist.components) or total != 1 or any(w <= 0 for w in d.dist.weights):
                raise _Err
            return Prior("mixture", (), lo, hi, tuple(parts))
        self.fail(d.dist.span, "a probability list needs a finite type set",
                  "continuous types take a named distribution: " + ", ".join(f.signatures() for f in FAMILIES.values()))

    def named_prior(self, d: ast.DistNamed, lo: Fraction | None, hi: Fraction | None) -> Prior:
        if d.name not in FAMILIES:
            hint = (f"write '{ALIASES[d.name]}': every prior is truncated to the declared interval"
                    if d.name in ALIASES else did_you_mean(d.name, FAMILIES))
            self.fail(d.span, f"unknown distribution '{d.name}'",
                      hint or "known: " + ", ".join(f.signatures() for f in FAMILIES.values()))
        args = tuple(self._num(self.const(a, "a distribution parameter"), a) for a in d.args)
        found = problems(d.name, args, lo, hi)
        for p in found:
            self.err(d.args[p.arg].span if p.arg is not None else d.span, p.message, p.hint)
        if found:
            raise _Err
        return Prior(d.name, args, lo, hi)

    def check_strategies(self, decls: list[ast.Strategy]) -> None:
        """game blocks: `strategy s[i] in SET` (every player) or `strategy s[Row] in SET` (one player).
        Strategies are read like reports (s[j]), so the evaluator computes every player's payoff on
        all profiles. A real interval makes a continuous game (solved symbolically, or on a grid)."""
        if not decls:
            self.err(self.mech.span, f"game {self.mech.name} declares no strategies",
                     "add e.g. 'strategy s[i] in {Cooperate, Defect}'")
            return
        name = decls[0].name
        if not self.declare(name, "strategy", decls[0].span) or self.agents is None:
            return
        def build(st: ast.Strategy) -> TypeSpace:
            if st.name != name:
                self.err(st.span, f"a second strategy name '{st.name}' (the first is '{name}')",
                         f"declare each player's set as 'strategy {name}[Player] in ...'")
                raise _Err
            return self.strategy_space(st)

        got = self.per_agent(decls, name, build, ("player", "the strategies of player {} are", "strategy set"))
        if got is None:
            return
        spaces = got[0]
        kinds = {"sym" if t.symbolic else "num" for t in spaces}
        if len(kinds) > 1:
            self.err(decls[0].span, "players' strategy sets mix names and numbers")
            return
        self.type_spaces = tuple(spaces)
        self.report_name = name
        if spaces[0].symbolic:
            owners = {self.symbols[lab][1] for t in spaces for lab in t.labels}
            if len(owners) > 1:
                # one set for comparisons: s[Row] == Top and s[Col] == Left are both well typed
                union = "Strategies"
                for t in spaces:
                    for lab in t.labels:
                        self.symbols[lab] = (self.symbols[lab][0], union)
                owners = {union}
            self.type_vtype = VType("elem", owners.pop())
        elif all(not t.continuous and all(Fraction(v).denominator == 1 for v in t.values) for t in spaces):
            self.type_vtype = INT
        else:
            self.type_vtype = NUM

    def per_agent(self, decls, name: str, build, words: tuple[str, str, str]):
        """One value per agent from declarations for all agents (x[i]) and for one (x[Buyer], x[2]):
        (values in agent order, the generic value or None), or None after reporting an error."""
        who, twice, missing = words
        generic, per = None, {}
        for d in decls:
            try:
                val = build(d)
            except _Err:
                continue
            if d.agent == self.agent_var:
                if generic is not None:
                    self.err(d.span, f"'{name}[{d.agent}]' is declared twice")
                generic = val
            elif (key := int(d.agent) if d.agent.isdigit() else d.agent) in self.agents.elements:
                pos = self.agents.elements.index(key)
                if pos in per:
                    self.err(d.span, f"{twice.format(d.agent)} declared twice")
                per[pos] = val
            else:
                self.err(d.span, f"'{d.agent}' is neither the {who} index '{self.agent_var}' nor a{'n' if who[0] in 'aeiou' else ''} {who}",
                         did_you_mean(d.agent, [self.agent_var, *map(str, self.agents.elements)]))
        out = []
        for pos, label in enumerate(self.agents.elements):
            val = per.get(pos, generic)
            if val is None:
                if generic is not None or per:
                    self.err(decls[0].span, f"{who} {label} has no {missing}",
                             f"declare '{name}[{self.agent_var}]' for all {who}s or '{name}[{label}]'")
                return None
            out.append(val)
        return out, generic

    def strategy_space(self, st: ast.Strategy) -> TypeSpace:
        if isinstance(st.set, ast.Interval):
            lo, hi = self.interval_ends(st.set)
            if lo is None or hi is None:
                self.fail(st.set.span, f"the strategy interval {interval_text(lo, hi)} is unbounded",
                          "a continuous game's strategies range over a bounded interval [lo, hi]")
            decl = ast.TypeDecl(st.name, st.agent, (), "real", st.set, None, span=st.span)
            return self.type_space(decl)
        fs = self._resolve_set(st.set, None)
        if fs.kind not in ("sym", "int", "num"):
            self.fail(st.set.span, "a strategy set is a finite set of names or numbers, or a real interval [lo, hi]")
        sym = fs.kind == "sym"
        n = len(fs)
        return TypeSpace("finite", values=fs.codes if sym else tuple(Fraction(v) for v in fs.elements),
                         probs=(Fraction(1, n),) * n, symbolic=sym, labels=tuple(_fmt(e) for e in fs.elements),
                         span=st.span)

    def check_leader(self, decls: list[ast.Leader]):
        """`leader Row`: the player who commits first (Stackelberg)."""
        if not decls:
            return None
        if self.mech.kind != "game":
            self.err(decls[0].span, "'leader' belongs in a game block")
            return None
        for extra in decls[1:]:
            self.err(extra.span, "a second leader", "a Stackelberg game has one leader")
        ld = decls[0]
        if self.agents is None:
            return None
        key = int(ld.player) if ld.player.isdigit() else ld.player
        if key not in self.agents.elements:
            self.err(ld.span, f"'{ld.player}' is not a player", did_you_mean(ld.player, list(map(str, self.agents.elements))))
            return None
        if len(self.agents.elements) != 2:
            self.err(ld.span, f"a Stackelberg game has two players, this one has {len(self.agents.elements)}")
            return None
        return self.agents.elements.index(key)

    def check_moves(self, decls: list[ast.Moves], leader) -> tuple[int, ...] | None:
        """`moves A then B ...`: every player once, in the order they move (each sees the earlier
        moves); solved by backward induction. Returns the player positions in move order."""
        if not decls:
            return None
        mv = decls[0]
        if self.mech.kind != "game":
            self.err(mv.span, "'moves' belongs in a game block")
            return None
        for extra in decls[1:]:
            self.err(extra.span, "a second 'moves' declaration", "list every player once: moves A then B then C")
        if leader is not None:
            self.err(mv.span, "a game declares 'leader' or 'moves', not both",
                     "'leader Row' is the two-player case with mixed commitment too; 'moves' orders any number of players")
            return None
        if self.agents is None:
            return None
        labels = list(map(str, self.agents.elements))
        order = []
        for p in mv.players:
            if p not in labels:
                self.err(mv.span, f"'{p}' is not a player", did_you_mean(p, labels))
                return None
            if labels.index(p) in order:
                self.err(mv.span, f"'{p}' moves twice", "each player moves once; give a second move to a "
                         "second player with the same payoff (the agent form of the game)")
                return None
            order.append(labels.index(p))
        if len(order) != len(labels):
            missing = [lab for k, lab in enumerate(labels) if k not in order]
            self.err(mv.span, f"'moves' leaves out {', '.join(missing)}", "list every player once")
            return None
        if any(t.continuous for t in self.type_spaces or ()):
            self.err(mv.span, "'moves' needs finite strategy sets (backward induction over the game tree)",
                     "put the strategies on a grid, e.g. 'strategy q[i] in {0, 1/4, 1/2}'; a continuous two-player "
                     "game can declare 'leader' instead")
            return None
        return tuple(order)

    def check_report(self, decls: list[ast.Report]) -> None:
        if not decls and self.mech.kind == "contract":
            return
        if not decls:
            self.err(self.mech.span, "no report declared", f"add 'report b[{self.agent_var or 'i'}] of "
                                                          f"{self.type_name or 'v'}[{self.agent_var or 'i'}]'")
            return
        for extra in decls[1:]:
            self.err(extra.span, "a second report declaration", "one report per agent is supported")
        r = decls[0]
        if not self.declare(r.name, "report", r.span):
            return
        self.report_name = r.name
        if r.of_type != self.type_name:
            self.err(r.span, f"unknown type '{r.of_type}'", did_you_mean(r.of_type, [self.type_name or ""]))
        for a in (r.agent, r.of_agent):
            if self.agent_var is not None and a != self.agent_var:
                self.err(r.span, f"reports are indexed by the agent index '{self.agent_var}', not '{a}'")
                break

    # ------------------------------------------------------------------ definitions
    def register_def(self, d: ast.Definition) -> None:
        if not self.declare(d.name, "definition", d.span):
            return
        if isinstance(d.body, ast.Table):
            if self.mech.kind != "game":
                self.err(d.span, "a payoff table belongs in a game block", f"write 'game {self.mech.name} {{ ... }}'")
                return
            if self.agents is not None:  # one value per player: payoff = [...] means payoff[i]
                self.defs[d.name] = DefInfo(d, [(self.agent_var, self.agents)], None)
            return
        index = []
        for f in d.index:
            fs = self.formal_set(f, outcome_default=False)
            index.append((f.name, fs))
        params = None
        if d.params is not None:
            params = [(f.name, self.formal_set(f, outcome_default=True)) for f in d.params]
        names = [f.name for f in d.index] + [f.name for f in d.params or ()]
        if len(set(names)) != len(names):
            self.err(d.span, f"'{d.name}' repeats an index name")
        self.defs[d.name] = DefInfo(d, index, params)

    def check_design_items(self, decides: list[ast.Decide], objectives: list[ast.Objective]) -> None:
        design = self.mech.kind in ("design", "contract")
        if not design:
            for it in [*decides, *objectives]:
                what = "decide" if isinstance(it, ast.Decide) else it.sense
                self.err(it.span, f"'{what}' belongs in a design block", f"write 'design {self.mech.name} {{ ... }}'")
            return
        if not decides:
            self.err(self.mech.span, f"design {self.mech.name} decides nothing",
                     "add e.g. 'decide x[i]: real in [0, 1], pay[i]: real'")
        if len(objectives) != 1:
            self.err(self.mech.span if not objectives else objectives[1].span,
                     "a design block needs exactly one objective", "add e.g. 'maximize expect sum(i in 1..n, pay[i])'")
        for dec in decides:
            for x in dec.decisions:
                if not self.declare(x.name, "decision", x.span):
                    continue
                index_set = self.agents
                if x.index_set is not None:
                    index_set = self.resolve_set(x.index_set, None)
                elif self.mech.kind == "contract":
                    self.err(x.span, f"say what '{x.agent}' ranges over, e.g. {x.name}[{x.agent} in Results]")
                    continue
                elif self.agents is not None and x.agent != self.agent_var:
                    self.err(x.span, f"decisions are indexed by the agent index '{self.agent_var}', not '{x.agent}'")
                lo = hi = None
                try:
                    if x.lo is not None:
                        lo = self._num(self.const(x.lo, "a bound"), x.lo)
                        hi = self._num(self.const(x.hi, "a bound"), x.hi)
                        if lo > hi:
                            self.err(x.span, f"empty range [{_fmt(lo)}, {_fmt(hi)}] for {x.name}")
                except _Err:
                    pass
                info = DefInfo(x, [(x.agent, index_set)], None, state="done", vtype=INT if x.integer else NUM,
                               bounds=(lo, hi, x.integer))
                info.index_syms = (IndexVar(x.agent),)
                self.defs[x.name] = info

    def check_objective(self, objectives: list[ast.Objective], implement=None):
        if not objectives or self.mech.kind not in ("design", "contract"):
            return None
        o = objectives[0]
        env = {}
        if implement is not None and implement[0] == "*":  # implement a whole action set: the best one
            actions = implement[2]
            env["implemented"] = Local(self.elem_type(actions), IndexVar("implemented"), actions)
        if not o.expect and self.mech.kind != "contract":
            self.err(o.body.span, "the objective is an expectation under the prior", f"write '{o.sense} expect ...'")
            return None
        self._deps, self._type_read = set(), None
        try:
            _, expr = self.num_operand(o.body, env, "the objective")
        except _Err:
            return None
        return (o.sense, expr, o.span)

    def check_implement(self, items: list[ast.Implement]):
        """contract blocks: the action the contract must make the agent choose."""
        if self.mech.kind != "contract":
            for it in items:
                self.err(it.span, "'implement' belongs in a contract block")
            return None
        if len(items) != 1:
            self.err(self.mech.span if not items else items[1].span, "a contract implements exactly one action",
                     "add e.g. 'implement Work'")
            return None
        it = items[0]
        u = self.defs.get("utility")
        if u is None or len(u.index) != 1 or u.index[0][1] is None:
            self.err(it.span, "a contract needs the agent's utility per action: utility[a in Actions] = ...")
            return None
        actions = u.index[0][1]
        if it.action == actions.name or (it.action in self.sets and self.sets[it.action] is actions):
            return ("*", None, actions)  # every action: the contract implements the best one
        if it.action not in actions.elements:
            self.err(it.span, f"'{it.action}' is not one of the actions {actions.name}",
                     did_you_mean(it.action, [str(e) for e in actions.elements]))
            return None
        return (it.action, self.symbols[it.action][0] if it.action in self.symbols else it.action)

    def formal_set(self, f: ast.Formal, outcome_default: bool) -> FiniteSet | None:
        if f.set is not None:
            return self.resolve_set(f.set, None)
        if self.agents is None:
            return None  # the missing agents declaration is already reported
        if f.name == self.agent_var:
            return self.agents
        if outcome_default and len(self.outcomes) == 1:
            return next(iter(self.outcomes.values()))
        self.err(f.span, f"index '{f.name}' has no set",
                 f"write '{f.name} in SET' (only the agent index '{self.agent_var}' may omit it)")
        return None

    def lower_def(self, name: str) -> DefInfo:
        info = self.defs[name]
        if info.state == "done":
            return info
        if info.state == "visiting":
            cycle = self._stack[self._stack.index(name):] + [name]
            self.err(info.node.span, "cyclic definition: " + " -> ".join(cycle),
                     "a definition cannot depend on itself")
            info.state = "done"
            return info
        info.state = "visiting"
        self._stack.append(name)
        saved = (self._deps, self._type_read)
        self._deps, self._type_read = set(), None
        env: dict[str, Local] = {}
        syms = []
        ok = True
        for fname, fs in info.index + (info.params or []):
            if fs is None:
                ok = False
                continue
            sym = IndexVar(fname) if info.params is None else self.fresh(fname)
            syms.append(sym)
            env[fname] = Local(self.elem_type(fs), sym, fs)
        if ok:
            try:
                info.vtype, info.body = self.lx(info.node.body, env)
            except _Err:
                info.vtype, info.body = ERR, None
        n_index = len(info.index)
        info.index_syms, info.param_syms = tuple(syms[:n_index]), tuple(syms[n_index:])
        info.deps, info.type_read = frozenset(self._deps), self._type_read
        self._deps, self._type_read = saved
        self._stack.pop()
        info.state = "done"
        return info

    def reads_types(self, name: str, seen: set | None = None) -> bool:
        seen = seen if seen is not None else set()
        if name in seen or name not in self.defs:
            return False
        seen.add(name)
        d = self.defs[name]
        return d.type_read is not None or any(self.reads_types(x, seen) for x in d.deps)

    def type_read_site(self, name: str, seen=None) -> tuple[list[str], Span] | None:
        seen = seen if seen is not None else set()
        if name in seen or name not in self.defs:
            return None
        seen.add(name)
        d = self.defs[name]
        if d.type_read is not None:
            return [name], d.type_read
        for x in sorted(d.deps):
            r = self.type_read_site(x, seen)
            if r:
                return [name, *r[0]], r[1]
        return None

    # ------------------------------------------------------------------ expressions
    def lx(self, e: ast.Expr, env: dict[str, Local]) -> tuple[VType, sympy.Basic]:
        method = getattr(self, "lx_" + type(e).__name__)
        return method(e, env)

    def lx_Num(self, e, env):
        v = e.value
        return (INT if v.denominator == 1 else NUM), sympy.Rational(v.numerator, v.denominator)

    def lx_Bool(self, e, env):
        return BOOL, sympy.true if e.value else sympy.false

    def lx_NoneLit(self, e, env):
        return NONE, NoneConst("none")

    def lx_Name(self, e: ast.Name, env):
        n = e.name
        if n in env:
            return env[n].vtype, env[n].sym
        if n in self.params:
            ptype = self.params[n][0]
            return {"int": INT, "real": NUM, "bool": BOOL}[ptype], ParamSymbol(n)
        if n in self.symbols:
            return VType("elem", self.symbols[n][1]), SymConst(n)
        if n in self.defs:
            info = self.defs[n]
            if info.params is not None:
                self.fail(e.span, f"'{n}' is a function: call it, e.g. {self.show_call(info)}")
            if info.index:
                self.fail(e.span, f"'{n}' is indexed: write {n}[{', '.join(x for x, _ in info.index)}]",
                          f"'{n}' is defined at line {info.node.span.line}")
            self._deps.add(n)
            d = self.lower_def(n)
            return d.vtype, self.ref_node(d.vtype, n)
        if n in (self.type_name, self.report_name):
            self.fail(e.span, f"'{n}' needs an agent index: write {n}[{self.agent_var}]")
        if n in self.sets:
            self.fail(e.span, f"'{n}' is a set, not a value", f"use it after 'in', e.g. max(o in {n}, ...)")
        if n == self.agent_var:
            self.fail(e.span, f"the agent index '{n}' is not bound here",
                      f"bind it in a definition such as x[{n}] = ... or an aggregate sum({n} in ..., ...)")
        self.fail(e.span, f"unknown name '{n}'", self.suggest(n, env))

    @staticmethod
    def ref_node(vtype: VType, name: str, *args):
        return (BoolDefRef if vtype == BOOL else DefRef)(Str(name), *args)

    def show_call(self, info: DefInfo) -> str:
        idx = f"[{', '.join(x for x, _ in info.index)}]" if info.index else ""
        return f"{info.node.name}{idx}({', '.join(x for x, _ in info.params or [])})"

    def check_arg(self, arg: ast.Expr, env, fs: FiniteSet | None, what: str) -> sympy.Basic:
        t, s = self.lx(arg, env)
        if fs is None:
            return s
        want = self.elem_type(fs)
        if t != want and not (want.numeric and t.numeric) and t.kind != "err":
            self.fail(arg.span, f"{what} must be an {want}, got {t}")
        if isinstance(arg, ast.Num | ast.Name) and (s.is_Number or isinstance(s, SymConst)):
            val = Fraction(int(s.p), int(s.q)) if s.is_Number else self.symbols[str(s)][0]
            if val not in fs.codes:
                self.fail(arg.span, f"{what}: {_fmt(val) if s.is_Number else str(s)} is not in {fs.name}")
        return s

    def lx_Index(self, e: ast.Index, env):
        n = e.name
        if n in (self.type_name, self.report_name) and n is not None:
            nitems = 1 if self.item_set is not None else 0
            if len(e.args) != 1 + nitems:
                shape = f"{n}[{self.agent_var}" + (", k]" if nitems else "]")
                self.fail(e.span, f"'{n}' takes {_count(1 + nitems, 'index')}, got {len(e.args)}", f"write {shape}")
            agent = self.check_arg(e.args[0], env, self.agents, f"the agent index of '{n}'")
            items = [self.check_arg(a, env, self.item_set, f"the item index of '{n}'") for a in e.args[1:]]
            if n == self.type_name:
                if self._type_read is None:
                    self._type_read = e.span
                return self.type_vtype, TypeVal(Str(n), agent, *items)
            return self.type_vtype, ReportVal(Str(n), agent, *items)
        if n in env and env[n].vtype.kind == "outcome":
            return self.subscript(e, env[n].set, env[n].sym, env)
        if n in self.defs:
            info = self.defs[n]
            if info.params is not None:
                self.fail(e.span, f"'{n}' is a function: call it as {self.show_call(info)}")
            if not info.index:
                d = self.lower_def(n)
                self._deps.add(n)
                if d.vtype.kind == "outcome":
                    return self.subscript(e, self.sets[d.vtype.key], DefRef(Str(n)), env)
                self.fail(e.span, f"'{n}' is not indexed", f"write just '{n}'")
            if len(e.args) != len(info.index):
                self.fail(e.span, f"'{n}' takes {_count(len(info.index), 'index')}, got {len(e.args)}",
                          f"'{n}' is defined at line {info.node.span.line} as {n}[{', '.join(x for x, _ in info.index)}]")
            args = [self.check_arg(a, env, fs, f"index {k + 1} of '{n}'") for k, (a, (_, fs)) in
                    enumerate(zip(e.args, info.index, strict=True))]
            self._deps.add(n)
            d = self.lower_def(n)
            return d.vtype, self.ref_node(d.vtype, n, *args)
        if n in self.sets:
            self.fail(e.span, f"'{n}' is a set, not indexable", f"iterate it: sum(k in {n}, ...)")
        if n in self.params or n in env:
            self.fail(e.span, f"'{n}' is not indexed")
        indexable = [x for x in (self.type_name, self.report_name, *self.defs) if x]
        self.fail(e.name_span, f"unknown name '{n}'", self.suggest(n, env, indexable))

    def subscript(self, e: ast.Index, oset: FiniteSet, osym, env):
        if oset.kind != "outcome":
            self.fail(e.span, f"outcomes of {oset.name} have no components", "only assignments(...) outcomes do")
        if len(e.args) != 1:
            self.fail(e.span, f"an outcome of {oset.name} takes one item index")
        item = self.check_arg(e.args[0], env, oset.items, "the item index")
        to = self.elem_type(oset.to)
        t = VType("opt", "int" if to == INT else to.key) if oset.allow_none else to
        return t, Subscript(Str(oset.name), osym, item)

    def lx_Call(self, e: ast.Call, env):
        n = e.name
        if n in self.defs:
            info = self.defs[n]
            if info.params is None:
                self.fail(e.span, f"'{n}' is not a function", f"write {n}[...] to index it" if info.index else None)
            if len(e.index) != len(info.index) or len(e.args) != len(info.params):
                self.fail(e.span, f"'{n}' is called with the wrong number of arguments",
                          f"it is defined as {self.show_call(info)} at line {info.node.span.line}")
            d = self.lower_def(n)
            self._deps.add(n)
            actual = [self.check_arg(a, env, fs, f"argument {k + 1} of '{n}'")
                      for k, (a, (_, fs)) in enumerate(zip(e.index + e.args, info.index + info.params, strict=True))]
            if d.body is None:
                raise _Err
            return d.vtype, _substitute(d.body, dict(zip(d.index_syms + d.param_syms, actual, strict=True)))
        if n in AGGREGATES and n not in BUILTIN_FUNCS:
            self.fail(e.span, f"{n}(...) needs a binder", f"write {n}(j in SET, ...)")
        if n not in BUILTIN_FUNCS:
            self.fail(e.name_span, f"unknown function '{n}'",
                      did_you_mean(n, list(BUILTIN_FUNCS) + [d for d, i in self.defs.items() if i.params is not None]))
        if e.index:
            self.fail(e.span, f"'{n}' is not indexed")
        arity = BUILTIN_FUNCS[n]
        if (arity > 0 and len(e.args) != arity) or (arity < 0 and len(e.args) < -arity):
            self.fail(e.span, f"{n} takes {arity if arity > 0 else f'at least {-arity}'} argument(s), got {len(e.args)}",
                      f"for the {n} over a set write {n}(j in SET, ...)" if n in AGGREGATES else None)
        typed = [self.num_operand(a, env, f"argument of {n}") for a in e.args]
        syms = [s for _, s in typed]
        if n == "abs":
            return typed[0][0], sympy.Abs(syms[0])
        if n in ("min", "max"):
            t = INT if all(t == INT for t, _ in typed) else NUM
            return t, (sympy.Min if n == "min" else sympy.Max)(*syms)
        if n == "binomial":  # the pmf C(n, k) p^k (1 - p)^(n - k)
            count, prob, k = syms
            if not (typed[0][0] == INT and typed[2][0] == INT):
                self.fail(e.span, "binomial(n, p, k) takes integer n and k")
            return NUM, sympy.binomial(count, k) * prob ** k * (1 - prob) ** (count - k)
        self.transcendental = True
        node = {"log": sympy.log, "exp": sympy.exp, "sqrt": sympy.sqrt}[n](syms[0])
        self.spans.setdefault(node, e.span)  # where an undefined or overflowing value is reported
        return NUM, node

    def num_operand(self, e: ast.Expr, env, what: str):
        t, s = self.lx(e, env)
        if not t.numeric:
            hint = "write (if COND then 1 else 0) to turn a condition into a number" if t == BOOL else None
            self.fail(e.span, f"{what} must be a number, got {t}", hint)
        return t, s

    def bool_operand(self, e: ast.Expr, env, what: str):
        t, s = self.lx(e, env)
        if t != BOOL and t.kind != "err":
            hint = "compare it, e.g. x > 0" if t.numeric else None
            self.fail(e.span, f"{what} must be a bool, got {t}", hint)
        return s

    def lx_Aggregate(self, e: ast.Aggregate, env):
        op = e.op
        if op not in AGGREGATES:
            self.fail(e.op_span, f"unknown aggregate '{op}'", did_you_mean(op, AGGREGATES))
        if op in ("argmax", "argmin") and len(e.binders) != 1:
            self.fail(e.span, f"{op} takes exactly one binder")
        inner = dict(env)
        vars_, sets = [], []
        outer_terms = getattr(self, "_terms", 1)
        for b in e.binders:
            fs = self.resolve_set(b.set, None)
            if fs is None:
                raise _Err
            terms = getattr(self, "_terms", 1) * max(1, len(fs.elements))
            refuse_if(terms, MAX_AGGREGATE_TERMS,  # sized before a single term is built
                      f"{e.span}: terms per evaluation of this aggregate (times the ones around it):",
                      "a smaller index set, or the sum in closed form")
            self._terms = terms
            if b.var in (self.type_name, self.report_name) or b.var in self.defs or b.var in self.params:
                self.fail(b.span, f"'{b.var}' is already a name in the spec; pick another variable")
            sym = self.fresh(b.var)
            inner[b.var] = Local(self.elem_type(fs), sym, fs)
            vars_.append(sym)
            sets.append(self.set_node(b.set, fs))
        where = self.bool_operand(e.where, inner, "a 'where' filter") if e.where is not None else None
        body_t, body = None, None
        if op == "count":
            if e.body is not None:
                self.fail(e.body.span, "count(...) takes no body", "write count(j in S where COND)")
            result = INT
        else:
            if e.body is None:
                self.fail(e.span, f"{op}(...) needs a body expression", f"write {op}(j in S, EXPR)")
            if op in ("any", "all"):
                body_t, body = BOOL, self.bool_operand(e.body, inner, f"the body of {op}")
                result = BOOL
            else:
                body_t, body = self.num_operand(e.body, inner, f"the body of {op}")
                if op in ("argmax", "argmin"):
                    result = inner[e.binders[0].var].vtype
                elif op in ("sum", "prod", "min", "max"):
                    result = INT if body_t == INT else NUM
                else:
                    result = NUM
        default = None
        if e.default is not None:
            if op not in ("min", "max", "argmax", "argmin", "median"):
                self.fail(e.default.span, f"{op} over an empty set is already defined; 'default' is not needed here")
            dt, default = self.lx(e.default, env)
            if unify(dt, result) is None:
                self.fail(e.default.span, f"the default must be an {result}, got {dt}")
        self._terms = outer_terms
        node = make_aggregate(op, vars_, sets, where, body, default)
        self.spans.setdefault(node, e.span)
        return result, node

    def set_node(self, s: ast.SetExpr, fs: FiniteSet) -> sympy.Basic:
        if isinstance(s, ast.RangeSet):
            lo = self.lx(s.lo, {})[1]
            hi = self.lx(s.hi, {})[1]
            return RangeSet(lo, hi)
        if fs.name not in self.sets and fs is not self.agents:
            self.sets[fs.name] = fs
        return NamedSet(Str(fs.name))

    def lx_BinOp(self, e: ast.BinOp, env):
        ta, a = self.num_operand(e.left, env, f"the left operand of '{e.op}'")
        tb, b = self.num_operand(e.right, env, f"the right operand of '{e.op}'")
        if e.op == "+":
            return (INT if ta == tb == INT else NUM), a + b
        if e.op == "-":
            return (INT if ta == tb == INT else NUM), a - b
        if e.op == "*":
            return (INT if ta == tb == INT else NUM), a * b
        if e.op == "/":
            if b.is_Number and b == 0:  # 1/0, 1/-0, 0/0 anywhere (an index, an argument), not only in constants
                self.fail(e.span, "division by zero in a constant")
            self.spans.setdefault(sympy.Pow(b, -1), e.span)
            return NUM, a / b
        if a.is_Number and a == 0 and b.is_Number and b < 0:
            self.fail(e.span, "0 raised to a negative power (a division by zero) in a constant")
        if not b.is_Integer:  # integer powers (negative ones too) stay exact
            self.transcendental = True
        elif a.is_Rational and a not in (0, 1, -1):  # sympy would build the exact number right here
            refuse_if(abs(int(b)) * max(abs(a.p).bit_length(), abs(a.q).bit_length()), MAX_POWER_BITS,
                      f"{e.span}: bits in the exact constant power {a} ^ {b}:", "a smaller exponent")
        elif not a.is_Rational:  # exact evaluation: at least one bit per factor for any base but 0 and +-1
            refuse_if(abs(int(b)), MAX_POWER_BITS, f"{e.span}: bits in an exact value of this power, at least",
                      "a smaller exponent")
        node = sympy.Pow(a, b)
        self.spans.setdefault(node, e.span)
        return (INT if ta == INT and b.is_Integer and b >= 0 else NUM), node

    def lx_Neg(self, e: ast.Neg, env):
        t, s = self.num_operand(e.operand, env, "the operand of '-'")
        return t, -s

    def lx_Table(self, e: ast.Table, env):
        """A payoff table: cell k (row-major over strategy profiles, the last player fastest) holds one
        payoff per player; lowered to one StrategyTable node read by the strategy profile's index."""
        spaces = self.type_spaces or ()
        if any(t.continuous for t in spaces):
            self.fail(e.span, "a payoff table needs finite strategy sets", "write payoff[i] = ... for intervals")
        sizes = [len(t.values) for t in spaces]
        n = len(sizes)
        cells = [c for row in e.rows for c in row]
        total = math.prod(sizes)
        shape = " x ".join(map(str, sizes))
        if len(cells) != total:
            self.fail(e.span, f"the table has {_count(len(cells), 'cell')}; the strategy profiles are {shape} = {total}",
                      "one (payoff, ...) cell per profile, the last player's strategy varying fastest")
        if len(e.rows) > 1:
            for k, row in enumerate(e.rows):
                if len(row) != sizes[-1]:
                    self.fail(row[0][0].span, f"row {k + 1} has {_count(len(row), 'cell')}; player "
                              f"{self.agents.elements[-1]} has {sizes[-1]} strategies",
                              "';' ends a row of the last player's strategies")
        entries, vtype = [], INT
        for cell in cells:
            if len(cell) != n:
                self.fail(cell[0].span, f"a cell has {_count(len(cell), 'payoff')}; the game has {n} players",
                          "write one payoff per player in player order, e.g. (3, 2)")
            for x in cell:
                t, v = self.num_operand(x, {}, "a payoff")
                vtype = vtype if t == INT else NUM
                entries.append(v)
        if any(isinstance(a, TypeVal) for v in entries for a in sympy.preorder_traversal(v)):
            self.fail(e.span, "table cells are numbers or formulas of parameters; they cannot read strategies")
        self._type_read = e.span
        agent = env[self.agent_var].sym
        return vtype, StrategyTable(agent, sympy.Integer(n), *entries)

    _REL = {"==": sympy.Eq, "!=": sympy.Ne, "<": sympy.Lt, "<=": sympy.Le, ">": sympy.Gt, ">=": sympy.Ge}

    def lx_Compare(self, e: ast.Compare, env):
        ta, a = self.lx(e.left, env)
        tb, b = self.lx(e.right, env)
        if e.op in ("==", "!="):
            if not comparable_eq(ta, tb):
                hint = None
                if "elem" in (ta.kind, tb.kind) and (ta.numeric or tb.numeric):
                    hint = "a symbol compares only with symbols of its own set, e.g. v[i] == High"
                self.fail(e.span, f"cannot compare {ta} with {tb}", hint)
            if ta == BOOL:
                # between conditions, == is "both or neither" and != "exactly one": written with
                # and/or/not, which every back end evaluates (sympy's Eq takes no booleans)
                same = sympy.Or(sympy.And(a, b), sympy.And(sympy.Not(a), sympy.Not(b)))
                return BOOL, same if e.op == "==" else sympy.Not(same)
        else:
            for t, side in ((ta, e.left), (tb, e.right)):
                if not t.numeric:
                    self.fail(side.span, f"'{e.op}' compares numbers, got {t}")
        return BOOL, self._REL[e.op](a, b)

    def lx_BoolOp(self, e: ast.BoolOp, env):
        a = self.bool_operand(e.left, env, f"the left operand of '{e.op}'")
        b = self.bool_operand(e.right, env, f"the right operand of '{e.op}'")
        return BOOL, (sympy.And if e.op == "and" else sympy.Or)(a, b)

    def lx_Not(self, e: ast.Not, env):
        return BOOL, sympy.Not(self.bool_operand(e.operand, env, "the operand of 'not'"))

    def lx_IfElse(self, e: ast.IfElse, env):
        c = self.bool_operand(e.cond, env, "an if-condition")
        ta, a = self.lx(e.then, env)
        tb, b = self.lx(e.else_, env)
        t = unify(ta, tb)
        if t is None:
            self.fail(e.span, f"the branches of this if have different types: {ta} and {tb}")
        if t == BOOL:
            return t, sympy.Or(sympy.And(c, a), sympy.And(sympy.Not(c), b))
        return t, _piecewise((a, c), (b, True))

    # ------------------------------------------------------------------ conventions and properties
    def check_conventions(self) -> None:
        for name in ("pay", "x", "utility", "value"):
            if self.mech.kind == "contract":
                break  # a contract's utility is indexed by the agent's actions
            info = self.defs.get(name)
            if info is None:
                continue
            if len(info.index) != 1 or info.index[0][1] is not self.agents:
                self.err(info.node.span, f"'{name}' must be indexed by the agent index: {name}[{self.agent_var}]")
                continue
            if name != "value" and info.params is not None:
                self.err(info.node.span, f"'{name}' cannot take arguments")
            if info.vtype.kind not in ("num", "int", "err"):
                self.err(info.node.span, f"'{name}' must be a number, got {info.vtype}")
        value = self.defs.get("value")
        if value is not None and value.params is not None:
            if len(value.params) != 1 or value.params[0][1] is None or value.params[0][1].name not in self.outcomes:
                self.err(value.node.span, "value[i](o) takes one outcome argument: value[i](o in O)")
        choice = self.defs.get("choice")
        if choice is not None and (choice.index or choice.params is not None):
            self.err(choice.node.span, "'choice' is the chosen outcome: it takes no index")

    def check_requirements(self, reqs: list[ast.Require]) -> list[Requirement]:
        if self.mech.kind == "game":
            return self.check_game_requirements(reqs)
        out: list[Requirement] = []
        seen: dict[str, Span] = {}
        for r in reqs:
            for p in r.props:
                name = PROPERTY_ALIASES.get(p.name, p.name)
                if name not in PROPERTIES:
                    self.err(p.span, f"unknown property '{p.name}'",
                             did_you_mean(p.name, list(PROPERTIES) + list(PROPERTY_ALIASES))
                             or "known: " + ", ".join(PROPERTIES))
                    continue
                arity, needs = PROPERTIES[name]
                if len(p.args) != arity:
                    self.err(p.span, f"{name} takes {_count(arity, 'argument')}, got {len(p.args)}",
                             f"write {name}(0.01)" if arity else f"write just {name}")
                    continue
                try:
                    args = tuple(self._num(self.const(a, f"the argument of {name}"), a) for a in p.args)
                except _Err:
                    continue
                if any(a < 0 for a in args):
                    self.err(p.span, f"{name}: epsilon must be >= 0")
                    continue
                req = Requirement(name, args, p.span)
                if req.label in seen:
                    first = seen[req.label]
                    self.err(p.span, f"{req.label} is required twice", f"first at line {first.line}, column {first.col}")
                    continue
                seen[req.label] = p.span
                missing = self.missing(needs)
                if missing:
                    self.err(p.span, f"{name} cannot be checked: {missing}")
                    continue
                if self.mech.kind == "contract" and name not in ("ex_post_ir", "feasible"):
                    self.err(p.span, f"{name} is not a contract constraint (the agent reports nothing)",
                             "a contract takes 'ir' (participation) and its 'feasible' lines; incentive "
                             "compatibility is the 'implement' action's")
                    continue
                out.append(req)
        return out

    def check_game_requirements(self, reqs: list[ast.Require]) -> list[Requirement]:
        """nash(s_1, ..., s_n), dominant([player,] s), strictly_dominant([player,] s), pure_equilibrium:
        arguments are strategy names (or numbers) and player names, kept as labels."""
        out: list[Requirement] = []
        spaces = self.type_spaces or ()
        players = [str(p) for p in self.agents.elements] if self.agents is not None else []
        for r in reqs:
            for p in r.props:
                if p.name not in GAME_PROPERTIES:
                    self.err(p.span, f"unknown game property '{p.name}'", did_you_mean(p.name, GAME_PROPERTIES)
                             or "known in games: " + ", ".join(GAME_PROPERTIES))
                    continue
                try:
                    labels = tuple(self._game_arg(a) for a in p.args)
                except _Err:
                    continue
                n = len(players)
                if p.name in ("nash", "subgame_perfect"):
                    if len(labels) != n:
                        self.err(p.span, f"{p.name} takes one strategy per player ({n}), got {len(labels)}")
                        continue
                    if p.name == "subgame_perfect" and not any(isinstance(it, ast.Moves) for it in self.mech.items):
                        self.err(p.span, "subgame_perfect needs a sequential game",
                                 "declare the order of play, e.g. 'moves " + " then ".join(players) + "'")
                        continue
                    for k, (lab, a) in enumerate(zip(labels, p.args, strict=True)):
                        if spaces and not spaces[k].continuous and lab not in spaces[k].labels:
                            self.err(a.span, f"'{lab}' is not a strategy of player {players[k]}",
                                     did_you_mean(lab, list(spaces[k].labels)))
                elif p.name in ("dominant", "strictly_dominant"):
                    if len(labels) not in (1, 2):
                        self.err(p.span, f"{p.name} takes (strategy) or (player, strategy), got {_count(len(labels), 'argument')}")
                        continue
                    if len(labels) == 2 and labels[0] not in players:
                        self.err(p.args[0].span, f"'{labels[0]}' is not a player", did_you_mean(labels[0], players))
                        continue
                    who = [players.index(labels[0])] if len(labels) == 2 else range(n)
                    if spaces and not any(labels[-1] in spaces[k].labels for k in who if not spaces[k].continuous):
                        self.err(p.args[-1].span, f"'{labels[-1]}' is not a strategy of "
                                 + (f"player {labels[0]}" if len(labels) == 2 else "any player"))
                        continue
                elif p.args:
                    self.err(p.span, f"{p.name} takes no arguments", f"write just {p.name}")
                    continue
                out.append(Requirement(p.name, labels, p.span))
        return out

    def _game_arg(self, a: ast.Expr) -> str:
        if isinstance(a, ast.Name):
            return a.name
        v = self.const(a, "a strategy")
        return _fmt(v)

    def missing(self, needs: str) -> str | None:
        d = self.defs
        if needs == "utility":
            if "utility" in d or ("value" in d and "pay" in d and (d["value"].params is None or "choice" in d)):
                return None
            return "no utility: define utility[i] (or value[i] and pay[i])"
        if needs == "pay":
            return None if "pay" in d else "no payments: define pay[i]"
        if needs == "x":
            if "x" not in d:
                return "no allocation: define x[i]"
            if self.item_set is not None or any(t.symbolic for t in self.type_spaces):
                return "monotonicity needs one number per agent as the type"
            return None
        if needs == "welfare":
            if not self.outcomes:
                return "no outcome set: declare 'outcomes O = ...'"
            if "choice" not in d or d["choice"].vtype.kind not in ("outcome", "elem"):
                return "no chosen outcome: define choice = argmax(o in O, ...)"
            if "value" not in d or d["value"].params is None:
                return "no valuation: define value[i](o in O) in terms of the true type"
            return None
        if needs == "constraints":
            return None if self.mech_has_feasible else "no constraints: add 'feasible EXPR' lines"
        raise AssertionError(needs)

    @property
    def mech_has_feasible(self) -> bool:
        return any(isinstance(it, ast.Feasible) for it in self.mech.items)

    def check_measures(self, ms: list[ast.Measure]) -> list[Measure]:
        out, seen = [], {}
        for m in ms:
            if m.name in seen:
                self.err(m.span, f"measure '{m.name}' is defined twice", f"first at line {seen[m.name]}")
                continue
            seen[m.name] = m.span.line
            if m.name in BUILTIN_METRICS:
                self.err(m.span, f"'{m.name}' is a metric mechc reports itself", "choose another measure name")
                continue
            if not m.expect:
                self.err(m.body.span, "a measure is an expectation under the prior",
                         f"write 'measure {m.name} = expect ...'")
                continue
            self._deps, self._type_read = set(), None
            try:
                _, s = self.num_operand(m.body, {}, f"measure '{m.name}'")
                out.append(Measure(m.name, s, m.span))
            except _Err:
                pass
        return out

    def check_constraints(self, fs: list[ast.Feasible]) -> list[Constraint]:
        out = []
        for f in fs:
            self._deps, self._type_read = set(), None
            try:
                s = self.bool_operand(f.expr, {}, "a feasibility constraint")
            except _Err:
                continue
            if self._type_read is not None:
                self.err(self._type_read, "a feasibility constraint cannot read true types",
                         f"use the reports '{self.report_name}'")
            for dep in sorted(self._deps):
                self._purity_error(dep, "a feasibility constraint")
            if self.mech.kind in ("design", "contract") and (
                    not isinstance(s, sympy.core.relational.Relational) or isinstance(s, sympy.Ne)):
                self.err(f.expr.span, f"a feasibility constraint in a {self.mech.kind} must be one comparison "
                         "(<=, >=, ==), a linear constraint on the decisions",
                         "write one 'feasible' line per comparison ('and' -> two lines; '!=' and 'or' are not linear)")
            out.append(Constraint(s, f.span, f"line {f.span.line}"))
        if fs and self.mech.kind == "design" and not any(
                PROPERTY_ALIASES.get(p.name, p.name) == "feasible"
                for r in self.mech.items if isinstance(r, ast.Require) for p in r.props):
            self.err(fs[0].span, "the design's 'feasible' lines are not among its constraints: they would be ignored",
                     "add 'feasible' to 'subject to' (e.g. 'subject to dsic, ex_post_ir, feasible')")
        return out

    def check_purity(self, constraints) -> None:
        if self.report_name is None:
            return  # without a report declaration every rule reads types; that error is already shown
        for name in ("pay", "x", "choice"):
            if name in self.defs:
                self._purity_error(name, f"'{name}'")

    def _purity_error(self, name: str, what: str) -> None:
        site = self.type_read_site(name)
        if site is None:
            return
        chain, span = site
        via = f" (via {' -> '.join(chain)})" if len(chain) > 1 else ""
        self.err(span, f"{what} depends on the true type '{self.type_name}'{via}: a mechanism sees only reports",
                 f"use the report{' ' + repr(self.report_name) if self.report_name else 's'} in rules; "
                 "true types belong in utility/value")

    def derive_utility(self, reqs: list[Requirement]):
        var = IndexVar(self.agent_var or "i")
        d = self.defs
        if "utility" in d:
            return DefRef(Str("utility"), var), var
        if "value" in d and "pay" in d:
            pay = DefRef(Str("pay"), var)
            value = d["value"]
            if value.params is None:
                return DefRef(Str("value"), var) - pay, var
            if "choice" in d and value.body is not None and value.index_syms:
                body = _substitute(value.body, {value.index_syms[0]: var, value.param_syms[0]: DefRef(Str("choice"))})
                return body - pay, var
        return None, var

    def derive_welfare(self, reqs: list[Requirement]):
        if not any(r.name == "efficient" for r in reqs):
            return None
        value = self.defs["value"]
        choice = self.defs["choice"]
        oset = self.sets[choice.vtype.key] if choice.vtype.key in self.sets else None
        if value.body is None or oset is None:
            return None
        if value.params[0][1] is not oset:
            self.err(value.node.span, f"value[i](o) ranges over {value.params[0][1].name} but choice is an outcome of {oset.name}")
            return None
        a = self.fresh(self.agent_var)
        o = self.fresh("o")
        agents_node = NamedSet(Str(self.agents.name))
        if self.agents.name not in self.sets:
            self.sets[self.agents.name] = self.agents
        at = _substitute(value.body, {value.index_syms[0]: a, value.param_syms[0]: DefRef(Str("choice"))})
        at_choice = make_aggregate("sum", [a], [agents_node], None, at, None)
        a2 = self.fresh(self.agent_var)
        inner = _substitute(value.body, {value.index_syms[0]: a2, value.param_syms[0]: o})
        best = make_aggregate("max", [o], [NamedSet(Str(oset.name))], None,
                              make_aggregate("sum", [a2], [agents_node], None, inner, None), None)
        return at_choice, best


def check(spec: ast.Spec, overrides: dict[str, str] | None = None, mechanism: str | None = None) -> Model:
    """Resolve, type and lower one mechanism of a parsed spec; raises SpecErrors listing every problem."""
    from ..errors import SpecError, SpecErrors

    mechs = spec.mechanisms
    if mechanism is not None:
        mechs = tuple(m for m in mechs if m.name == mechanism)
        if not mechs:
            raise SpecErrors([SpecError(spec.span, f"no mechanism named '{mechanism}'",
                                        did_you_mean(mechanism, [m.name for m in spec.mechanisms]))])
    if len(mechs) > 1:
        raise SpecErrors([SpecError(mechs[1].span, f"{spec.file} holds {len(mechs)} mechanisms",
                                    "pick one with --mechanism NAME")])
    return Checker(mechs[0], spec.file, overrides).run()

