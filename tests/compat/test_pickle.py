"""Compat modules and transformed functions survive `pickle` and `copy.deepcopy`.

Sonnet's conformance suite pickles and deep-copies each module after creating its
variables, and checks that the copy is a new object whose variables have the same names
and values, and that it computes the same outputs. The same checks run here for one
parity case (`tests/parity/cases`) per compat module class: the module is built and
called inside a transform, copied, and the copy is called inside a new transform with
the same params, state and rng.
"""

from __future__ import annotations

import copy
import functools
import inspect
import pickle
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import sonnax
from sonnax import compat
from tests.parity import harness
from tests.parity.cases import CASES as PARITY_CASES
from tests.parity.cases import Case

RNG = jax.random.PRNGKey(7)


def _trainable_state_call(snt, module, x):
    return module(x.shape[0])


# Classes whose parity cases build them only inside tuples or with lambdas: picklable builds.
EXTRA_CASES = {
    case.name: case
    for case in [
        Case(
            "pickle_deferred",
            lambda snt: snt.Deferred(functools.partial(snt.Linear, 3)),
            inputs=((2, 4),),
        ),
        Case(
            "pickle_trainable_state",
            lambda snt: snt.TrainableState(np.linspace(-1, 1, 3).astype(np.float32)),
            inputs=((2, 4),),
            call=_trainable_state_call,
        ),
    ]
}
CASES = {**PARITY_CASES, **EXTRA_CASES}


class Forward:
    """A case's forward function, picklable (it names the case instead of holding lambdas)."""

    def __init__(self, case_name: str, mode: str):
        self.case_name = case_name
        self.mode = mode

    def __call__(self, *inputs: Any) -> Any:
        case = CASES[self.case_name]
        return case.call(compat, case.build(compat), *inputs, **case.modes[self.mode])


def _first_mode(case_name: str) -> str:
    return next(iter(CASES[case_name].modes))


def _inputs(case_name: str) -> tuple[jax.Array, ...]:
    return tuple(map(jnp.asarray, harness.case_inputs(CASES[case_name])[0]))


@functools.cache
def _built_type(case_name: str) -> type | None:
    """The class of the compat module the case builds (constructed only, not called).

    `None` for a case that builds no module, or a module that cannot be pickled because
    the case gives it a lambda or a class defined in a function (a limit of the test case;
    Sonnet's conformance modules avoid them too). A module that cannot be pickled for any
    other reason stays, and fails the tests.
    """
    built: list[Any] = []
    case = CASES[case_name]
    sonnax.transform_with_state(lambda: built.append(case.build(compat))).init(RNG)
    if not isinstance(built[0], compat.Module):
        return None
    try:
        pickle.dumps(built[0])
    except (pickle.PicklingError, AttributeError, TypeError):
        if _holds_test_local(built[0]):
            return None
    return type(built[0])


def _holds_test_local(obj: Any, seen: set[int] | None = None) -> bool:
    """Whether `obj` holds (through attributes and containers) a lambda or a class or
    function defined inside a function of the tests: an unpicklable object that the test
    case, not compat, put there."""
    seen = set() if seen is None else seen
    if id(obj) in seen:
        return False
    seen.add(id(obj))
    if callable(obj) and str(getattr(obj, "__module__", "")).startswith("tests."):
        if "<" in getattr(obj, "__qualname__", ""):
            return True
    if isinstance(type(obj), type) and str(type(obj).__module__).startswith("tests."):
        if "<" in type(obj).__qualname__:
            return True
    if isinstance(obj, dict):
        children: list[Any] = list(obj.values())
    elif isinstance(obj, list | tuple | set | frozenset):
        children = list(obj)
    elif isinstance(obj, functools.partial):
        children = [obj.func, *obj.args, *obj.keywords.values()]
    elif hasattr(obj, "__dict__") and not inspect.ismodule(obj) and not inspect.isclass(obj):
        children = list(vars(obj).values())
    else:
        children = []
    return any(_holds_test_local(child, seen) for child in children)


def representative_cases() -> list[str]:
    """The first case (by name) that builds each compat module class, picklably."""
    chosen: dict[type, str] = {}
    for name in sorted(CASES):
        cls = _built_type(name)
        if cls is not None:
            chosen.setdefault(cls, name)
    return sorted(chosen.values())


REPRESENTATIVES = representative_cases()


def _run(
    case_name: str, module: Any = None, params: Any = None, state: Any = None
) -> tuple[Any, list[Any], dict, dict, Any]:
    """Applies the case eagerly: a new module, from `init`; or `module`, with the given params
    and state (a module keeps the names it was made with, so it runs in a new `apply`).

    Returns:
      `(outputs, modules used in apply, params, state, variables report)`, the report being
      `(name, value)` of the module's `variables`, read inside apply.
    """
    case = CASES[case_name]
    mode = _first_mode(case_name)
    used: list[Any] = []
    reports: list[Any] = []

    def forward(*inputs: Any) -> Any:
        m = case.build(compat) if module is None else module
        out = case.call(compat, m, *inputs, **case.modes[mode])
        used.append(m)
        names = {
            id(v): f"{b}/{n}"
            for tree in (sonnax.get_params(), sonnax.get_current_state())
            for b, bundle in tree.items()
            for n, v in bundle.items()
        }
        try:
            reports.append([(names[id(v)], np.asarray(v)) for v in m.variables])
        except ValueError:  # A module without variables (Sonnet raises too).
            reports.append([])
        return out

    f = sonnax.transform_with_state(forward)
    inputs = _inputs(case_name)
    if module is None:
        params, state = f.init(RNG, *inputs)
    out, _ = f.apply(params, state, RNG, *inputs)
    return out, used, params, state, reports[-1]


