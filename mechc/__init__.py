"""mechc: a compiler and checker for declarative mechanism specifications.

The small public API::

    model = mechc.load("specs/vickrey.mech", params={"n": "4"})
    report = mechc.check(model, grid=41)

``import mechc`` is cheap: the API lives in ``mechc.api`` and is imported on first use (sympy,
numpy and the back ends load only when a spec is loaded or checked).
"""

from __future__ import annotations

import sys
import types

__version__ = "0.1.0"

# public name -> the module that defines it (imported on first attribute access)
_LAZY = {
    "load": "api", "load_text": "api", "check": "api", "Options": "api",
    "Model": "model", "Report": "report", "parse": "parse",
    "EvalError": "errors", "MechError": "errors", "ResourceLimit": "errors", "SpecError": "errors",
    "SpecErrors": "errors",
}


def __getattr__(name: str):
    if name in _LAZY:
        import importlib

        value = getattr(importlib.import_module(f".{_LAZY[name]}", __name__), name)
        globals()[name] = value  # later lookups skip this hook
        return value
    raise AttributeError(f"module 'mechc' has no attribute '{name}'")


class _Package(types.ModuleType):
    def __setattr__(self, name: str, value) -> None:
        # importing the submodule mechc.parse sets the package attribute 'parse' to the module;
        # the public name is the function mechc.parse(text), as it was before the API became lazy
        if name == "parse" and isinstance(value, types.ModuleType):
            return
        super().__setattr__(name, value)


sys.modules[__name__].__class__ = _Package


def __dir__() -> list[str]:
    return sorted([*globals(), *_LAZY])


__all__ = ["EvalError", "MechError", "Model", "Options", "Report", "ResourceLimit", "SpecError", "SpecErrors",
           "check", "load", "load_text", "parse", "__version__"]
