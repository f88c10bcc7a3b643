"""Symbolic back end (sympy): Myerson's characterisation for single-parameter domains.

For each agent the utility is inlined into one closed sympy expression in the agent's true type t
and the reports b (definitions substituted, aggregates over finite sets unrolled). When it has
the single-parameter form u = t * X(b) - P(b) with X and P smooth in the agent's own report, the
mechanism is DSIC if and only if (Myerson 1981)

    X is non-decreasing in b_i, and  P(b) = b_i X(b) - integral_lo^b_i X(z, b_-i) dz + h(b_-i),

equivalently dP/db_i = b_i dX/db_i. Both are checked symbolically (sympy simplification and its
sign assumptions over non-negative reals), which covers smooth rules with log/exp/sqrt that SMT
cannot encode. The back end only ever says ``proved``; anything else is left to the others.
Nothing is proved over an undefined value: every log, division and fractional power in the
inlined utility must be shown defined on the whole declared space (from the sign assumptions
of the types: positive when the interval starts above 0), else the answer is ``unknown``.
"""

from __future__ import annotations

import itertools

import sympy
from sympy.functions.elementary.piecewise import ExprCondPair

from ..model.model import Model, Requirement
from ..model.nodes import NamedSet, NoneConst, RangeSet, ReportVal
from ..report import PropertyResult

_PIECEWISE = (sympy.Piecewise, sympy.Max, sympy.Min, sympy.Abs, sympy.Heaviside)
_RAW = (sympy.And, sympy.Or, sympy.Not, sympy.Max, sympy.Min, ExprCondPair)  # assembled without canonicalisation


class NotApplicable(Exception):
    pass