def _assert_same_outputs(expected: Any, actual: Any, what: str) -> None:
    assert jax.tree.structure(actual) == jax.tree.structure(expected), what
    for a, e in zip(jax.tree.leaves(actual), jax.tree.leaves(expected), strict=True):
        np.testing.assert_array_equal(np.asarray(a), np.asarray(e), err_msg=what)


def _assert_same_variables(expected: list, actual: list, what: str) -> None:
    assert [name for name, _ in actual] == [name for name, _ in expected], what
    for (name, a), (_, e) in zip(actual, expected, strict=True):
        np.testing.assert_array_equal(a, e, err_msg=f"{what}: {name}")


COPIES = {
    "pickle": lambda obj: pickle.loads(pickle.dumps(obj)),
    "deepcopy": copy.deepcopy,
}


@pytest.mark.parametrize("how", sorted(COPIES))
@pytest.mark.parametrize("case_name", REPRESENTATIVES)
def test_module_copy_has_the_same_variables_and_outputs(case_name, how):
    # As Sonnet's suite: create the variables, copy, then run the original and the copy.
    _, used, params, state, _ = _run(case_name)
    original = used[-1]
    copied = COPIES[how](original)
    assert copied is not original
    assert type(copied) is type(original)
    assert copied.module_name == original.module_name
    expected_out, _, _, _, expected_variables = _run(case_name, original, params, state)
    actual_out, _, _, _, actual_variables = _run(case_name, copied, params, state)
    _assert_same_variables(expected_variables, actual_variables, f"{case_name} ({how})")
    _assert_same_outputs(expected_out, actual_out, f"{case_name} ({how})")


@pytest.mark.parametrize("how", sorted(COPIES))
@pytest.mark.parametrize("case_name", REPRESENTATIVES)
def test_transformed_function_copy_computes_the_same(case_name, how):
    mode = _first_mode(case_name)
    f = sonnax.transform_with_state(Forward(case_name, mode))
    g = COPIES[how](f)
    assert g is not f
    inputs = _inputs(case_name)
    params, state = f.init(RNG, *inputs)
    copied_params, copied_state = g.init(RNG, *inputs)
    _assert_same_outputs(params, copied_params, f"{case_name}: params ({how})")
    _assert_same_outputs(state, copied_state, f"{case_name}: state ({how})")
    expected = f.apply(params, state, RNG, *inputs)
    _assert_same_outputs(expected, g.apply(params, state, RNG, *inputs), f"{case_name} ({how})")


def _public_module_classes() -> list[type]:
    namespaces = [compat] + [
        getattr(compat, name) for name in compat.__all__ if inspect.ismodule(getattr(compat, name))
    ]
    found = {
        getattr(namespace, name)
        for namespace in namespaces
        for name in namespace.__all__
        if inspect.isclass(getattr(namespace, name))
        and issubclass(getattr(namespace, name), compat.Module)
    }
    return sorted(found, key=lambda cls: cls.__qualname__)


# Too slow to init eagerly in this suite (~20 s on CPU); its code is ResNet's, which a case
# covers, so the constructed module is copied and compared attribute by attribute.
CONSTRUCTED_ONLY = {"ResNet50": lambda snt: snt.nets.ResNet50(num_classes=10)}


def _attributes(module: Any) -> dict[str, Any]:
    return {
        key: (type(value), getattr(value, "module_name", None))
        if isinstance(value, compat.Module)
        else repr(value)
        for key, value in vars(module).items()
        if key != "_sonnax_repr"
    }


@pytest.mark.parametrize("how", sorted(COPIES))
@pytest.mark.parametrize("class_name", sorted(CONSTRUCTED_ONLY))
def test_constructed_module_copies(class_name, how):
    built: list[Any] = []
    make = CONSTRUCTED_ONLY[class_name]
    sonnax.transform_with_state(lambda: built.append(make(compat))).init(RNG)
    copied = COPIES[how](built[0])
    assert copied is not built[0] and type(copied) is type(built[0])
    assert _attributes(copied).keys() == _attributes(built[0]).keys()
    assert copied.module_name == built[0].module_name


def test_every_public_module_class_is_copied():
    instances: list[Any] = []
    for case_name in REPRESENTATIVES:
        _, used, _, _, _ = _run(case_name)
        instances.append(used[-1])
    missing = [
        cls.__qualname__
        for cls in _public_module_classes()
        if not any(isinstance(m, cls) for m in instances)
        and cls.__qualname__ not in CONSTRUCTED_ONLY
    ]
    assert missing == [], "no parity case builds these classes (add one to tests/parity/cases)"
