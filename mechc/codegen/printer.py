"""Print Model expressions as numpy code, one ``_print_<Class>`` per construct (as sympy's printers do).

The printed code computes exactly what mechc.model.evaluate computes on the float path: the same
operations in the same order (left-to-right folds, reciprocal-then-multiply for division, nested
``np.where`` for if/else), and the shared runtime for aggregates, gathers and ties.
"""

from __future__ import annotations

import ast
import builtins
import keyword
import re
from fractions import Fraction
from importlib import resources

import sympy
from sympy.printing.printer import Printer

from ..model.model import Model
from ..model.nodes import Aggregate, IndexVar, NamedSet, NoneConst, ParamSymbol, RangeSet, SymConst

# names the template itself defines at module level (runtime.py and rules_base.py are read below)
TEMPLATE_GLOBALS = {
    "np", "itertools", "Fraction", "dataclass", "field", "annotations", "Params", "Rules", "Batch",
    "Result", "evaluate", "run", "agents", "welfare", "feasible", "MECHC_VERSION", "SPEC", "SYMBOLS",
    "SYMBOL_NAMES", "GENERIC_SPACE", "TYPE_SPACES", "SYMBOLIC_TYPES", "ITEMS", "FIELD_KINDS",
}
# names reserved in one namespace only: the entry points' positional arguments (parameters are
# keyword arguments beside them) and the attributes a Rules object has besides its definitions
PARAM_RESERVED = {"reports", "types"}
DEF_RESERVED = {"p", "TYPE_READING", "INDEX_SETS"}


def _support_globals() -> set[str]:
    """Every name the embedded support files (runtime.py, rules_base.py) bind at module level."""
    out: set[str] = set()
    for path in ("runtime.py", "codegen/rules_base.py"):
        tree = ast.parse(resources.files("mechc").joinpath(path).read_text(encoding="utf-8"))
        for node in tree.body:
            if isinstance(node, ast.FunctionDef | ast.ClassDef):
                out.add(node.name)
            elif isinstance(node, ast.Import | ast.ImportFrom):
                out.update((a.asname or a.name).split(".")[0] for a in node.names)
            elif isinstance(node, ast.Assign | ast.AnnAssign):
                targets = node.targets if isinstance(node, ast.Assign) else [node.target]
                out.update(t.id for t in targets if isinstance(t, ast.Name))
    return out


RESERVED = (set(keyword.kwlist) | set(keyword.softkwlist) | set(dir(builtins)) | TEMPLATE_GLOBALS
            | {"self"} | _support_globals())


def sanitize(name: str) -> str:
    """A spec name's preferred Python identifier: ASCII word characters only (anything else as
    ``_``), never starting with a digit; keywords, builtins, the template's own names and leading
    underscores (reserved for the support code) get a trailing underscore; ``SYM_...`` gets an
    ``x_`` prefix. Not injective on its own: ``Namer`` resolves collisions."""
    out = re.sub(r"[^A-Za-z0-9_]", "_", name)
    if not out or out[0].isdigit() or out.startswith("SYM_"):  # SYM_<id> globals are the symbols'
        out = "x_" + out
    if out in RESERVED or out.startswith("_"):
        out += "_"
    return out


def _unique(base: str, taken: set[str], also: frozenset[str] = frozenset()) -> str:
    out = base
    while out in taken or out in also:
        out += "_"
    taken.add(out)
    return out


