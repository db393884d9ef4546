"""`sonnax.compat` has TF Sonnet 2's public names and signatures, and imports no TensorFlow.

The expected names and signatures are read from the installed `sonnet` package, not typed
here. Signatures must agree in parameter names, kinds and defaults; the only defaults that
may differ are the framework's own objects, compared by name: TF dtypes (`tf.float32` is
`jnp.float32`) and TF functions (`tf.nn.relu` is `jax.nn.relu`).
"""

from __future__ import annotations

import inspect
import subprocess
import sys
import types
from typing import Any

import jax.numpy as jnp
import pytest
import sonnet
import tensorflow as tf

from sonnax import compat

SUBMODULES = sorted(
    name for name in sonnet.__all__ if isinstance(getattr(sonnet, name), types.ModuleType)
)


def _all(module: Any) -> set[str]:
    return set(module.__all__)


def _namespaces() -> list[tuple[str, Any, Any]]:
    """`(dotted name, sonnet module, compat module or None)` for `snt` and its submodules."""
    found = [("snt", sonnet, compat)]
    for name in SUBMODULES:
        found.append((f"snt.{name}", getattr(sonnet, name), getattr(compat, name, None)))
    return found


def _public_objects() -> list[tuple[str, Any, Any]]:
    """`(name, sonnet object, compat object or None)` for every public class and function."""
    found = []
    for dotted, theirs, ours in _namespaces():
        for name in sorted(_all(theirs)):
            obj = getattr(theirs, name)
            if isinstance(obj, types.ModuleType):
                continue
            found.append((f"{dotted}.{name}", obj, getattr(ours, name, None)))
    return found


def missing_names() -> list[str]:
    """Sonnet's public names that compat lacks (what the helpers have still to write)."""
    missing = []
    for dotted, theirs, ours in _namespaces():
        if ours is None:
            missing += [f"{dotted}.{name}" for name in sorted(_all(theirs))]
            continue
        missing += [f"{dotted}.{name}" for name in sorted(_all(theirs) - _all(ours))]
    return missing


def test_sonnet_has_the_expected_api():
    # The oracle itself: Sonnet 2.0.2, whose public names these tests mirror.
    assert sonnet.__version__ == "2.0.2"
    total = sum(len(_all(module)) for _, module, _ in _namespaces())
    assert total > 90


def test_no_sonnet_name_is_missing():
    assert missing_names() == []


@pytest.mark.parametrize("dotted", [n for n, _, _ in _namespaces()])
def test_all_equals_sonnets(dotted):
    _, theirs, ours = next(entry for entry in _namespaces() if entry[0] == dotted)
    assert ours is not None, f"{dotted} is missing from sonnax.compat"
    assert sorted(_all(ours)) == sorted(_all(theirs))


@pytest.mark.parametrize("dotted", [n for n, _, _ in _namespaces()])
def test_all_is_sorted_and_resolves(dotted):
    _, _, ours = next(entry for entry in _namespaces() if entry[0] == dotted)
    if ours is None:
        pytest.skip(f"{dotted} is not written yet")
    assert list(ours.__all__) == sorted(ours.__all__)
    for name in ours.__all__:
        assert hasattr(ours, name), f"{dotted}.{name} is in __all__ but not defined"


def test_no_private_package_leaks():
    assert not hasattr(compat, "_src")
    for dotted, _, ours in _namespaces():
        if ours is None:
            continue
        assert not any("_src" in name for name in ours.__all__), dotted
        for name in ours.__all__:
            obj = getattr(ours, name)
            if isinstance(obj, types.ModuleType):
                assert obj.__name__.startswith("sonnax.compat.") and "_src" not in obj.__name__


def test_importing_sonnax_and_compat_imports_no_tensorflow():
    code = (
        "import sys, sonnax, sonnax.compat\n"
        "import sonnax.compat.functional, sonnax.compat.nets, sonnax.compat.optimizers\n"
        "top = {m.split('.')[0] for m in sys.modules}\n"
        "heavy = sorted(top & {'tensorflow', 'sonnet', 'tf_keras'})\n"
        "print(','.join(heavy))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == ""


# --- Signatures ------------------------------------------------------------------------------


def _signature(obj: Any) -> inspect.Signature:
    """The call signature: a class's constructor arguments (without `self`)."""
    if inspect.isclass(obj):
        signature = inspect.signature(obj)
        kinds = [p.kind for p in signature.parameters.values()]
        if kinds == [inspect.Parameter.VAR_POSITIONAL, inspect.Parameter.VAR_KEYWORD]:
            # Sonnet's module metaclass hides the constructor behind `(*args, **kwargs)`.
            signature = inspect.signature(obj.__init__)
            signature = signature.replace(parameters=list(signature.parameters.values())[1:])
        return signature
    return inspect.signature(obj)


def _same_default(theirs: Any, ours: Any) -> bool:
    if isinstance(theirs, tf.DType):
        try:
            return jnp.dtype(ours).name == theirs.name
        except TypeError:
            return False
    if callable(theirs) and getattr(theirs, "__module__", "").startswith("tensorflow"):
        return callable(ours) and getattr(ours, "__name__", None) == theirs.__name__
    if isinstance(theirs, tuple | list) and isinstance(ours, tuple | list):
        return len(theirs) == len(ours) and all(map(_same_default, theirs, ours))
    try:
        return bool(theirs == ours) and type(theirs) is type(ours)
    except Exception:
        return theirs is ours


def _describe(signature: inspect.Signature) -> list[tuple[str, str]]:
    return [(p.name, p.kind.name) for p in signature.parameters.values()]


def _public_callables() -> list[tuple[str, Any, Any]]:
    return [(n, t, o) for n, t, o in _public_objects() if callable(t)]


@pytest.mark.parametrize(
    ("dotted", "theirs", "ours"), _public_callables(), ids=[n for n, _, _ in _public_callables()]
)
def test_signature_equals_sonnets(dotted, theirs, ours):
    if ours is None:
        pytest.skip(f"{dotted} is not written yet")
    expected, actual = _signature(theirs), _signature(ours)
    assert _describe(actual) == _describe(expected), dotted
    for name, parameter in expected.parameters.items():
        default = actual.parameters[name].default
        assert _same_default(parameter.default, default), (
            f"{dotted}({name}=...): default {default!r} in compat, {parameter.default!r} in Sonnet"
        )


@pytest.mark.parametrize(
    ("dotted", "theirs", "ours"), _public_objects(), ids=[n for n, _, _ in _public_objects()]
)
def test_kind_of_object_equals_sonnets(dotted, theirs, ours):
    if ours is None:
        pytest.skip(f"{dotted} is not written yet")
    assert inspect.isclass(ours) == inspect.isclass(theirs), dotted
    assert callable(ours) == callable(theirs), dotted


def test_module_classes_are_compat_modules():
    for dotted, theirs, ours in _public_objects():
        if ours is None or not inspect.isclass(theirs):
            continue
        if issubclass(theirs, sonnet.Module) and not issubclass(theirs, sonnet.Optimizer):
            assert issubclass(ours, compat.Module), f"{dotted} is not a compat Module"


def test_same_default_compares_framework_objects_by_name_only():
    # The allowance is narrow: a different dtype, function or value is still a difference.
    assert _same_default(tf.float32, jnp.float32)
    assert not _same_default(tf.float32, jnp.bfloat16)
    assert _same_default(tf.nn.relu, __import__("jax").nn.relu)
    assert not _same_default(tf.nn.relu, __import__("jax").nn.gelu)
    assert not _same_default(1.0, 2.0)
    assert not _same_default(1, True)
    assert not _same_default("SAME", "VALID")
