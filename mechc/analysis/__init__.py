"""Property checkers. A registry maps a method name to a checker; ``check`` picks one."""

from .exhaustive import Options, check_exhaustive

CHECKERS = {"exhaustive": check_exhaustive}

__all__ = ["CHECKERS", "Options", "check_exhaustive"]
