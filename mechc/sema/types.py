"""The value types of .mech expressions and the one rule that combines them."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class VType:
    kind: str  # num | int | bool | elem | outcome | opt | none | err
    key: str | None = None  # elem/outcome/opt: the set's name

    def __str__(self) -> str:
        return {
            "num": "number", "int": "integer", "bool": "bool", "none": "none", "err": "<error>",
        }.get(self.kind) or {
            "elem": f"element of {self.key}", "outcome": f"outcome of {self.key}",
            "opt": f"element of {self.key} or none",
        }[self.kind]

    @property
    def numeric(self) -> bool:
        return self.kind in ("num", "int", "err")


NUM = VType("num")
INT = VType("int")
BOOL = VType("bool")
NONE = VType("none")
ERR = VType("err")


def unify(a: VType, b: VType) -> VType | None:
    """The common type of two branches (if/else, default vs body), or None if there is none."""
    if a.kind == "err" or b.kind == "err":
        return ERR
    if a == b:
        return a
    if a.numeric and b.numeric:
        return NUM
    if {a.kind, b.kind} == {"opt", "none"}:
        return a if a.kind == "opt" else b
    if a.kind == "opt" and opt_inner(a) == b:
        return a
    if b.kind == "opt" and opt_inner(b) == a:
        return b
    return None


def opt_inner(t: VType) -> VType:
    """The element type an optional (``... or none``) type wraps."""
    return INT if t.key == "int" else VType("elem", t.key)


def comparable_eq(a: VType, b: VType) -> bool:
    """Whether ``a == b`` is meaningful."""
    if a.kind == "err" or b.kind == "err":
        return True
    if a.numeric and b.numeric:
        return True
    if a.kind == "opt" or b.kind == "opt":
        other = b if a.kind == "opt" else a
        opt = a if a.kind == "opt" else b
        inner = opt_inner(opt)
        return other.kind == "none" or other == opt or other == inner or (inner == INT and other.numeric)
    return a == b
