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
    value: float
    stderr: float | None = None
    exact: str | None = None
    method: str = ""

    def to_json(self) -> dict:
        return asdict(self)


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

    @property
    def exit_code(self) -> int:
        return 1 if any(p.verdict == "violated" for p in self.properties) else 0

    def to_json(self) -> dict:
        return {
            "spec": self.spec, "name": self.name, "doc": self.doc, "params": self.params, "space": self.space,
            "properties": [p.to_json() for p in self.properties],
            "metrics": {k: m.to_json() for k, m in self.metrics.items()},
            "notes": self.notes, "exit_code": self.exit_code,
        }