class Inliner:
    """Model expression -> closed sympy expression in symbols for reports and one true type."""

    def __init__(self, model: Model, reports: list, true: dict, evaluate: bool = True):
        self.model = model
        self.evaluate = evaluate  # False: build nodes as they are (no sympy simplification, much faster)
        self.reports = reports  # per agent: a sympy expression, or {item code: expression} (vector types)
        self.true = true  # agent position -> sympy expression
        self.agent_pos = {c: k for k, c in enumerate(model.agents.codes)}
        self.memo: dict = {}

    def go(self, e, env):
        if e.is_Number or e in (sympy.true, sympy.false):
            return e
        for cls in type(e).__mro__:
            fn = getattr(self, "_i_" + cls.__name__, None)
            if fn is not None:
                return fn(e, env)
        if isinstance(e, sympy.Basic) and e.args:
            return self.build(e.func, *[self.go(a, env) for a in e.args])
        raise NotApplicable(type(e).__name__)

    def build(self, func, *args):
        """func(*args); without evaluation, branching nodes are assembled as they are (sympy's
        constructors canonicalise and rewrite conditions, which dominates on large rules)."""
        if self.evaluate:
            return func(*args)
        if func is sympy.Piecewise:
            return sympy.Basic.__new__(func, *[sympy.Basic.__new__(ExprCondPair, sympy.sympify(v), sympy.sympify(c))
                                               for v, c in args])
        if func in _RAW:
            return sympy.Basic.__new__(func, *[sympy.sympify(a) for a in args])
        try:
            return func(*args, evaluate=False)
        except TypeError:  # a class without the keyword
            return func(*args)

    def _i_ParamSymbol(self, e, env):
        ptype, value = self.model.params[e.name]
        return sympy.true if value is True else sympy.false if value is False else sympy.Rational(value)

    def _i_IndexVar(self, e, env):
        return sympy.Integer(env[e])

    def _i_SymConst(self, e, env):
        return sympy.Integer(self.model.symbols[e.name])

    def _i_TypeVal(self, e, env):
        agent = self.go(e.agent, env)
        if not agent.is_Integer:
            raise NotApplicable("a computed agent index")
        pos = self.agent_pos[int(agent)]
        value = self.true[pos] if not isinstance(e, ReportVal) and pos in self.true else self.reports[pos]
        if not e.items:
            return value
        if not isinstance(value, dict):  # vector types need one expression per item
            raise NotApplicable("vector types")
        item = self.go(e.items[0], env)
        if not item.is_Integer or int(item) not in value:
            raise NotApplicable("a computed item index")
        return value[int(item)]

    def _i_DefRef(self, e, env):
        idx = [self.go(a, env) for a in e.index]
        if not all(i.is_Integer for i in idx):
            raise NotApplicable("a computed index")
        key = (e.name, tuple(int(i) for i in idx))
        if key not in self.memo:
            d = self.model.defs[e.name]
            self.memo[key] = self.go(d.body, dict(zip(d.index_vars, key[1], strict=True)))
        return self.memo[key]

    def _codes(self, s):
        if isinstance(s, NamedSet):
            return self.model.sets[s.name].codes
        if isinstance(s, RangeSet):
            lo, hi = (int(self.go(b, {})) for b in s.args)
            return tuple(range(lo, hi + 1))
        raise NotApplicable("set")

    def _i_Aggregate(self, e, env):
        op = e.op
        items = []
        for combo in itertools.product(*(self._codes(s) for s in e.sets)):
            inner = dict(env)
            inner.update(zip(e.vars, combo, strict=True))
            m = sympy.true
            if e.where is not sympy.true:  # filters are decided here when they read only indices
                evaluate, self.evaluate = self.evaluate, True
                try:
                    m = self.go(e.where, inner)
                finally:
                    self.evaluate = evaluate
            if m is sympy.false:
                continue
            body = None if isinstance(e.body, NoneConst) else self.go(e.body, inner)
            items.append((m, body, combo[0]))
        if not items and op in ("max", "min") and not isinstance(e.default, NoneConst):
            return self.go(e.default, env)  # an empty set (the filter selects nothing): the default
        B = self.build

        def pick(b, m, other):
            return b if m is sympy.true else B(sympy.Piecewise, (b, m), (other, True))

        if op == "sum":
            return B(sympy.Add, *[pick(b, m, 0) for m, b, _ in items])
        if op == "count":
            return B(sympy.Add, *[pick(1, m, 0) for m, _, _ in items])
        if op == "prod":
            return B(sympy.Mul, *[pick(b, m, 1) for m, b, _ in items])
        if all(m is sympy.true for m, _, _ in items) and items:
            if op == "max":
                return B(sympy.Max, *[b for _, b, _ in items])
            if op == "min":
                return B(sympy.Min, *[b for _, b, _ in items])
            if op in ("argmax", "argmin"):
                ge, gt = (sympy.Ge, sympy.Gt) if op == "argmax" else (sympy.Le, sympy.Lt)
                pieces = []
                for k, (_, b, c) in enumerate(items):
                    cond = B(sympy.And, *[B(sympy.Not, B(ge, items[j][1], b)) for j in range(k)],
                             *[B(sympy.Not, B(gt, items[j][1], b)) for j in range(k + 1, len(items))])
                    pieces.append((sympy.Integer(c), cond))
                pieces[-1] = (pieces[-1][0], True)
                return B(sympy.Piecewise, *pieces)
        raise NotApplicable(f"{op} with a report-dependent filter")


def _smooth(expr) -> bool:
    return not any(isinstance(n, _PIECEWISE) for n in sympy.preorder_traversal(expr))


def undefined_at_some_point(expr) -> str | None:
    """The first subexpression of ``expr`` that sympy cannot show defined for every value of its
    symbols (log of a possibly non-positive number, a possibly zero denominator, a fractional power
    of a possibly negative number), or None when all are."""
    for node in sympy.preorder_traversal(expr):
        if isinstance(node, sympy.log) and node.args[0].is_positive is not True:
            return f"log({node.args[0]}) needs {node.args[0]} > 0"
        if isinstance(node, sympy.Pow):
            base, ex = node.args
            if ex.is_negative and base.is_zero is not False:
                return f"{node} needs {base} != 0"
            if ex.is_integer is not True and base.is_nonnegative is not True:
                return f"{node} needs {base} >= 0"
    return None


