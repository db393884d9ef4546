"""Every `>>>` example in sonnax's docstrings runs and prints what it says."""

import doctest
import importlib
import pkgutil

import pytest

import sonnax

MODULES = sorted(info.name for info in pkgutil.walk_packages(sonnax.__path__, prefix="sonnax."))


@pytest.mark.parametrize("module_name", MODULES)
def test_docstring_examples(module_name):
    module = importlib.import_module(module_name)
    result = doctest.testmod(
        module,
        optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE,
        extraglobs={"sonnax": sonnax},
        verbose=False,
        report=True,
    )
    assert result.failed == 0, f"{result.failed} docstring example(s) failed in {module_name}"


def test_doctests_are_found():
    finder = doctest.DocTestFinder()
    examples = sum(
        len(test.examples)
        for name in MODULES
        for test in finder.find(importlib.import_module(name))
    )
    assert examples >= 20
