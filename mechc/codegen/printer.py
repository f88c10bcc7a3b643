"""Print Model expressions as numpy code, one ``_print_<Class>`` per construct (as sympy's printers do).

The printed code computes exactly what mechc.model.evaluate computes on the float path: the same
operations in the same order (left-to-right folds, reciprocal-then-multiply for division, nested
``np.where`` for if/else), and the shared runtime for aggregates, gathers and ties.
"""

from __future__ import annotations

import builtins
import keyword
import re
from fractions import Fraction

import sympy
from sympy.printing.printer import Printer

from ..model.model import Model
from ..model.nodes import Aggregate, IndexVar, NamedSet, NoneConst, ParamSymbol, RangeSet, SymConst

# names the generated module defines itself; spec identifiers must not shadow them
TEMPLATE_NAMES = {
    "np", "itertools", "Fraction", "dataclass", "field", "self", "Params", "Rules", "RulesBase", "Batch",
    "Result", "evaluate", "run", "definition", "inv", "aggregate", "select", "recip", "assignments",
    "NONE_CODE", "TIE_RTOL", "EmptyAggregate", "SYMBOLS", "SYMBOL_NAMES", "TYPE_SPACES", "GENERIC_SPACE",
    "MECHC_VERSION", "SPEC", "AGENT_SET", "annotations",
}
_RESERVED = set(keyword.kwlist) | set(keyword.softkwlist) | set(dir(builtins)) | TEMPLATE_NAMES


def sanitize(name: str) -> str:
    """The one place a spec identifier becomes a Python identifier: keywords, builtins, template
    names and leading underscores (reserved for the support code) get a trailing underscore."""
    out = re.sub(r"\W", "_", name)
    if not out or out[0].isdigit():
        out = "x_" + out
    if out in _RESERVED or out.startswith("_"):
        out += "_"
    return out


def set_method(name: str) -> str:
    """Method name for a named set: readable when the set's name is an identifier."""
    ident = re.sub(r"\W+", "_", name).strip("_") or "set"
    return "_set_" + ident


def num(q) -> str:
    """A number literal: integers as ints, other rationals as the float the evaluator uses."""
    q = Fraction(int(q.p), int(q.q)) if isinstance(q, sympy.Rational) else Fraction(q)
    if q.denominator == 1:
        return str(q.numerator)
    return repr(float(q))