class SymbolicChecker:
    def __init__(self, model: Model):
        self.model = model
        self.n = model.n_agents

    def applicable(self) -> str | None:
        """Why the characterisation does not apply, or None."""
        m = self.model
        if m.utility is None:
            return "no utility"
        for ts in m.type_spaces:
            if ts.items is not None or ts.symbolic or not ts.continuous:
                return "the symbolic back end handles one real type per agent"
        return None

    @staticmethod
    def sign(ts, strict: bool = True) -> dict:
        """What sympy may assume about a value of the interval ``ts``; ``strict``: that it is
        positive when the interval starts above 0 (what shows log(b) and 1/b defined)."""
        if ts.lo is None:  # unbounded below
            return {}
        return {"positive": True} if strict and ts.lo > 0 else {"nonnegative": True} if ts.lo >= 0 else {}

    def symbols(self, strict: bool = False):
        return [sympy.Symbol(f"b{k + 1}", real=True, **self.sign(ts, strict))
                for k, ts in enumerate(self.model.type_spaces)]

    def decompose(self, a: int):
        """(X, P, b, t): u = t X(b) - P(b) for agent a, or NotApplicable with the reason."""
        b = self.symbols(strict=True)
        ts = self.model.type_spaces[a]
        t = sympy.Symbol("t", real=True, **self.sign(ts))
        inl = Inliner(self.model, b, {a: t})
        u = inl.go(self.model.utility, {self.model.utility_var: self.model.agents.codes[a]})
        why = undefined_at_some_point(u)
        if why is not None:
            raise NotApplicable(f"the utility may be undefined on the declared space: {why}")
        X = sympy.diff(u, t)
        if sympy.simplify(sympy.diff(X, t)) != 0:
            raise NotApplicable("the utility is not linear in the agent's own type")
        P = sympy.simplify(t * X - u)
        if P.has(t):
            raise NotApplicable("payments depend on the true type")
        if not (_smooth(X) and _smooth(P)):
            raise NotApplicable("the rules are piecewise (the SMT back end decides those)")
        return X, P, b, t

    def check(self, req: Requirement) -> PropertyResult | None:
        if req.name not in ("dsic", "monotone"):
            return None
        why = self.applicable()
        if why is not None:
            return None
        proofs = []
        for a in range(self.n):
            try:
                X, P, b, t = self.decompose(a)
            except NotApplicable as e:
                return PropertyResult(req.label, "unknown", "symbolic", f"Myerson's characterisation does not apply: {e}")
            ba = b[a]
            slope = sympy.simplify(sympy.diff(X, ba))
            if slope.is_nonnegative is not True:
                return PropertyResult(req.label, "unknown", "symbolic",
                                      f"could not show that x of agent {self.model.agent_label(a)} is non-decreasing "
                                      f"in its report: d x/d b = {slope}")
            if req.name == "dsic":
                envelope = sympy.simplify(sympy.diff(P, ba) - ba * sympy.diff(X, ba))
                if envelope != 0:
                    return PropertyResult(req.label, "unknown", "symbolic",
                                          f"payments of agent {self.model.agent_label(a)} do not satisfy Myerson's "
                                          f"payment identity: dP/db - b dX/db = {envelope}")
            proofs.append(f"agent {self.model.agent_label(a)}: dx/db = {slope} >= 0")
        what = ("x non-decreasing in the own report and payments equal to b*x(b) - integral of x "
                "(Myerson's characterisation)" if req.name == "dsic" else "x non-decreasing in the own report")
        return PropertyResult(req.label, "proved", "symbolic",
                              f"{what}, shown symbolically for every real type; " + "; ".join(proofs))


def check_symbolic(model: Model, req: Requirement) -> PropertyResult | None:
    return SymbolicChecker(model).check(req)
