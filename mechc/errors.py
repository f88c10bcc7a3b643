"""Errors are values with a place: every problem in a spec is a SpecError carrying a Span.

A pass collects all the errors it finds (``ErrorSink``) and raises them together as
``SpecErrors``; the CLI renders them sorted by position as ``file:line:col: error: ...`` with the
offending line, a caret and a hint, and exits with code 2.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable
from dataclasses import dataclass, field


@dataclass(frozen=True, order=True)
class Span:
    """A source region: 1-based line and column, end exclusive."""

    file: str
    line: int
    col: int
    end_line: int
    end_col: int

    def __str__(self) -> str:
        return f"{self.file}:{self.line}:{self.col}"


class MechError(Exception):
    """Root of every error mechc raises on purpose."""


@dataclass
class SpecError(MechError):
    """One problem in a spec, at a place, with an optional hint."""

    span: Span | None
    message: str
    hint: str | None = None
    kind: str = "error"

    def __str__(self) -> str:  # pragma: no cover - rendering lives in render()
        where = f"{self.span}: " if self.span else ""
        return f"{where}{self.kind}: {self.message}"

    def sort_key(self) -> tuple:
        s = self.span
        return (s.file, s.line, s.col) if s else ("", 0, 0)


class SpecErrors(MechError):
    """Several SpecErrors found in one pass, sorted by position."""

    def __init__(self, errors: Iterable[SpecError]):
        self.errors = sorted(errors, key=SpecError.sort_key)
        super().__init__("\n".join(str(e) for e in self.errors))


class ResourceLimit(MechError):
    """A request whose estimated work or memory exceeds the configured limit (exit code 3)."""

    def __init__(self, message: str, flag: str):
        self.flag = flag
        super().__init__(message)


class SolverFailure(MechError):
    """A numerical solver gave up before a verdict (exit code 3, like a resource limit)."""

    hint = ("floating-point solvers fail on numbers that span many orders of magnitude (more than about "
            "1e12 apart): rescale the spec (e.g. amounts in thousands) or try another --solver")


class EvalError(MechError):
    """A spec that is well-formed but evaluates to an undefined value on some profile."""

    def __init__(self, message: str, span: Span | None = None, hint: str | None = None):
        self.span = span
        self.hint = hint
        super().__init__(message)


@dataclass
class ErrorSink:
    """Collects errors in a pass; ``raise_if_any`` raises them all at once."""

    errors: list[SpecError] = field(default_factory=list)

    def add(self, span: Span | None, message: str, hint: str | None = None) -> None:
        self.errors.append(SpecError(span, message, hint))

    def raise_if_any(self) -> None:
        if self.errors:
            raise SpecErrors(self.errors)


def did_you_mean(name: str, candidates: Iterable[str]) -> str | None:
    """A 'did you mean' hint from the closest candidate names, or None."""
    pool = sorted(set(candidates))
    close = difflib.get_close_matches(name, pool, n=2, cutoff=0.5)
    if not close:
        close = [c for c in pool if c and name and c[0] == name[0] and (name.startswith(c) or c.startswith(name))][:2]
    if not close:
        return None
    return "did you mean " + " or ".join(f"'{c}'" for c in close) + "?"


def source_lines(text: str) -> list[str]:
    """The lines of a spec as the parser numbers them: only "\\n" ends a line (form feed, vertical
    tab, U+2028 and the other Unicode line breaks do not), a trailing "\\r" is dropped."""
    return [ln[:-1] if ln.endswith("\r") else ln for ln in text.split("\n")]


def visible(line: str) -> str:
    """A source line for a terminal, one character per column so a caret lines up: whitespace
    (tab, form feed, U+2028...) as a space, other unprintable characters as '?'."""
    return "".join(c if c.isprintable() else (" " if c.isspace() else "?") for c in line)


def render(err: SpecError | EvalError, sources: dict[str, str]) -> str:
    """``file:line:col: error: message``, the source line, a caret under the span, the hint."""
    span = err.span
    kind = getattr(err, "kind", "error")
    message = err.message if isinstance(err, SpecError) else str(err)
    if span is None:
        out = [f"{kind}: {message}"]
    else:
        out = [f"{span}: {kind}: {message}"]
        text = sources.get(span.file)
        if text is not None:
            lines = source_lines(text)
            if 1 <= span.line <= len(lines):
                line = visible(lines[span.line - 1])
                width = (span.end_col - span.col) if span.end_line == span.line else len(line) - span.col + 1
                width = max(1, min(width, len(line) - span.col + 1))
                out.append("    " + line)
                out.append("    " + " " * (span.col - 1) + "^" * width)
    if err.hint:
        out.append(f"hint: {err.hint}")
    return "\n".join(out)
