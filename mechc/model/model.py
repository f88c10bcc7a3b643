"""The Model: the one semantic representation every back end reads."""

from __future__ import annotations

from dataclasses import dataclass, field
from fractions import Fraction

import sympy

from ..errors import Span
from .priors import interval_text, prior_of

NONE_CODE = -(2**40)  # the code of `none` in element arrays; never a range element or symbol code


@dataclass(frozen=True)
class FiniteSet:
    """A concrete finite set. ``codes`` are what evaluation uses: the integer itself for ranges,
    a global code for symbols, the value for number sets, the position for assignment outcomes."""

    name: str
    kind: str  # int | sym | num | outcome
    elements: tuple  # ints / symbol names / Fractions / assignment tuples (codes, NONE_CODE for none)
    codes: tuple
    items: FiniteSet | None = None  # for assignments: the item set
    to: FiniteSet | None = None  # for assignments: the recipients
    allow_none: bool = False
    key: str | None = None  # the set whose elements these are, when this one reorders or subsets it

    def __len__(self) -> int:
        return len(self.elements)

    def label(self, code) -> str:
        """The spec's spelling of an element given its code."""
        if code == NONE_CODE:
            return "none"
        pos = self.codes.index(code)
        el = self.elements[pos]
        if self.kind == "outcome":
            parts = [f"{self.items.label(ic)}->{self.to.label(c) if c != NONE_CODE else 'none'}"
                     for ic, c in zip(self.items.codes, el, strict=True)]
            return "{" + ", ".join(parts) + "}"
        return _fmt(el)


def _fmt(x) -> str:
    if isinstance(x, Fraction):
        return str(x.numerator) if x.denominator == 1 else f"{x.numerator}/{x.denominator}"
    return str(x)


@dataclass(frozen=True)
class TypeSpace:
    """One agent's type space: finite (values + pmf) or a real interval with a density.

    Vector types have one component per item, independent and identically distributed."""

    kind: str  # finite | interval
    values: tuple = ()  # finite: Fractions or symbol codes
    probs: tuple[Fraction, ...] = ()
    symbolic: bool = False  # finite set of symbols
    labels: tuple[str, ...] = ()
    lo: Fraction | None = None  # interval ends; None for an infinite end ([0, inf), (-inf, inf))
    hi: Fraction | None = None
    dist: str = "uniform"
    dist_args: tuple[Fraction, ...] = ()
    items: FiniteSet | None = None  # vector types: the item set
    span: Span | None = None
    prior: object | None = None  # interval: the model.priors.Prior (dist/dist_args/lo/hi describe it too)

    @property
    def continuous(self) -> bool:
        return self.kind == "interval"

    @property
    def bounded(self) -> bool:
        """A finite space, or an interval with two finite ends."""
        return self.kind != "interval" or (self.lo is not None and self.hi is not None)

    def describe(self) -> str:
        if self.kind == "interval":
            return f"{interval_text(self.lo, self.hi)} ~ {prior_of(self).describe()}"
        return "{" + ", ".join(self.labels) + "}"


@dataclass(frozen=True)
class Definition:
    name: str
    index_vars: tuple[sympy.Symbol, ...]
    index_sets: tuple[FiniteSet, ...]
    body: sympy.Basic | None  # None: a decision variable of a design block (one value per profile)
    vtype: object
    reads_types: bool
    span: Span
    bounds: tuple | None = None  # decision variables: (lo, hi), either may be None


@dataclass(frozen=True)
class Requirement:
    name: str
    args: tuple[Fraction, ...]
    span: Span

    @property
    def label(self) -> str:
        if not self.args:
            return self.name
        return f"{self.name}(" + ", ".join(_fmt(a) for a in self.args) + ")"


@dataclass(frozen=True)
class Measure:
    name: str
    expr: sympy.Basic
    span: Span


@dataclass(frozen=True)
class Constraint:
    expr: sympy.Basic
    span: Span
    text: str


@dataclass
class Model:
    name: str
    doc: str | None
    file: str
    params: dict[str, tuple[str, object]]  # name -> (ptype, value)
    symbols: dict[str, int]
    sets: dict[str, FiniteSet]
    agents: FiniteSet
    agent_var: str
    type_name: str
    report_name: str
    type_spaces: tuple[TypeSpace, ...]  # one per agent, in agent order
    defs: dict[str, Definition]
    utility: sympy.Basic  # in terms of the IndexVar ``utility_var``
    utility_var: sympy.Symbol
    requirements: tuple[Requirement, ...]
    measures: tuple[Measure, ...]
    constraints: tuple[Constraint, ...]
    outcomes: dict[str, FiniteSet]
    welfare: tuple[sympy.Basic, sympy.Basic] | None = None  # (at choice, best over outcomes)
    transcendental: bool = False  # uses exp/log/sqrt/non-integer powers: no exact arithmetic
    set_defs: dict = field(default_factory=dict)  # set name -> symbolic description (for codegen)
    kind: str = "mechanism"  # mechanism | design
    objective: tuple | None = None  # design blocks: (sense, sympy expression, span)
    generic_space: TypeSpace | None = None  # the space declared for every agent (type v[i] ...)
    span: Span | None = None
    extra: dict = field(default_factory=dict)

    @property
    def n_agents(self) -> int:
        return len(self.agents)

    @property
    def finite(self) -> bool:
        return all(not ts.continuous for ts in self.type_spaces)

    def agent_label(self, pos: int) -> str:
        return self.agents.label(self.agents.codes[pos])

    # ---- the notebook-facing API (imports are local: the Model does not depend on back ends)
    def check(self, **options):
        """Check every required property: ``model.check(grid=41, method="auto")`` -> Report."""
        from ..analysis import Options
        from ..analysis import check as run

        return run(self, Options(**options))

    def compile(self, out_dir=None, report=None):
        """Generate the standalone module and its tests; write them to ``out_dir`` when given.
        Returns {file name: text}."""
        from pathlib import Path

        from ..codegen import generate

        files = generate(self, report, self.extra.get("source"), self.file).files()
        if out_dir is not None:
            out = Path(out_dir)
            out.mkdir(parents=True, exist_ok=True)
            for name, text in files.items():
                (out / name).write_text(text, encoding="utf-8")
        return files
