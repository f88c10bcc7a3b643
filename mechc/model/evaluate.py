"""Evaluate Model expressions on many report profiles at once, as numpy arrays.

One walker, table-dispatched on the sympy class (``_ev_<Class>``), serves two arithmetics:
float64 arrays (the fast path) and object arrays of ``Fraction`` (exact, for small spaces and for
re-checking counterexamples). Reports are integer index arrays into each agent's type table, with
any broadcastable shapes, so the same code evaluates a flat chunk of profiles or a
(true type x misreport x others) block.

Both branches of an ``if`` are evaluated (arrays), so undefined values (division by zero, max over
an empty set without ``default``, log of 0, exp overflow) become NaN or +-inf and are reported only
if they reach a result: ``require_finite`` is the one rule every back end applies to the values
it reads (a utility, a payment, a measure...), and it names the profile and the rule that produced
the value. Floating-point events are captured with ``np.errstate``, never printed.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable
from fractions import Fraction

import numpy as np
import sympy

from .. import runtime
from ..errors import EvalError, Span
from .model import NONE_CODE, FiniteSet, Model
from .nodes import (
    NamedSet,
    NoneConst,
    RangeSet,
    ReportVal,
)


def _is_scalar(x) -> bool:
    return not isinstance(x, np.ndarray) or x.ndim == 0


def nonfinite(a) -> np.ndarray:
    """Mask of the undefined (NaN) or infinite entries of a float, object (Fraction) or integer array."""
    a = np.asarray(a)
    if a.dtype.kind == "f":
        return ~np.isfinite(a)
    if a.dtype == object:  # Fractions, and floats where exp/log ran in an exact evaluation
        return (a != a) | (a == math.inf) | (a == -math.inf)  # NaN is the only value unequal to itself
    return np.zeros(a.shape, bool)


# what to do about a value that is undefined or infinite, by the reason recorded where it was made
UNDEFINED_HINTS = {
    "log": "guard it with 'if': if b[i] > 0 then log(b[i]) else 0",
    "exp": "float64 overflows above exp(709): keep exp's argument small, or guard it with 'if'",
    "division": "guard the division: if d > 0 then 1 / d else 0",
    "power": "guard the base: if x > 0 then x ^ (1/2) else 0",
    "empty": "give the aggregate a default: max(j in S where ..., b[j], default 0)",
    "index": "keep computed indices inside their set, or guard them with 'if'",
    "condition": "guard the compared value itself, so that the condition compares numbers",
    "overflow": "the values exceed the float64 range (about 1.8e308): rescale them",
}


def undefined_hint(why: str) -> str:
    for key, hint in UNDEFINED_HINTS.items():
        if key in why:
            return hint
    return "guard the value with 'if', or give aggregates over possibly empty sets a default"


def _hit(mask, shape, flat: int) -> bool:
    """Whether a site's mask, broadcast to a result's shape, is set at the result's flat index."""
    try:
        return bool(np.broadcast_to(mask, shape).reshape(-1)[flat])
    except ValueError:  # a mask of another shape (an aggregate's element)
        return False


