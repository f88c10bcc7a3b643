"""Reports are data: what each property check found, and the metrics. Rendering lives in render.py."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

VERDICTS = ("proved", "verified", "passed-search", "violated", "unknown")


@dataclass
class Counterexample:
    """A concrete, re-checked failure. ``fields`` are JSON-ready; ``summary`` is one readable line."""

    kind: str  # misreport | profile | interim
    fields: dict
    summary: str
    exact: bool  # re-checked in exact rational arithmetic


@dataclass
class PropertyResult:
    name: str
    verdict: str
    method: str
    detail: str
    counterexample: Counterexample | None = None
    stats: dict = field(default_factory=dict)
    line: int | None = None

    def to_json(self) -> dict:
        return {
            "name": self.name, "verdict": self.verdict, "method": self.method, "detail": self.detail,
            "counterexample": ({"kind": self.counterexample.kind, **self.counterexample.fields, "summary": self.counterexample.summary,
                                "exact": self.counterexample.exact} if self.counterexample else None),
            "stats": self.stats, "line": self.line,
        }


@dataclass
class Metric:
    """A number and how it is known: ``exact`` (a rational, only when the value is exact) or
    ``stderr`` (the standard error of a sampling estimate, with the ``samples`` drawn and the
    ``seed``), and the ``method`` in words."""

    value: float
    stderr: float | None = None
    exact: str | None = None
    method: str = ""
    samples: int | None = None
    seed: int | None = None

    def to_json(self) -> dict:
        return asdict(self)


class PropertyList(list):
    """A list of results that can also be indexed by property name: ``report.properties["dsic"]``."""

    def __getitem__(self, key):
        if isinstance(key, str):
            for p in self:
                if p.name == key:
                    return p
            raise KeyError(f"{key!r}: the report has {[p.name for p in self]}")
        return super().__getitem__(key)


@dataclass
class Report:
    spec: str
    name: str
    params: dict
    space: str
    properties: list[PropertyResult]
    metrics: dict[str, Metric]
    notes: list[str] = field(default_factory=list)
    doc: str | None = None

    def __post_init__(self):
        self.properties = PropertyList(self.properties)

    @property
    def ok(self) -> bool:
        """No required property is violated."""
        return not any(p.verdict == "violated" for p in self.properties)

    @property
    def exit_code(self) -> int:
        return 0 if self.ok else 1

    def __str__(self) -> str:
        from .render import to_plain

        return to_plain(self)

    def _repr_html_(self) -> str:
        from .render import to_html

        return to_html(self)

    def to_json(self) -> dict:
        return {
            "spec": self.spec, "name": self.name, "doc": self.doc, "params": self.params, "space": self.space,
            "properties": [p.to_json() for p in self.properties],
            "metrics": {k: m.to_json() for k, m in self.metrics.items()},
            "notes": self.notes, "exit_code": self.exit_code,
        }
