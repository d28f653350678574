"""Lazy re-exports for package roots: a public name is imported from its module on first use,
so importing a package (or one of its modules) does not import all the others.

    __getattr__ = lazy_exports(__name__, {"ByteDFA": "automaton.dfa.byte_dfa", ...})
"""
from __future__ import annotations

import importlib
import sys
from collections.abc import Callable

__all__ = ["lazy_exports"]


def lazy_exports(package: str, names: dict[str, str]) -> Callable[[str], object]:
    """A module `__getattr__` for `package` resolving each of `names` (public name -> defining
    module) on first access, and caching it in the package's namespace."""

    def __getattr__(name: str):
        module = names.get(name)
        if module is None:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        value = getattr(importlib.import_module(module), name)
        setattr(sys.modules[package], name, value)  # later lookups skip this function
        return value

    return __getattr__
