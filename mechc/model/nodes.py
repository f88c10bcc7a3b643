"""sympy node classes for the mechc constructs sympy has no class for.

Everything else in a Model expression is plain sympy (Add, Mul, Pow, Rational, Min, Max, Abs, exp,
log, relationals, And/Or/Not, Piecewise). Bool-valued references get ``Boolean`` subclasses so they
can sit inside ``And``/``Piecewise``; numeric ones must not be ``Boolean`` (sympy would fold
``Eq(ref, 1)`` to false).
"""

from __future__ import annotations

import sympy
from sympy.core.symbol import Str
from sympy.logic.boolalg import Boolean


class ParamSymbol(sympy.Symbol):
    """A spec parameter (``param reserve: real``); its value lives in ``Model.params``."""


class IndexVar(sympy.Symbol):
    """A variable bound by an index formal, a function formal or an aggregate binder."""


class SymConst(sympy.Symbol):
    """A symbol constant of a finite set (``Trade``, ``Buyer``)."""


class NoneConst(sympy.Symbol):
    """``none``: the 'nobody' value of an assignment with ``or none``."""


class MechNode(sympy.Expr):
    is_commutative = True

    def __new__(cls, *args):
        return sympy.Expr.__new__(cls, *args)

    @property
    def name(self) -> str:
        return str(self.args[0])


class TypeVal(MechNode):
    """``v[a, k...]``: the true type of agent ``a`` (component ``k`` for vector types)."""

    @property
    def agent(self):
        return self.args[1]

    @property
    def items(self):
        return self.args[2:]


class ReportVal(TypeVal):
    """``b[a, k...]``: what agent ``a`` reports."""


class DefRef(MechNode):
    """``x[i]`` / ``winner``: a reference to a (possibly indexed) definition."""

    @property
    def index(self):
        return self.args[1:]


class BoolDefRef(DefRef, Boolean):
    """A reference to a bool-valued definition (usable inside And/Or/Piecewise conditions)."""


class Subscript(MechNode):
    """``o[k]``: who gets item ``k`` in assignment outcome ``o``."""

    @property
    def outcome(self):
        return self.args[1]

    @property
    def item(self):
        return self.args[2]


class RangeSet(sympy.Basic):
    """``lo..hi`` (bounds may mention parameters)."""


class NamedSet(sympy.Basic):
    """A set declared by name (``set Items = {A, B}``, ``outcomes O = ...``, inline sets get a name too)."""

    @property
    def name(self) -> str:
        return str(self.args[0])


class Aggregate(MechNode):
    """``op(var in set, ... where cond, body, default d)``; args:
    (Str(op), Tuple(vars), Tuple(sets), where, body, default) with ``true``/``none`` for absent parts."""

    @property
    def op(self) -> str:
        return str(self.args[0])

    @property
    def vars(self):
        return self.args[1].args

    @property
    def sets(self):
        return self.args[2].args

    @property
    def where(self):
        return self.args[3]

    @property
    def body(self):
        return self.args[4]

    @property
    def default(self):
        return self.args[5]


class BoolAggregate(Aggregate, Boolean):
    """``any(...)`` / ``all(...)``."""


ABSENT = NoneConst("none")


def make_aggregate(op, vars_, sets, where, body, default):
    cls = BoolAggregate if op in ("any", "all") else Aggregate
    return cls(
        Str(op), sympy.Tuple(*vars_), sympy.Tuple(*sets),
        sympy.true if where is None else where,
        ABSENT if body is None else body,
        ABSENT if default is None else default,
    )


class StrategyTable(MechNode):
    """A game's payoff table: ``args = (player, n_players, *cells)``, the cells row-major over strategy
    profiles (the last player fastest), one entry per player each."""

    @property
    def player(self):
        return self.args[0]

    @property
    def n_players(self) -> int:
        return int(self.args[1])

    @property
    def entries(self):
        return self.args[2:]
