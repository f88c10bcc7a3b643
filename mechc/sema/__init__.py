"""Name resolution, typing and well-formedness; returns a Model or raises SpecErrors."""

from .check import PROPERTIES, check

__all__ = ["PROPERTIES", "check"]
