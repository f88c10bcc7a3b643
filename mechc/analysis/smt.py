"""SMT back end: properties over real (and finite) type spaces, decided by z3.

The Model is translated to z3 by a walker that mirrors the array evaluator, table-dispatched on
the sympy class (``_z_<Class>``): finite sets are unrolled, argmax picks the first element attaining
the maximum (the evaluator's exact tie rule), and undefined values (empty aggregates without a
default, division by zero, an index out of range) become definedness conditions, each guarded by
the if-branches and ``where`` filters that select it. Before a property is decided, z3 is asked
whether any of them can fail on the declared space: if so, the spec is invalid there (an EvalError
naming the point and the rule, as the evaluator reports it); nothing is proved over an undefined
value. Each property is posed as the existence of a violation: unsat means ``proved`` for every
real type; sat gives a violation with exact rational values, re-checked by the evaluator in exact
arithmetic before it is shown; a spent budget or an unsupported construct gives ``unknown`` with the
reason and the line.

The budget that decides is z3's deterministic resource limit (``rlimit``, ``--smt-budget``), counted
in z3's own work units per query, so proved-or-unknown does not depend on the machine's load. A
wall-clock timeout (``--timeout``) stays only as a safety net, set well above what the budget
normally takes; when it fires the reason says so, since that result can depend on the load.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from fractions import Fraction

import numpy as np
import sympy
import z3

from .. import runtime
from ..errors import EvalError
from ..limits import SMT_BUDGET, SMT_TIMEOUT_S
from ..model.evaluate import Evaluation, undefined_hint
from ..model.model import Model, Requirement, TypeSpace, _fmt
from ..model.nodes import NamedSet, NoneConst, RangeSet, ReportVal
from ..report import Counterexample, PropertyResult

DEFAULT_TIMEOUT_S = SMT_TIMEOUT_S  # safety net only: the budget decides
DEFAULT_BUDGET = SMT_BUDGET


class Unsupported(Exception):
    """A construct the SMT encoding does not cover; the message names it and its line."""


def _q(v, ctx=None) -> z3.ArithRef:
    f = Fraction(v)
    return z3.RealVal(f"{f.numerator}/{f.denominator}", ctx)


def _numeral(t) -> bool:
    return z3.is_rational_value(t) or z3.is_int_value(t)


def _numeral_leaves(t, depth: int = 0) -> bool:
    t = z3.simplify(t) if depth == 0 else t
    if _numeral(t):
        return True
    return depth < 8 and z3.is_app_of(t, z3.Z3_OP_ITE) and all(_numeral_leaves(t.arg(k), depth + 1) for k in (1, 2))


def _distribute(p, q):
    q = z3.simplify(q)
    if _numeral(q):
        return p * q
    return z3.If(q.arg(0), _distribute(p, q.arg(1)), _distribute(p, q.arg(2)))


def _to_fraction(val) -> Fraction:
    if z3.is_rational_value(val):
        return Fraction(val.numerator_as_long(), val.denominator_as_long())
    if z3.is_int_value(val):
        return Fraction(val.as_long())
    if z3.is_algebraic_value(val):  # irrational: the nearest rational with 30 digits
        return Fraction(val.approx(30).as_fraction())
    raise ValueError(f"cannot read {val} as a number")


@dataclass
class Context:
    """One evaluation context: z3 terms for every agent's report and, optionally, a true type."""

    reports: list  # per agent: list of z3 terms (one per item; one for scalar types)
    true: dict  # agent position -> list of z3 terms
    memo: dict