class Evaluation:
    """One evaluation context: reports (and optionally one agent's true type) plus a cache."""

    def __init__(self, model: Model, tables: list[np.ndarray], reports: list, exact: bool = False,
                 true_types: dict[int, np.ndarray] | None = None, cache: dict | None = None):
        self.model = model
        self.tables = tables  # per agent: (T, K) values (float, object or int codes)
        self.reports = reports  # per agent: index array into its table
        self.true_types = true_types or {}
        self.exact = exact
        self.cache = {} if cache is None else cache
        self.agent_pos = {c: k for k, c in enumerate(model.agents.codes)} if model.agents is not None else {}
        self.item_pos = ({c: k for k, c in enumerate(model.type_spaces[0].items.codes)}
                         if model.type_spaces and model.type_spaces[0].items is not None else {None: 0})
        self.undefined: dict[Span | None, str] = {}
        self._sites: list[tuple[Span | None, str, np.ndarray]] = []  # (where, why, mask) per recorded site
        self.fp_events: set[str] = set()  # numpy floating-point events seen (overflow, divide by zero, invalid)
        self._depth = 0
        self.inexact = False
        self._outcome_tables: dict[str, np.ndarray] = {}

    # ---- helpers
    def const(self, q):
        if self.exact:
            return Fraction(int(q.p), int(q.q)) if q.is_Rational else Fraction(float(q))
        return float(q)

    def to_float(self, a):
        if self.exact:
            self.inexact = True
            return np.asarray(a, dtype=object).astype(float)
        return a

    def note_undefined(self, node, mask, why: str) -> None:
        if np.any(mask):
            span = self.model.extra.get("spans", {}).get(node)
            self.undefined.setdefault(span, why)
            self._sites.append((span, why, np.asarray(mask)))

    def _fp_event(self, kind: str, flag: int) -> None:
        self.fp_events.add(kind)

    @property
    def maybe_nonfinite(self) -> bool:
        """Whether any value computed so far may be NaN or +-inf (a recorded site or a float event)."""
        return bool(self._sites or self.fp_events)

    def require_finite(self, arr, what: str, profile_of: Callable[[int], str], span: Span | None = None) -> None:
        """The one rule for results: an undefined (NaN) or infinite value that reaches ``what`` is an
        EvalError naming the profile (``profile_of(flat index into arr)``) and the rule that produced
        it: the recorded site undefined at that profile (log, exp, division, empty aggregate, index),
        else ``span`` (the result's own rule, for a float64 overflow in plain arithmetic)."""
        a = np.asarray(arr)
        if a.dtype.kind not in "fO":
            return
        bad = nonfinite(a)
        if not bad.any():
            return
        flat = int(np.argmax(bad.reshape(-1)))
        value = a.reshape(-1)[flat]
        kind = "undefined" if value != value else f"infinite ({'+' if value > 0 else '-'}inf)"
        site = next(((sp, why) for sp, why, mask in self._sites if _hit(mask, a.shape, flat)), None)
        overflow = "overflow" in self.fp_events
        if site is None and self._sites and not (overflow and kind != "undefined"):
            site = self._sites[0][:2]  # a site whose mask has another shape (an element of an aggregate)
        if site is None:
            site = (span, "float64 overflow" if overflow else "undefined arithmetic (inf - inf or 0 * inf)")
        raise EvalError(f"{what} is {kind} ({site[1]}) at {profile_of(flat)}",
                        site[0] if site[0] is not None else span, undefined_hint(site[1]))

    def elem(self, fs: FiniteSet, code):
        """The value an index variable takes for the element ``code`` of ``fs``. Elements of a number
        set are numbers of this evaluation's arithmetic: Fractions when exact, else the literals the
        generated code uses (int when integral, float otherwise); other codes are used as they are."""
        if fs.kind != "num":
            return code
        if self.exact:
            return Fraction(code)
        return int(code) if code.denominator == 1 else float(code)

    def code_of(self, fs: FiniteSet, value):
        """The element code of ``fs`` an evaluated scalar index ``value`` denotes (the inverse of elem)."""
        if fs.kind != "num":
            return int(value)
        for c in fs.codes:
            if self.elem(fs, c) == value:
                return c
        return value  # matches no element: ref() reports the index as out of range

    def set_codes(self, s) -> tuple:
        if isinstance(s, NamedSet):
            fs = self.model.sets[s.name]
            return tuple(self.elem(fs, c) for c in fs.codes) if fs.kind == "num" else fs.codes
        if isinstance(s, RangeSet):
            lo, hi = (int(self.eval(b, {})) for b in s.args)
            return tuple(range(lo, hi + 1))
        raise AssertionError(s)

    # ---- dispatch
    def eval(self, e, env: dict):
        """The value of ``e`` on this context's profiles. The outermost call captures numpy's
        floating-point events (recorded in ``fp_events``, never printed as warnings)."""
        if self._depth:
            return self._dispatch(e, env)
        self._depth += 1
        try:
            with np.errstate(all="call", under="ignore", call=self._fp_event):
                return self._dispatch(e, env)
        finally:
            self._depth -= 1

    def _dispatch(self, e, env: dict):
        if e.is_Number:
            return self.const(e)
        if e is sympy.true:
            return True
        if e is sympy.false:
            return False
        for cls in type(e).__mro__:
            fn = getattr(self, "_ev_" + cls.__name__, None)
            if fn is not None:
                return fn(e, env)
        raise AssertionError(f"no evaluation rule for {type(e).__name__}")

    def _ev_ParamSymbol(self, e, env):
        ptype, value = self.model.params[e.name]
        if ptype == "bool" or self.exact:
            return value
        return int(value) if ptype == "int" else float(value)

    def _ev_IndexVar(self, e, env):
        return env[e]

    def _ev_SymConst(self, e, env):
        return self.model.symbols[e.name]

    def _ev_NoneConst(self, e, env):
        return NONE_CODE

    def _fold(self, e, env, op):
        """Fold n-ary + or *. A child that is itself an Add or Mul returns a fresh temporary
        nobody else holds; when it already has the result's shape and dtype the fold accumulates
        into it instead of allocating (never into cached, table or caller-owned arrays)."""
        vals = [self.eval(a, env) for a in e.args]
        if not self.exact:
            shape = np.broadcast_shapes(*(np.shape(v) for v in vals))
            dtype = np.result_type(*vals)
            # two operands commute exactly in IEEE arithmetic; with more, only the first may hold the
            # accumulator so the association stays left to right (as generated code computes it)
            candidates = enumerate(zip(e.args, vals, strict=True)) if len(vals) == 2 else [(0, (e.args[0], vals[0]))]
            for k, (node, v) in candidates:
                if (isinstance(node, sympy.Add | sympy.Mul) and isinstance(v, np.ndarray)
                        and v.shape == shape and v.dtype == dtype):
                    out = vals.pop(k)
                    for w in vals:
                        op(out, w, out=out)
                    return out
        out = op(vals[0], vals[1])
        for v in vals[2:]:
            out = op(out, v)
        return out

    def _ev_Add(self, e, env):
        return self._fold(e, env, np.add)

    def _ev_Mul(self, e, env):
        return self._fold(e, env, np.multiply)

    def _ev_Pow(self, e, env):
        base = self.eval(e.base, env)
        ex = e.exp
        k = None
        if ex.is_Integer:
            k = int(ex)
        elif not ex.is_Number:  # e.g. p^k with k an index: exact when k's value is an integer
            xv = self.eval(ex, env)
            if _is_scalar(xv) and float(xv) == int(float(xv)):
                k = int(float(xv))
        if k is not None:
            if k >= 0:
                return base**k
            out, zero = runtime.recip(np.asarray(base) ** (-k), self.exact)
            self.note_undefined(e, zero, "division by zero")
            return out
        with np.errstate(all="ignore"):
            b = np.asarray(self.to_float(base), dtype=float)
            x = self.eval(ex, env)
            out = np.power(b, np.asarray(self.to_float(x), dtype=float))
        self.note_undefined(e, ~np.isfinite(out), "power of a negative number or zero")
        return out

    def _ev_Abs(self, e, env):
        return np.abs(self.eval(e.args[0], env))

    def _transcendental(self, e, env, fn, why):
        with np.errstate(all="ignore"):
            out = fn(np.asarray(self.to_float(self.eval(e.args[0], env)), dtype=float))
        self.note_undefined(e, ~np.isfinite(out), why)
        return out

    def _ev_binomial(self, e, env):
        import math

        n, k = (self.eval(a, env) for a in e.args)
        out = np.vectorize(lambda a, b: math.comb(int(a), int(b)) if 0 <= int(b) <= int(a) else 0, otypes=[object])(n, k)
        return out if self.exact else out.astype(float)

    def _ev_exp(self, e, env):
        return self._transcendental(e, env, np.exp, "exp overflow")

    def _ev_log(self, e, env):
        return self._transcendental(e, env, np.log, "log of a number <= 0")

    def _reduce(self, fn, e, env):
        out = self.eval(e.args[0], env)
        for a in e.args[1:]:
            out = fn(out, self.eval(a, env))
        return out

    def _ev_Max(self, e, env):
        return self._reduce(np.maximum, e, env)

    def _ev_Min(self, e, env):
        return self._reduce(np.minimum, e, env)

    def _ev_And(self, e, env):
        return self._reduce(np.logical_and, e, env)

    def _ev_Or(self, e, env):
        return self._reduce(np.logical_or, e, env)

    def _ev_Not(self, e, env):
        return np.logical_not(self.eval(e.args[0], env))

    def _rel(fn):  # noqa: N805 - a small factory for the six comparisons
        def rule(self, e, env):
            return fn(self.eval(e.lhs, env), self.eval(e.rhs, env))
        return rule

    _ev_Equality = _rel(np.equal)
    _ev_Unequality = _rel(np.not_equal)
    _ev_StrictLessThan = _rel(np.less)
    _ev_LessThan = _rel(np.less_equal)
    _ev_StrictGreaterThan = _rel(np.greater)
    _ev_GreaterThan = _rel(np.greater_equal)

    def _ev_Piecewise(self, e, env):
        pairs = e.args
        out = self.eval(pairs[-1].expr, env)
        for pair in reversed(pairs[:-1]):
            cond = self.eval(pair.cond, env)
            out = np.where(cond, self.eval(pair.expr, env), out)
            if self.maybe_nonfinite:
                out = self._undefined_where(out, self._unknown_condition(pair.cond, env), pair.cond)
        return out

    def _unknown_condition(self, c, env):
        """Where a condition compares an undefined or infinite value (None: nowhere). Its truth
        there is not a fact about the spec's numbers, so the if it selects is undefined too."""
        if isinstance(c, sympy.core.relational.Relational):
            bad = nonfinite(self.eval(c.lhs, env)) | nonfinite(self.eval(c.rhs, env))
            return bad if bad.any() else None
        if isinstance(c, sympy.And | sympy.Or | sympy.Not):
            masks = [m for m in (self._unknown_condition(a, env) for a in c.args) if m is not None]
            return np.logical_or.reduce(np.broadcast_arrays(*masks)) if masks else None
        return None

    def _undefined_where(self, out, mask, node):
        if mask is None:
            return out
        out = np.asarray(out)
        if out.dtype.kind == "b":  # a bool if: no undefined bool; the comparison's NaN reads as false
            return out
        nan = np.nan
        if out.dtype.kind in "iu":
            out = out.astype(object if self.exact else float)
        self.note_undefined(node, mask, "a condition compares an undefined or infinite value")
        return np.where(mask, nan, out)

    # ---- types, reports, definitions, outcomes
    def _lookup(self, pos: int, item, true: bool):
        idx = self.true_types.get(pos) if true else None
        if idx is None:
            idx = self.reports[pos]
        col = self.tables[pos][:, self.item_pos[item]]
        return col[idx]

    def _ev_TypeVal(self, e, env):
        is_true = not isinstance(e, ReportVal)
        agent = self.eval(e.agent, env)
        item = self.eval(e.items[0], env) if e.items else None
        if not _is_scalar(item):
            return self._select(item, list(self.item_pos),
                                lambda c: self._ev_TypeVal(type(e)(e.args[0], e.agent, _Const(c)), env), e)
        if _is_scalar(agent):
            if int(agent) not in self.agent_pos:  # e.g. an aggregate over 0..n indexing agents 1..n
                raise EvalError(f"agent index {agent} is not one of the agents "
                                f"({self.model.agents.name})", self.model.extra.get("spans", {}).get(e),
                                "aggregate over the agents' own set when indexing types or reports")
            return self._lookup(self.agent_pos[int(agent)], item, is_true)
        return self._select(agent, list(self.agent_pos),
                            lambda c: self._lookup(self.agent_pos[c], item, is_true), e)

    def _select(self, key, codes, value_of, node):
        """Gather value_of(code) where key == code, for an array-valued index."""
        out, missing = runtime.select([key], [(c,) for c in codes], [value_of(c) for c in codes])
        if np.asarray(out).dtype.kind in "fO":
            self.note_undefined(node, missing, "index out of range")
        return out

    def _ev_StrategyTable(self, e, env):
        """Gather each profile's cell: the profile's row-major index from the strategy indices."""
        col = self.agent_pos[int(self.eval(e.player, env))]
        n = e.n_players
        vals = [self.eval(x, env) for x in e.entries[col::n]]
        table = np.array(vals, dtype=object if self.exact else float)
        flat = 0
        for r, t in zip(self.reports, self.tables, strict=True):
            flat = flat * len(t) + np.asarray(r)
        return table[flat]

    def _ev__Const(self, e, env):
        return e.value

    def _ev_DefRef(self, e, env):
        name = e.name
        d = self.model.defs[name]
        idx = [self.eval(a, env) for a in e.index]
        if all(_is_scalar(i) for i in idx):
            return self.ref(name, tuple(self.code_of(s, i) for s, i in zip(d.index_sets, idx, strict=True)))
        combos = list(itertools.product(*(s.codes for s in d.index_sets)))
        keys = [tuple(self.elem(s, c) for s, c in zip(d.index_sets, combo, strict=True)) for combo in combos]
        out, missing = runtime.select(idx, keys, [self.ref(name, combo) for combo in combos])
        if np.asarray(out).dtype.kind in "fO":
            self.note_undefined(e, missing, "index out of range")
        return out

    def ref(self, name: str, codes: tuple = ()):
        """The value of definition ``name`` at concrete index codes, evaluated once per context."""
        key = (name, codes)
        hit = self.cache.get(key)
        if hit is not None:
            return hit
        d = self.model.defs[name]
        for i, s in zip(codes, d.index_sets, strict=True):
            if i not in s.codes:
                raise EvalError(f"index {i} of '{name}' is outside {s.name}", d.span)
        if d.body is None:  # a decision of a design block: its solved values, by report profile
            table = self.model.extra.get("decided", {}).get((name, codes[0]))
            if table is None:
                raise EvalError(f"'{name}' is a decision variable of a design block: run 'mechc design'", d.span)
            val = np.asarray(table, dtype=object if self.exact else float)[tuple(np.asarray(r) for r in self.reports)]
            self.cache[key] = val
            return val
        env = {v: self.elem(s, c) for v, s, c in zip(d.index_vars, d.index_sets, codes, strict=True)}
        val = self.eval(d.body, env)
        self.cache[key] = val
        return val

    def outcome_table(self, oset: FiniteSet) -> np.ndarray:
        t = self._outcome_tables.get(oset.name)
        if t is None:
            t = np.array(oset.elements, dtype=np.int64).reshape(len(oset), len(oset.items))
            self._outcome_tables[oset.name] = t
        return t

    def _ev_Subscript(self, e, env):
        oset = self.model.sets[e.name]
        o = self.eval(e.outcome, env)
        k = self.eval(e.item, env)
        col = oset.items.codes.index(int(k))
        o = np.asarray(o)
        if o.dtype.kind in "fO":  # an outcome chosen by an undefined condition
            bad = nonfinite(o)
            self.note_undefined(e, bad, "an outcome chosen by an undefined condition")
            out = self.outcome_table(oset)[:, col][np.where(bad, 0, o).astype(np.int64)]
            return np.where(bad, np.nan, out) if bad.any() else out
        return self.outcome_table(oset)[:, col][o]

    # ---- aggregates
    def _ev_Aggregate(self, e, env):
        code_lists = [self.set_codes(s) for s in e.sets]
        has_where = e.where is not sympy.true
        masks, bodies, codes = [], [], []
        for combo in itertools.product(*code_lists):
            inner = dict(env)
            inner.update(zip(e.vars, combo, strict=True))
            masks.append(self.eval(e.where, inner) if has_where else True)
            bodies.append(self.eval(e.body, inner) if not isinstance(e.body, NoneConst) else None)
            codes.append(combo[0])
        default = None if isinstance(e.default, NoneConst) else (lambda: self.eval(e.default, env))
        try:
            out, undefined = runtime.aggregate(e.op, masks, bodies, codes, has_where, default, self.exact)
        except runtime.EmptyAggregate as err:
            raise EvalError(str(err), self.model.extra.get("spans", {}).get(e),
                            "add a default: argmax(j in S where ..., body, default VALUE)") from None
        if undefined is not None:
            self.note_undefined(e, undefined, f"{e.op} over an empty set")
        return out


class _Const(sympy.Basic):
    """A literal element code used internally when gathering over a dynamic index."""

    @property
    def value(self):
        return int(self.args[0])

    def __new__(cls, code):
        return sympy.Basic.__new__(cls, sympy.Integer(code))