class Namer:
    """The one map from spec names to identifiers of a generated module, injective across every
    namespace the module has: parameters (keyword arguments and ``Params`` fields), definitions
    (``Rules`` methods and ``Batch`` fields), index variables, symbols (``SYM_<id>`` globals) and the
    module's own names. A name that is already a free identifier keeps it; the others get trailing
    underscores until free, in sorted order, so the result is deterministic. Named sets get their
    own injective map to ``_set_<id>`` methods (their names are set expressions such as ``1..n``)."""

    def __init__(self, model: Model):
        self._ids: dict[str, str] = {}
        self._taken = set(RESERVED)
        self._sets: dict[str, str] = {}
        self._set_taken: set[str] = set()
        exprs = [d.body for d in model.defs.values()] + [c.expr for c in model.constraints]
        exprs += [e for e in (model.utility, *(model.welfare or ())) if e is not None]
        index_vars = {v.name for d in model.defs.values() for v in d.index_vars}
        index_vars |= {v.name for e in exprs if isinstance(e, sympy.Basic) for v in e.atoms(IndexVar)}
        if model.utility_var is not None:
            index_vars.add(model.utility_var.name)
        extra: dict[str, set[str]] = {}
        for names, reserved in ((model.params, PARAM_RESERVED), (model.defs, DEF_RESERVED),
                                (model.symbols, set()), (index_vars, set())):
            for n in names:
                extra.setdefault(n, set()).update(reserved)
        for n in sorted(extra):  # names that are already free identifiers keep them
            if sanitize(n) == n and n not in self._taken and n not in extra[n]:
                self._ids[n] = _unique(n, self._taken)
        for n in sorted(set(extra) - set(self._ids)):
            self._ids[n] = _unique(sanitize(n), self._taken, frozenset(extra[n]))
        for s in sorted(model.set_defs):
            self.set_method(s)

    def ident(self, name: str) -> str:
        if name not in self._ids:
            self._ids[name] = _unique(sanitize(name), self._taken)
        return self._ids[name]

    def symbol(self, name: str) -> str:
        return "SYM_" + self.ident(name)

    def set_method(self, name: str) -> str:
        """Method name for a named set: readable when the set's name is an identifier."""
        if name not in self._sets:
            ident = re.sub(r"[^A-Za-z0-9]+", "_", name).strip("_") or "set"
            self._sets[name] = "_set_" + _unique(ident, self._set_taken)
        return self._sets[name]

    def table_method(self, name: str) -> str:
        """Method giving an assignment set's outcome table (a prefix no set method has)."""
        return "_table_" + self.set_method(name)[len("_set_"):]


def num(q) -> str:
    """A number literal with the value the evaluator's float path gives it (``float(q)``): integers
    that a double holds exactly as ints, everything else as the double itself, written so that it
    reads back bit for bit (``repr``), with ``float("inf")`` where the double overflows."""
    q = Fraction(int(q.p), int(q.q)) if isinstance(q, sympy.Rational) else Fraction(q)
    if q.denominator == 1 and abs(q.numerator) <= 2 ** 53:
        return str(q.numerator)
    x = float(sympy.Rational(q.numerator, q.denominator))  # sympy's float: inf instead of OverflowError
    if x in (float("inf"), float("-inf")):
        return f'{"-" if x < 0 else ""}float("inf")'
    return repr(x)


class MechPrinter(Printer):
    printmethod = "_mechc_print"

    def __init__(self, model: Model):
        super().__init__()
        self.model = model
        self.names = Namer(model)

    # ---- helpers
    def _paren(self, e) -> str:
        s = self._print(e)
        if isinstance(e, sympy.Add) or (e.is_Number and e < 0) or (
                isinstance(e, sympy.Mul) and e.args[0].is_Number and e.args[0] < 0):
            return f"({s})"
        return s

    # ---- numbers and atoms
    def _print_Integer(self, e):
        return num(e)

    def _print_Rational(self, e):
        return num(e)

    def _print_BooleanTrue(self, e):
        return "True"

    def _print_BooleanFalse(self, e):
        return "False"

    def _print_ParamSymbol(self, e):
        return f"self.p.{self.names.ident(e.name)}"

    def _print_IndexVar(self, e):
        return self.names.ident(e.name)

    def _print_SymConst(self, e):
        return self.names.symbol(e.name)

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
        name = self.names.ident(e.name)
        idx = [self._print(a) for a in e.index]
        if all(self.static(a) for a in e.index):
            return f"self.{name}({', '.join(idx)})"
        return f"self._ref({name!r}, ({', '.join(idx)},))"

    def _print_Subscript(self, e):
        oset = self.model.sets[e.name]
        table = f"self.{self.names.table_method(oset.name)}()"
        items = f"self.{self.names.set_method(oset.items.name)}()"
        return f"self._component({table}, {items}, {self._print(e.outcome)}, {self._print(e.item)})"

    def print_set(self, s) -> str:
        if isinstance(s, RangeSet):
            lo, hi = (self._bound(b) for b in s.args)
            return f"range({lo}, {hi} + 1)"
        if isinstance(s, NamedSet):
            return f"self.{self.names.set_method(s.name)}()"
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

