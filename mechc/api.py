"""The public API behind ``mechc.load``, ``mechc.check`` ...: imported on first use (``mechc/__init__``
stays cheap so ``mechc --help`` and the pytest plugin start fast)."""

from __future__ import annotations

from pathlib import Path

from .analysis import Options
from .analysis import check as _check
from .model import Model
from .parse import parse
from .report import Report
from .sema import check as _sema_check

__all__ = ["Options", "check", "load", "load_text"]


def _param_text(v) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    return str(v)


def load_text(text: str, file: str = "<string>", params: dict | None = None,
              mechanism: str | None = None, **overrides) -> Model:
    """Parse and check .mech text; raises SpecErrors with every problem found.

    Parameters can be given as a dict or as keywords: ``load_text(text, n=4, reserve=0.3)``."""
    merged = {k: _param_text(v) for k, v in {**(params or {}), **overrides}.items()}
    model = _sema_check(parse(text, file), merged, mechanism)
    model.extra["source"] = text
    return model


def load(path: str | Path, params: dict | None = None, mechanism: str | None = None, **overrides) -> Model:
    """Read, parse and check a .mech file into a Model: ``mechc.load("spec.mech", n=4)``."""
    p = Path(path)
    from .parse import decode_spec

    return load_text(decode_spec(p.read_bytes(), str(path)), str(path), params, mechanism, **overrides)


def check(model: Model, **options) -> Report:
    """Check every property the spec requires; returns a Report (verdicts, counterexamples, metrics)."""
    return _check(model, Options(**options))

