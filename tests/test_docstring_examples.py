"""The examples in the modules' docstrings run and print what they show (doctest)."""
from __future__ import annotations

import doctest
import importlib
import importlib.util
import pkgutil

import pytest

import automaton
import decode

# Modules that import vLLM at their top: they hold no docstring examples, and are imported and
# tested by tests/decode/vllm in vLLM's own environment.
NEEDS_VLLM = frozenset({"decode.vllm"})


def _modules_with_examples() -> list[str]:
    names = []
    without_vllm = importlib.util.find_spec("vllm") is None
    for package in (automaton, decode):
        for info in pkgutil.walk_packages(package.__path__, prefix=package.__name__ + "."):
            if info.name.endswith("__main__") or (without_vllm and info.name in NEEDS_VLLM):
                continue
            tests = doctest.DocTestFinder().find(importlib.import_module(info.name))
            if any(not example.options.get(doctest.SKIP) for test in tests for example in test.examples):
                names.append(info.name)
    return sorted(names)


MODULES = _modules_with_examples()


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name):
    module = importlib.import_module(name)
    result = doctest.testmod(module, optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    assert result.attempted > 0
    assert result.failed == 0, f"{result.failed} of {result.attempted} examples in {name} failed"