class Translator:
    """Sympy Model expression -> z3 term, in one context."""

    def __init__(self, model: Model, zctx: z3.Context):
        self.model = model
        self.c = zctx  # a fresh z3 context per property: results do not depend on earlier queries
        self.agent_pos = {c: k for k, c in enumerate(model.agents.codes)}
        ts0 = model.type_spaces[0]
        self.item_pos = {c: k for k, c in enumerate(ts0.items.codes)} if ts0.items is not None else {None: 0}
        self.side: list = []  # definedness conditions (z3 bools), each guarded by where it is selected
        self.side_why: list = []  # per condition: (model node or None, the reason it would be undefined)
        self.guards: list = []  # the conditions under which the term being translated is selected
        self.nonlinear: list[str] = []
        self.spans = model.extra.get("spans", {})
        self._where = ""

    def need(self, cond, node, why: str) -> None:
        """A definedness condition of the term being translated, required only where it is selected."""
        self.side.append(z3.Implies(z3.And(*self.guards), cond) if self.guards else cond)
        self.side_why.append((node, why))

    def under(self, guard, fn):
        """fn() translated as selected only where ``guard`` holds (an if-branch, a `where` filter)."""
        self.guards.append(guard)
        try:
            return fn()
        finally:
            self.guards.pop()

    def where(self, node) -> str:
        span = self.spans.get(node)
        return f" at line {span.line}" if span is not None else self._where

    # ---- dispatch
    def z(self, e, env: dict, ctx: Context):
        if e.is_Number:
            return _q(Fraction(int(e.p), int(e.q)) if e.is_Rational else float(e), self.c)
        if e is sympy.true:
            return z3.BoolVal(True, self.c)
        if e is sympy.false:
            return z3.BoolVal(False, self.c)
        for cls in type(e).__mro__:
            fn = getattr(self, "_z_" + cls.__name__, None)
            if fn is not None:
                return fn(e, env, ctx)
        raise Unsupported(f"{type(e).__name__} is not encoded for SMT{self.where(e)}")

    def _z_ParamSymbol(self, e, env, ctx):
        ptype, value = self.model.params[e.name]
        if ptype == "bool":
            return z3.BoolVal(bool(value), self.c)
        return z3.IntVal(int(value), self.c) if ptype == "int" else _q(value, self.c)

    def _z_IndexVar(self, e, env, ctx):
        v = env[e]
        return v if isinstance(v, z3.ExprRef) else z3.IntVal(int(v), self.c)

    def _z_SymConst(self, e, env, ctx):
        return z3.IntVal(self.model.symbols[e.name], self.c)

    def _z_NoneConst(self, e, env, ctx):
        return z3.IntVal(runtime.NONE_CODE, self.c)

    def _z_Add(self, e, env, ctx):
        return sum((self.z(a, env, ctx) for a in e.args[1:]), self.z(e.args[0], env, ctx))

    def _z_Mul(self, e, env, ctx):
        out = None
        for a in e.args:
            if isinstance(a, sympy.Pow) and a.exp == -1:
                den = self.z(a.base, env, ctx)
                self.need(den != 0, a, "division by zero")
                term = 1 / den
                if not z3.is_rational_value(z3.simplify(den)):
                    self.nonlinear.append(f"division by {a.base}{self.where(a)}")
            else:
                term = self.z(a, env, ctx)
            out = term if out is None else self._times(out, term, e)
        return out

    def _times(self, a, b, node):
        """a * b, kept linear when one side is a numeral or an if-tree with numeral leaves (the
        usual `v * x` with x in {0, 1}): the product is pushed into the branches."""
        if _numeral(a) or _numeral(b):
            return a * b
        for p, q in ((a, b), (b, a)):
            if _numeral_leaves(q):
                return _distribute(p, q)
        self.nonlinear.append(f"{node}{self.where(node)}")
        return a * b

    def _z_Pow(self, e, env, ctx):
        if not e.exp.is_Integer:
            raise Unsupported(f"non-integer power {e}{self.where(e)} is outside real arithmetic")
        k = int(e.exp)
        base = self.z(e.base, env, ctx)
        out = z3.RealVal(1, self.c)
        for _ in range(abs(k)):
            out = out * base
        if abs(k) >= 2:
            self.nonlinear.append(f"{e}{self.where(e)}")
        if k < 0:
            self.need(base != 0, e, "division by zero")
            return 1 / out
        return out

    def _z_Abs(self, e, env, ctx):
        x = self.z(e.args[0], env, ctx)
        return z3.If(x >= 0, x, -x)

    def _z_exp(self, e, env, ctx):
        raise Unsupported(f"exp{self.where(e)} is outside real arithmetic")

    def _z_log(self, e, env, ctx):
        raise Unsupported(f"log{self.where(e)} is outside real arithmetic")

    def _fold(self, e, env, ctx, fn):
        out = self.z(e.args[0], env, ctx)
        for a in e.args[1:]:
            out = fn(out, self.z(a, env, ctx))
        return out

    def _z_Max(self, e, env, ctx):
        return self._fold(e, env, ctx, lambda a, b: z3.If(a >= b, a, b))

    def _z_Min(self, e, env, ctx):
        return self._fold(e, env, ctx, lambda a, b: z3.If(a <= b, a, b))

    def _z_And(self, e, env, ctx):
        return z3.And(*[self.z(a, env, ctx) for a in e.args])

    def _z_Or(self, e, env, ctx):
        return z3.Or(*[self.z(a, env, ctx) for a in e.args])

    def _z_Not(self, e, env, ctx):
        return z3.Not(self.z(e.args[0], env, ctx))

    _RELS = {"Equality": lambda a, b: a == b, "Unequality": lambda a, b: a != b,
             "StrictLessThan": lambda a, b: a < b, "LessThan": lambda a, b: a <= b,
             "StrictGreaterThan": lambda a, b: a > b, "GreaterThan": lambda a, b: a >= b}

    def _z_Relational(self, e, env, ctx):
        return self._RELS[type(e).__name__](self.z(e.lhs, env, ctx), self.z(e.rhs, env, ctx))

    def _z_Piecewise(self, e, env, ctx):
        conds = [self.z(pair.cond, env, ctx) for pair in e.args[:-1]]
        exprs, before = [], []
        for pair, c in zip(e.args, [*conds, None], strict=True):
            sel = z3.And(*before, c) if c is not None else z3.And(*before, z3.BoolVal(True, self.c))
            exprs.append(self.under(sel, lambda pair=pair: self.z(pair.expr, env, ctx)))
            if c is not None:
                before.append(z3.Not(c))
        out = exprs[-1]
        for c, x in zip(reversed(conds), reversed(exprs[:-1]), strict=True):
            out = z3.If(c, x, out)
        return out

    # ---- reports, types, definitions, outcomes
    def _value(self, e, env, ctx, true: bool):
        agent = self.z(e.agent, env, ctx)
        item = self.z(e.items[0], env, ctx) if e.items else None
        agent_s = z3.simplify(agent)
        if not z3.is_int_value(agent_s):
            return self._chain(agent_s, self.model.agents.codes,
                               lambda c: self._value_at(self.agent_pos[c], item, ctx, true))
        return self._value_at(self.agent_pos[agent_s.as_long()], item, ctx, true)

    def _value_at(self, pos, item, ctx, true):
        terms = ctx.true.get(pos) if true else None
        if terms is None:
            terms = ctx.reports[pos]
        if item is None:
            return terms[0]
        item_s = z3.simplify(item)
        if not z3.is_int_value(item_s):
            codes = list(self.item_pos)
            return self._chain(item_s, codes, lambda c: terms[self.item_pos[c]])
        return terms[self.item_pos[item_s.as_long()]]

    def _chain(self, key, codes, value_of):
        """value_of(c) where key == c (a gather over a computed index); defined only on the codes."""
        self.need(z3.Or(*[key == c for c in codes]), None, "index out of range")
        out = value_of(codes[-1])
        for c in reversed(codes[:-1]):
            out = z3.If(key == c, value_of(c), out)
        return out

    def _z_TypeVal(self, e, env, ctx):
        return self._value(e, env, ctx, not isinstance(e, ReportVal))

    def _z_DefRef(self, e, env, ctx):
        idx = [z3.simplify(self.z(a, env, ctx)) for a in e.index]
        d = self.model.defs[e.name]
        if all(z3.is_int_value(i) or z3.is_rational_value(i) for i in idx):
            codes = tuple(int(i.as_long()) if z3.is_int_value(i) else int(_to_fraction(i)) for i in idx)
            return self.ref(e.name, codes, ctx)
        combos = list(itertools.product(*(s.codes for s in d.index_sets)))
        cond = [z3.And(*[k == c for k, c in zip(idx, combo, strict=True)]) for combo in combos]
        self.need(z3.Or(*cond), e, "index out of range")
        out = self.ref(e.name, combos[-1], ctx)
        for combo, cnd in zip(reversed(combos[:-1]), reversed(cond[:-1]), strict=True):
            out = z3.If(cnd, self.ref(e.name, combo, ctx), out)
        return out

    def ref(self, name: str, codes: tuple, ctx: Context):
        """A definition's term, translated once per context; its definedness conditions are
        required again, under the current guards, at every use."""
        key = (name, codes)
        if key not in ctx.memo:
            d = self.model.defs[name]
            saved = self._where, self.guards, len(self.side)
            self._where, self.guards = f" in '{name}' (line {d.span.line})", []
            term = self.z(d.body, dict(zip(d.index_vars, codes, strict=True)), ctx)
            n0 = saved[2]
            own = list(zip(self.side[n0:], self.side_why[n0:], strict=True))
            del self.side[n0:], self.side_why[n0:]
            self._where, self.guards = saved[0], saved[1]
            ctx.memo[key] = (term, own)
        term, own = ctx.memo[key]
        for cond, (node, why) in own:
            self.need(cond, node, why)
        return term

    def _z_Subscript(self, e, env, ctx):
        oset = self.model.sets[e.name]
        o = self.z(e.outcome, env, ctx)
        k = z3.simplify(self.z(e.item, env, ctx))
        col = oset.items.codes.index(k.as_long())
        return self._chain(o, list(range(len(oset))), lambda c: z3.IntVal(oset.elements[c][col], self.c))

    def set_codes(self, s) -> tuple:
        if isinstance(s, NamedSet):
            return self.model.sets[s.name].codes
        if isinstance(s, RangeSet):
            lo, hi = (int(z3.simplify(self.z(b, {}, None)).as_long()) for b in s.args)
            return tuple(range(lo, hi + 1))
        raise AssertionError(s)

    def _z_Aggregate(self, e, env, ctx):
        op = e.op
        has_where = e.where is not sympy.true
        masks, bodies, codes = [], [], []
        for combo in itertools.product(*(self.set_codes(s) for s in e.sets)):
            inner = dict(env)
            inner.update(zip(e.vars, combo, strict=True))
            m = z3.simplify(self.z(e.where, inner, ctx)) if has_where else z3.BoolVal(True, self.c)
            if z3.is_false(m):
                continue  # statically excluded, as the runtime drops such elements
            masks.append(m)
            bodies.append(None if isinstance(e.body, NoneConst) else
                          self.under(m, lambda inner=inner: self.z(e.body, inner, ctx)))
            codes.append(combo[0])
        empty = z3.Not(z3.Or(*masks)) if masks else z3.BoolVal(True, self.c)
        default = None if isinstance(e.default, NoneConst) else self.under(empty, lambda: self.z(e.default, env, ctx))
        if op == "count":
            return sum((z3.If(m, 1, 0) for m in masks), z3.IntVal(0, self.c))
        if op == "sum":
            return sum((z3.If(m, b, 0) for m, b in zip(masks, bodies, strict=True)), z3.RealVal(0, self.c))
        if op == "prod":
            out = z3.RealVal(1, self.c)
            for m, b in zip(masks, bodies, strict=True):
                out = out * z3.If(m, b, 1)
            self.nonlinear.append(f"prod{self.where(e)}")
            return out
        if op == "any":
            return z3.Or(*[z3.And(m, b) for m, b in zip(masks, bodies, strict=True)], z3.BoolVal(False, self.c))
        if op == "all":
            return z3.And(*[z3.Or(z3.Not(m), b) for m, b in zip(masks, bodies, strict=True)], z3.BoolVal(True, self.c))
        nonempty = z3.Or(*masks) if masks else z3.BoolVal(False, self.c)
        if default is None and not z3.is_true(z3.simplify(nonempty)):
            self.need(nonempty, e, f"{op} over an empty set")
        if op in ("max", "min", "argmax", "argmin"):
            better = (lambda a, b: a > b) if op in ("max", "argmax") else (lambda a, b: a < b)
            not_worse = (lambda a, b: a >= b) if op in ("max", "argmax") else (lambda a, b: a <= b)
            wins = []  # element k is chosen: selected, strictly better than earlier, not worse than later
            for k, (m, b) in enumerate(zip(masks, bodies, strict=True)):
                earlier = [z3.Not(z3.And(masks[j], not_worse(bodies[j], b))) for j in range(k)]
                later = [z3.Not(z3.And(masks[j], better(bodies[j], b))) for j in range(k + 1, len(masks))]
                wins.append(z3.And(m, *earlier, *later))
            picks = bodies if op in ("max", "min") else [z3.IntVal(c, self.c) for c in codes]
            if not picks:
                if default is None:
                    raise Unsupported(f"{op} over a set that is always empty{self.where(e)}")
                return default
            out = default if default is not None else picks[-1]
            for w, p in zip(reversed(wins), reversed(picks), strict=True):
                out = z3.If(w, p, out)
            return out
        if op == "median":
            if has_where:
                raise Unsupported(f"median with a 'where' filter{self.where(e)} is not encoded for SMT")
            target = (len(bodies) - 1) // 2
            out = bodies[-1]
            for k in reversed(range(len(bodies))):
                rank = sum((z3.If(bodies[j] <= bodies[k] if j < k else bodies[j] < bodies[k], 1, 0)
                            for j in range(len(bodies)) if j != k), z3.IntVal(0, self.c))
                out = z3.If(rank == target, bodies[k], out)
            return out
        raise Unsupported(f"aggregate {op}{self.where(e)} is not encoded for SMT")


