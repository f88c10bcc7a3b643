"""mechc: a compiler and checker for declarative mechanism specifications.

The small public API::

    model = mechc.load("specs/vickrey.mech", params={"n": "4"})
    report = mechc.check(model, grid=41)
"""

from __future__ import annotations

from pathlib import Path

from .analysis import Options
from .analysis import check as _check
from .errors import EvalError, MechError, ResourceLimit, SpecError, SpecErrors
from .model import Model
from .parse import parse
from .report import Report
from .sema import check as _sema_check

__version__ = "0.1.0"


def load_text(text: str, file: str = "<string>", params: dict[str, str] | None = None,
              mechanism: str | None = None) -> Model:
    """Parse and check .mech text; raises SpecErrors with every problem found."""
    return _sema_check(parse(text, file), params, mechanism)


def load(path: str | Path, params: dict[str, str] | None = None, mechanism: str | None = None) -> Model:
    """Read, parse and check a .mech file into a Model."""
    p = Path(path)
    return load_text(p.read_text(encoding="utf-8"), str(path), params, mechanism)


def check(model: Model, **options) -> Report:
    """Check every property the spec requires; returns a Report (verdicts, counterexamples, metrics)."""
    return _check(model, Options(**options))


__all__ = ["EvalError", "MechError", "Model", "Options", "Report", "ResourceLimit", "SpecError", "SpecErrors",
           "check", "load", "load_text", "parse", "__version__"]