class MechPrinter(Printer):
    printmethod = "_mechc_print"

    def __init__(self, model: Model):
        super().__init__()
        self.model = model

    # ---- helpers
    def _paren(self, e) -> str:
        s = self._print(e)
        if isinstance(e, sympy.Add) or (e.is_Number and e < 0) or (
                isinstance(e, sympy.Mul) and e.args[0].is_Number and e.args[0] < 0):
            return f"({s})"
        return s

    # ---- numbers and atoms
    def _print_Integer(self, e):
        return str(int(e))

    def _print_Rational(self, e):
        return num(e)

    def _print_BooleanTrue(self, e):
        return "True"

    def _print_BooleanFalse(self, e):
        return "False"

    def _print_ParamSymbol(self, e):
        return f"self.p.{sanitize(e.name)}"

    def _print_IndexVar(self, e):
        return sanitize(e.name)

    def _print_SymConst(self, e):
        return f"SYM_{sanitize(e.name)}"

    def _print_NoneConst(self, e):
        return "NONE_CODE"

    # ---- arithmetic (same folds as the evaluator)
    def _print_Add(self, e):
        out = self._print(e.args[0]) if not self._negated(e.args[0]) else "-" + self._paren(-e.args[0])
        for t in e.args[1:]:
            if self._negated(t):
                out += " - " + self._paren(-t)
            else:
                out += " + " + self._paren(t)
        return out

    @staticmethod
    def _negated(t) -> bool:
        # a term the evaluator computes as (-1) * rest: print as subtraction (bit-identical in IEEE)
        return isinstance(t, sympy.Mul) and t.args[0] == -1

    def _print_Mul(self, e):
        args = list(e.args)
        sign = ""
        if args[0] == -1:
            sign, args = "-", args[1:]
        parts = []
        for f in args:
            if isinstance(f, sympy.Pow) and f.exp == -1:
                parts.append(f"inv({self._print(f.base)})")
            else:
                parts.append(self._paren(f))
        # evaluator: ((-1 * a) * b); printed -a * b parses as (-a) * b, the same value
        return sign + " * ".join(parts)

    def _print_Pow(self, e):
        if e.exp.is_Integer:
            k = int(e.exp)
            if k >= 0:
                return f"{self._paren(e.base)} ** {k}"
            return f"inv({self._paren(e.base)} ** {-k})"
        return (f"np.power(np.asarray({self._print(e.base)}, dtype=float), "
                f"np.asarray({self._print(e.exp)}, dtype=float))")

    def _print_Abs(self, e):
        return f"np.abs({self._print(e.args[0])})"

    def _print_exp(self, e):
        return f"np.exp(np.asarray({self._print(e.args[0])}, dtype=float))"

    def _print_log(self, e):
        return f"np.log(np.asarray({self._print(e.args[0])}, dtype=float))"

    def _fold(self, fn: str, args) -> str:
        out = self._print(args[0])
        for a in args[1:]:
            out = f"{fn}({out}, {self._print(a)})"
        return out

    def _print_Max(self, e):
        return self._fold("np.maximum", e.args)

    def _print_Min(self, e):
        return self._fold("np.minimum", e.args)

    # ---- logic
    def _print_And(self, e):
        return self._fold("np.logical_and", e.args)

    def _print_Or(self, e):
        return self._fold("np.logical_or", e.args)

    def _print_Not(self, e):
        return f"np.logical_not({self._print(e.args[0])})"

    _OPS = {"Equality": "==", "Unequality": "!=", "StrictLessThan": "<", "LessThan": "<=",
            "StrictGreaterThan": ">", "GreaterThan": ">="}

    def _print_Relational(self, e):
        return f"({self._print(e.lhs)} {self._OPS[type(e).__name__]} {self._print(e.rhs)})"

    def _print_Piecewise(self, e):
        out = self._print(e.args[-1].expr)
        for pair in reversed(e.args[:-1]):
            out = f"np.where({self._print(pair.cond)}, {self._print(pair.expr)}, {out})"
        return out

    # ---- mechanism constructs
    def _print_TypeVal(self, e):
        args = ", ".join(self._print(a) for a in (e.agent, *e.items))
        return f"self._type({args})"

    def _print_ReportVal(self, e):
        args = ", ".join(self._print(a) for a in (e.agent, *e.items))
        return f"self._report({args})"

    @staticmethod
    def static(e) -> bool:
        """Whether an index expression is a scalar by construction (no reports, types, rules)."""
        return all(isinstance(n, IndexVar | ParamSymbol | SymConst | NoneConst) or n.is_Number
                   or isinstance(n, sympy.Add | sympy.Mul | sympy.Pow)
                   for n in sympy.preorder_traversal(e))

    def _print_DefRef(self, e):
        name = sanitize(e.name)
        idx = [self._print(a) for a in e.index]
        if all(self.static(a) for a in e.index):
            return f"self.{name}({', '.join(idx)})"
        return f"self._ref({name!r}, ({', '.join(idx)},))"

    def _print_Subscript(self, e):
        oset = self.model.sets[e.name]
        table = f"self.{set_method(oset.name)}_table()"
        items = f"self.{set_method(oset.items.name)}()"
        return f"self._component({table}, {items}, {self._print(e.outcome)}, {self._print(e.item)})"

    def print_set(self, s) -> str:
        if isinstance(s, RangeSet):
            lo, hi = (self._bound(b) for b in s.args)
            return f"range({lo}, {hi} + 1)"
        if isinstance(s, NamedSet):
            return f"self.{set_method(s.name)}()"
        raise AssertionError(s)

    def _bound(self, b) -> str:
        """A range bound; int() unless it is an integer literal or an int parameter (as the evaluator)."""
        if b.is_Integer or (isinstance(b, ParamSymbol) and self.model.params[b.name][0] == "int"):
            return self._print(b)
        return f"int({self._print(b)})"

    def _print_Aggregate(self, e: Aggregate):
        has_where = e.where is not sympy.true
        mask = self._print(e.where) if has_where else "True"
        body = "None" if isinstance(e.body, NoneConst) else self._print(e.body)
        loops = " ".join(f"for {self._print(v)} in {self.print_set(s)}" for v, s in zip(e.vars, e.sets, strict=True))
        first = self._print(e.vars[0])
        default = "" if isinstance(e.default, NoneConst) else f", default=lambda: {self._print(e.default)}"
        return f"self._agg({e.op!r}, [({mask}, {body}, {first}) {loops}], {has_where}{default})"


def print_expr(model: Model, expr) -> str:
    return MechPrinter(model).doprint(expr)

