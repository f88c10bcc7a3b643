"""The Model (sympy expressions, type spaces, priors) and its array evaluator."""

from .model import (
    NONE_CODE,
    Constraint,
    Definition,
    FiniteSet,
    Measure,
    Model,
    Requirement,
    TypeSpace,
)

__all__ = ["NONE_CODE", "Constraint", "Definition", "FiniteSet", "Measure", "Model", "Requirement", "TypeSpace"]