class SmtChecker:
    """Decide properties over the whole declared type space with z3."""

    PROPERTIES = ("dsic", "eps_dsic", "ex_post_ir", "weak_budget_balance", "strong_budget_balance",
                  "no_positive_transfers", "efficient", "monotone", "feasible")

    def __init__(self, model: Model, timeout_s: float = DEFAULT_TIMEOUT_S, budget: int = DEFAULT_BUDGET):
        self.model = model
        self.timeout_ms = int(timeout_s * 1000)
        self.budget = min(int(budget), 2**32 - 1)  # z3's rlimit is an unsigned 32-bit parameter
        self.n = model.n_agents
        self.c = z3.Context()

    def translator(self) -> Translator:
        return Translator(self.model, self.c)

    # ---- variables
    def _var(self, name: str, ts: TypeSpace):
        k = len(ts.items) if ts.items is not None else 1
        terms, cons = [], []
        for c in range(k):
            if ts.symbolic:
                v = z3.Int(f"{name}_{c}", self.c)
                cons.append(z3.Or(*[v == code for code in ts.values]))
            else:
                v = z3.Real(f"{name}_{c}", self.c)
                if ts.continuous:  # an infinite end has no bound
                    cons += [v >= _q(ts.lo, self.c)] if ts.lo is not None else []
                    cons += [v <= _q(ts.hi, self.c)] if ts.hi is not None else []
                else:
                    cons.append(z3.Or(*[v == _q(x, self.c) for x in ts.values]))
            terms.append(v)
        return terms, cons

    def profile(self, tag: str):
        terms, cons = [], []
        for a, ts in enumerate(self.model.type_spaces):
            t, c = self._var(f"{tag}{a}", ts)
            terms.append(t)
            cons += c
        return terms, cons

    # ---- solving
    def solver(self) -> z3.Solver:
        """A solver bounded by the work budget (deterministic) and the wall-clock safety net."""
        s = z3.Solver(ctx=self.c)
        s.set("rlimit", self.budget)
        s.set("timeout", self.timeout_ms)
        return s

    def gave_up(self, reason: str | None) -> str:
        """Why z3 answered unknown, telling the deterministic budget from the wall-clock safety net."""
        reason = reason or ""
        if "resource limit" in reason:
            return f"z3 spent its work budget of {self.budget:,} rlimit units on one query (raise it with --smt-budget)"
        if "timeout" in reason or "canceled" in reason:
            return (f"z3 hit the wall-clock safety net after {self.timeout_ms / 1000:g} s before spending its work "
                    f"budget of {self.budget:,} rlimit units (--timeout; unlike the budget, this can depend on the "
                    "machine's load)")
        return f"z3 gave up ({reason})"

    def solve(self, tr: Translator, goal, cons, what: str):
        s = self.solver()
        s.add(*cons, *tr.side, goal)
        res = s.check()
        reason = None
        if res == z3.unknown:
            reason = s.reason_unknown()
        return res, (s.model() if res == z3.sat else None), reason

    def values(self, model, terms) -> list:
        out = []
        for a, tt in enumerate(terms):
            ts = self.model.type_spaces[a]
            vals = []
            for t in tt:
                v = model.eval(t, model_completion=True)
                vals.append(int(v.as_long()) if ts.symbolic else _to_fraction(v))
            out.append(vals)
        return out

    def label(self, a: int, vals: list) -> str:
        ts = self.model.type_spaces[a]
        if ts.symbolic:
            names = {c: s for s, c in self.model.symbols.items()}
            parts = [names.get(v, str(v)) for v in vals]
        else:
            parts = [_fmt(v) for v in vals]
        return parts[0] if len(parts) == 1 else "(" + ", ".join(parts) + ")"

    # ---- exact re-check with the evaluator
    def evaluation(self, profile_vals: list, true: dict | None = None) -> Evaluation:
        tables, reports, trues = [], [], {}
        for a, vals in enumerate(profile_vals):
            rows = [vals] + ([true[a]] if true and a in true else [])
            tab = np.empty((len(rows), len(vals)), dtype=object if not self.model.type_spaces[a].symbolic else np.int64)
            for r, row in enumerate(rows):
                for c, v in enumerate(row):
                    tab[r, c] = v
            tables.append(tab)
            reports.append(np.array([0]))
            if true and a in true:
                trues[a] = np.array([1])
        return Evaluation(self.model, tables, reports, exact=True, true_types=trues)

    def exact(self, profile_vals, fn, true=None):
        ev = self.evaluation(profile_vals, true)
        return np.asarray(fn(ev)).reshape(-1)[0]

    def utility_term(self, tr: Translator, ctx: Context, a: int):
        return tr.z(self.model.utility, {self.model.utility_var: self.model.agents.codes[a]}, ctx)

    # ---- properties
    def check(self, req: Requirement) -> PropertyResult:
        fn = getattr(self, "prop_" + req.name)
        self.c = z3.Context()  # fresh per property: the answer must not depend on earlier queries
        try:
            res = fn(req)
        except Unsupported as e:
            return PropertyResult(req.label, "unknown", "smt", f"not encodable for SMT: {e}")
        return res

    def require_defined(self, req, tr: Translator, cons, payload) -> PropertyResult | None:
        """Ask z3 whether a value the property reads can be undefined on the declared space. If it
        can, the spec is invalid there: an EvalError naming the point and the rule (never a proof
        over the defined points only). None when every value is defined; ``unknown`` when z3 cannot
        tell."""
        if not tr.side:
            return None
        s = self.solver()
        s.add(*cons, z3.Not(z3.And(*tr.side)))
        res = s.check()
        if res == z3.unsat:
            return None
        if res == z3.unknown:
            return PropertyResult(req.label, "unknown", "smt", "z3 could not show that every value the property reads "
                                  f"is defined ({self.gave_up(s.reason_unknown())}); nothing is proved over undefined "
                                  "values")
        model = s.model()
        node, why = next(w for c, w in zip(tr.side, tr.side_why, strict=True)
                         if z3.is_false(model.eval(c, model_completion=True)))
        span = tr.spans.get(node) if node is not None else None
        raise EvalError(f"{req.label} reads a value that is undefined ({why}) at {self._witness(model, payload)}",
                        span or req.span, undefined_hint(why))

    def _witness(self, model, payload) -> str:
        """The point z3 found, in the spec's terms: the reports, and the extra own value a goal uses."""
        reports = [self._var(f"r{a}", ts)[0] for a, ts in enumerate(self.model.type_spaces)]
        text = "reports " + self._profile_text(self.values(model, reports))
        if isinstance(payload, tuple):
            a = payload[0]
            names = {d.name() for d in model.decls()}
            for tag, what in (("t", "true type"), ("h", "higher report")):
                if f"{tag}_0" in names:
                    own = self._var(tag, self.model.type_spaces[a])[0]
                    text += f" with agent {self.model.agent_label(a)}'s {what} {self.label(a, self.values(model, [own])[0])}"
        return text

    def _decide(self, req, per_agent_goals, describe, what: str) -> PropertyResult:
        """per_agent_goals: list of (translator, goal, constraints, payload) for each case to refute."""
        for tr, goal, cons, payload in per_agent_goals:
            undecided = self.require_defined(req, tr, cons, payload)
            if undecided is not None:
                return undecided
            res, model, reason = self.solve(tr, goal, cons, what)
            if res == z3.sat:
                cx = describe(model, payload)
                if cx is None:
                    return PropertyResult(req.label, "unknown", "smt",
                                          "z3 found a violation the exact re-check does not confirm", None)
                return PropertyResult(req.label, "violated", "smt",
                                      "z3 found a violation over the whole type space; re-checked in exact "
                                      "rational arithmetic", cx)
            if res == z3.unknown:
                why = self.gave_up(reason)
                if tr.nonlinear:
                    why = f"nonlinear term {tr.nonlinear[0]}: outside linear real arithmetic; " + why
                return PropertyResult(req.label, "unknown", "smt", why)
        nl = "" if not any(t[0].nonlinear for t in per_agent_goals) else " (nonlinear real arithmetic)"
        return PropertyResult(req.label, "proved", "smt",
                              f"{what} holds for every point of the declared type space: z3 found no violation "
                              f"(unsat){nl}")

    def prop_dsic(self, req):
        eps = req.args[0] if req.args else Fraction(0)
        goals = []
        for a in range(self.n):
            tr = self.translator()
            reports, cons = self.profile("r")
            t, tc = self._var("t", self.model.type_spaces[a])
            lie = list(reports)
            truthful = list(reports)
            truthful[a] = t
            u_t = self.utility_term(tr, Context(truthful, {a: t}, {}), a)
            u_l = self.utility_term(tr, Context(lie, {a: t}, {}), a)
            goals.append((tr, u_l - u_t > _q(eps, self.c), cons + tc, (a, reports, t)))

        def describe(model, payload):
            a, reports, t = payload
            rv, tv = self.values(model, reports), self.values(model, [t])[0]
            truthful = list(rv)
            truthful[a] = tv
            u_t = self.exact(truthful, lambda ev: ev.eval(self.model.utility, {self.model.utility_var: self.model.agents.codes[a]}), {a: tv})
            u_l = self.exact(rv, lambda ev: ev.eval(self.model.utility, {self.model.utility_var: self.model.agents.codes[a]}), {a: tv})
            if not u_l - u_t > eps:
                return None
            m = self.model
            others = {m.agent_label(j): self.label(j, rv[j]) for j in range(self.n) if j != a}
            fields = {"agent": m.agent_label(a), "true_type": self.label(a, tv), "misreport": self.label(a, rv[a]),
                      "others_reports": others, "utility_truthful": float(u_t), "utility_misreport": float(u_l),
                      "gain": float(u_l - u_t),
                      "exact_values": {"utility_truthful": _fmt(u_t), "utility_misreport": _fmt(u_l),
                                       "gain": _fmt(u_l - u_t)}}
            oth = ", ".join(f"{k}: {v}" for k, v in others.items())
            summary = (f"agent {fields['agent']} with true type {fields['true_type']} gains {_fmt(u_l - u_t)} by "
                       f"reporting {fields['misreport']} instead of the truth (utility {_fmt(u_t)} -> {_fmt(u_l)})"
                       + (f" when the others report {oth}" if oth else ""))
            return Counterexample("misreport", fields, summary, True)

        return self._decide(req, goals, describe, req.label)

    prop_eps_dsic = prop_dsic

    def _profile_prop(self, req, build, describe, what):
        tr = self.translator()
        reports, cons = self.profile("r")
        ctx = Context(reports, {}, {})
        goal = build(tr, ctx)
        return self._decide(req, [(tr, goal, cons, reports)], lambda mdl, rep: describe(self.values(mdl, rep)), what)

    def _profile_cx(self, vals, summary_fn, fields_fn):
        return Counterexample("profile", fields_fn(vals), summary_fn(vals), True)

    def _profile_text(self, vals) -> str:
        return "(" + ", ".join(self.label(a, v) for a, v in enumerate(vals)) + ")"

    def _profile_fields(self, vals) -> dict:
        return {self.model.agent_label(a): self.label(a, v) for a, v in enumerate(vals)}

    def prop_ex_post_ir(self, req):
        m = self.model

        def build(tr, ctx):
            return z3.Or(*[self.utility_term(tr, ctx, a) < 0 for a in range(self.n)])

        def describe(vals):
            for a in range(self.n):
                u = self.exact(vals, lambda ev, a=a: ev.eval(m.utility, {m.utility_var: m.agents.codes[a]}))
                if u < 0:
                    f = {"agent": m.agent_label(a), "types": self._profile_fields(vals), "utility": float(u),
                         "exact_values": {"utility": _fmt(u)}}
                    return Counterexample("profile", f, f"agent {f['agent']} gets utility {_fmt(u)} < 0 when the types "
                                                        f"are {self._profile_text(vals)} and everyone reports truthfully", True)
            return None

        return self._profile_prop(req, build, describe, "ex_post_ir")

    def _pay(self, tr, ctx, a):
        return tr.ref("pay", (self.model.agents.codes[a],), ctx)

    def _bb(self, req, strong):
        m = self.model

        def build(tr, ctx):
            total = sum((self._pay(tr, ctx, a) for a in range(self.n)), z3.RealVal(0, self.c))
            return total != 0 if strong else total < 0

        def describe(vals):
            s = sum(self.exact(vals, lambda ev, a=a: ev.ref("pay", (m.agents.codes[a],))) for a in range(self.n))
            if (s == 0) if strong else not s < 0:
                return None
            f = {"reports": self._profile_fields(vals), "total_payment": float(s), "exact_values": {"total_payment": _fmt(s)}}
            return Counterexample("profile", f, f"at reports {self._profile_text(vals)} the payments sum to {_fmt(s)} "
                                                f"{'!= 0' if strong else '< 0'}", True)

        return self._profile_prop(req, build, describe, req.label)

    def prop_weak_budget_balance(self, req):
        return self._bb(req, False)

    def prop_strong_budget_balance(self, req):
        return self._bb(req, True)

    def prop_no_positive_transfers(self, req):
        m = self.model

        def build(tr, ctx):
            return z3.Or(*[self._pay(tr, ctx, a) < 0 for a in range(self.n)])

        def describe(vals):
            for a in range(self.n):
                v = self.exact(vals, lambda ev, a=a: ev.ref("pay", (m.agents.codes[a],)))
                if v < 0:
                    f = {"agent": m.agent_label(a), "reports": self._profile_fields(vals), "pay": float(v),
                         "exact_values": {"pay": _fmt(v)}}
                    return Counterexample("profile", f, f"agent {f['agent']} is paid {_fmt(-v)} (pay {_fmt(v)} < 0) "
                                                        f"at reports {self._profile_text(vals)}", True)
            return None

        return self._profile_prop(req, build, describe, req.label)

    def prop_efficient(self, req):
        m = self.model

        def build(tr, ctx):
            return tr.z(m.welfare[0], {}, ctx) < tr.z(m.welfare[1], {}, ctx)

        def describe(vals):
            at = self.exact(vals, lambda ev: ev.eval(m.welfare[0], {}))
            best = self.exact(vals, lambda ev: ev.eval(m.welfare[1], {}))
            if not at < best:
                return None
            f = {"types": self._profile_fields(vals), "welfare_chosen": float(at), "welfare_better": float(best),
                 "exact_values": {"welfare_chosen": _fmt(at), "welfare_better": _fmt(best)}}
            return Counterexample("profile", f, f"at types {self._profile_text(vals)} (reported truthfully) the chosen "
                                                f"outcome has welfare {_fmt(at)} but another gives {_fmt(best)}", True)

        return self._profile_prop(req, build, describe, "efficient")

    def prop_feasible(self, req):
        m = self.model

        def build(tr, ctx):
            return z3.Or(*[z3.Not(tr.z(c.expr, {}, ctx)) for c in m.constraints])

        def describe(vals):
            for c in m.constraints:
                if not self.exact(vals, lambda ev, c=c: ev.eval(c.expr, {})):
                    f = {"constraint_line": c.span.line, "reports": self._profile_fields(vals)}
                    return Counterexample("profile", f, f"the constraint at line {c.span.line} fails at reports "
                                                        f"{self._profile_text(vals)}", True)
            return None

        return self._profile_prop(req, build, describe, "feasible")

    def prop_monotone(self, req):
        m = self.model
        goals = []
        for a in range(self.n):
            tr = self.translator()
            reports, cons = self.profile("r")
            hi, hc = self._var("h", m.type_spaces[a])
            higher = list(reports)
            higher[a] = hi
            x_lo = tr.ref("x", (m.agents.codes[a],), Context(reports, {}, {}))
            x_hi = tr.ref("x", (m.agents.codes[a],), Context(higher, {}, {}))
            goals.append((tr, z3.And(reports[a][0] < hi[0], x_hi < x_lo), cons + hc, (a, reports, hi)))

        def describe(model, payload):
            a, reports, hi = payload
            rv, hv = self.values(model, reports), self.values(model, [hi])[0]
            higher = list(rv)
            higher[a] = hv
            code = m.agents.codes[a]
            x_lo = self.exact(rv, lambda ev: ev.ref("x", (code,)))
            x_hi = self.exact(higher, lambda ev: ev.ref("x", (code,)))
            if not x_hi < x_lo:
                return None
            f = {"agent": m.agent_label(a), "lower_report": self.label(a, rv[a]), "higher_report": self.label(a, hv),
                 "x_lower": float(x_lo), "x_higher": float(x_hi),
                 "others_reports": {m.agent_label(j): self.label(j, rv[j]) for j in range(self.n) if j != a},
                 "exact_values": {"x_lower": _fmt(x_lo), "x_higher": _fmt(x_hi)}}
            return Counterexample("profile", f, f"agent {f['agent']}'s allocation drops from {_fmt(x_lo)} to {_fmt(x_hi)} "
                                                f"when the report rises from {f['lower_report']} to {f['higher_report']}", True)

        return self._decide(req, goals, describe, "monotone")


def check_smt(model: Model, req: Requirement, timeout_s: float = DEFAULT_TIMEOUT_S,
              budget: int = DEFAULT_BUDGET) -> PropertyResult | None:
    """Decide one property with z3, or None when the SMT back end does not handle that property."""
    if req.name not in SmtChecker.PROPERTIES:
        return None
    if model.transcendental:
        return PropertyResult(req.label, "unknown", "smt",
                              "the spec uses exp/log/sqrt or non-integer powers: outside real arithmetic")
    return SmtChecker(model, timeout_s, budget).check(req)
