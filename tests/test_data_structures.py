"""Tests for sonnax/_src/data_structures.py, with dm-haiku 0.0.17 as the oracle."""

from __future__ import annotations

import collections
import copy
import operator
import pickle
import types
from collections.abc import Callable, Mapping
from typing import Any

import haiku as hk
import jax
import jax.numpy as jnp
import numpy as np
import pytest
from haiku._src import data_structures as haiku_data_structures

from sonnax import data_structures
from sonnax._src import config
from sonnax._src import data_structures as data_structures_lib
from tests import helpers

Tree = dict[str, Any]

# The read-only type of each library, so results can be compared kind for kind.
_KINDS = {
    dict: "dict",
    haiku_data_structures.FlatMap: "immutable",
    data_structures_lib.ImmutableDict: "immutable",
}


def _array(shape: tuple[int, ...], dtype: Any, seed: int) -> jax.Array:
    values = np.random.default_rng(seed).normal(scale=10.0, size=shape)
    return jnp.asarray(values).astype(dtype)


def _params() -> Tree:
    return {
        "mlp/~/linear_1": {"w": _array((4, 2), jnp.bfloat16, 0), "b": _array((2,), jnp.float32, 1)},
        "mlp/~/linear_0": {"w": _array((3, 4), jnp.float32, 2), "b": _array((4,), jnp.float32, 3)},
        "~": {"step": _array((), jnp.int32, 4), "mask": _array((2,), bool, 5)},
    }


TREES: dict[str, Callable[[], Tree]] = {
    "empty": lambda: {},
    "empty_module": lambda: {"a": {}},
    "params": _params,
    "python_values": lambda: {"b": {"y": None, "x": 1.5}, "a": {"list": [1, 2], "pair": (3, [4])}},
    "deeper_nesting": lambda: {"m": {"w": {"inner": {"x": 1}, "other": [{"y": 2}]}}},
}


def _assert_same(actual: Any, expected: Any) -> None:
    """Same kinds of mapping, key order and values, all the way down."""
    if isinstance(expected, Mapping):
        assert _KINDS.get(type(actual)) == _KINDS.get(type(expected))
        assert list(actual) == list(expected)
        for key in expected:
            _assert_same(actual[key], expected[key])
    elif isinstance(expected, list | tuple):
        assert type(actual) is type(expected)
        assert len(actual) == len(expected)
        for actual_item, expected_item in zip(actual, expected, strict=True):
            _assert_same(actual_item, expected_item)
    elif isinstance(expected, jax.Array):
        assert (actual.shape, actual.dtype) == (expected.shape, expected.dtype)
        np.testing.assert_array_equal(np.asarray(actual), np.asarray(expected))
    else:
        assert actual == expected


def _raised(fn: Callable[[], Any]) -> type[BaseException] | None:
    try:
        fn()
    except Exception as error:
        return type(error)
    return None


# Input wrappers: (sonnax input, haiku input) built from one tree.
WRAPPERS: dict[str, Callable[[Tree], tuple[Any, Any]]] = {
    "dict": lambda tree: (tree, tree),
    "mapping_proxy": lambda tree: (types.MappingProxyType(tree),) * 2,
    "defaultdict": lambda tree: (collections.defaultdict(dict, tree),) * 2,
    "immutable": lambda tree: (
        data_structures.to_immutable_dict(tree),
        hk.data_structures.to_immutable_dict(tree),
    ),
}


@pytest.mark.parametrize("wrap", WRAPPERS.values(), ids=WRAPPERS.keys())
@pytest.mark.parametrize("tree", TREES.values(), ids=TREES.keys())
@pytest.mark.parametrize(
    "ours, theirs",
    [
        (data_structures.to_haiku_dict, hk.data_structures.to_haiku_dict),
        (data_structures.to_dict, haiku_data_structures.to_dict),
    ],
    ids=["to_haiku_dict", "to_dict"],
)
def test_dict_copies_match_haiku(ours: Any, theirs: Any, tree: Any, wrap: Any) -> None:
    our_input, their_input = wrap(tree())
    actual, expected = ours(our_input), theirs(their_input)
    _assert_same(actual, expected)
    assert helpers.sharing(actual, our_input) == helpers.sharing(expected, their_input)


def test_to_dict_copy_is_independent_of_the_input() -> None:
    params = TREES["python_values"]()
    copied = data_structures.to_dict(params)
    copied["a"]["list"].append(3)
    copied["b"]["z"] = 0
    assert params == TREES["python_values"]()


@pytest.mark.parametrize("tree", TREES.values(), ids=TREES.keys())
def test_to_immutable_dict_matches_haiku(tree: Callable[[], Tree]) -> None:
    params = tree()
    actual = data_structures.to_immutable_dict(params)
    expected = hk.data_structures.to_immutable_dict(params)
    _assert_same(actual, expected)
    assert helpers.sharing(actual, params) == helpers.sharing(expected, params)
    assert actual == params
    assert data_structures.to_immutable_dict(actual) is actual


def test_to_immutable_dict_freezes_dict_subclasses() -> None:
    # A deliberate difference: Haiku freezes only exact `dict`s, leaving a nested defaultdict
    # mutable inside its "immutable" result.
    params = {"mlp": collections.defaultdict(list, {"w": 1})}
    assert type(hk.data_structures.to_immutable_dict(params)["mlp"]) is collections.defaultdict
    assert (
        type(data_structures.to_immutable_dict(params)["mlp"]) is data_structures_lib.ImmutableDict
    )


def test_to_immutable_dict_copies_the_input() -> None:
    params = _params()
    frozen = data_structures.to_immutable_dict(params)
    params["new"] = {}
    params["~"]["step"] = 0
    assert "new" not in frozen
    assert isinstance(frozen["~"]["step"], jax.Array)


MUTATIONS: dict[str, tuple[Callable[[Any], Any], type[Exception], str]] = {
    "set_item": (
        lambda frozen: operator.setitem(frozen, "~", {}),
        TypeError,
        "does not support item assignment",
    ),
    "set_nested_item": (
        lambda frozen: operator.setitem(frozen["~"], "step", 1),
        TypeError,
        "does not support item assignment",
    ),
    "delete_item": (
        lambda frozen: operator.delitem(frozen, "~"),
        TypeError,
        "does not support item deletion",
    ),
    "set_attribute": (
        lambda frozen: setattr(frozen, "step", 1),
        AttributeError,
        "has no attribute 'step'",
    ),
    "read_attribute": (
        lambda frozen: frozen.step,
        AttributeError,
        r"`x\.step` is not supported on ImmutableDict; use `x\['step'\]` instead",
    ),
    "read_private_attribute": (
        lambda frozen: frozen._step,
        AttributeError,
        "'ImmutableDict' object has no attribute '_step'",
    ),
}


@pytest.mark.parametrize("mutate, error, match", MUTATIONS.values(), ids=MUTATIONS.keys())
def test_immutable_dict_refuses_changes(mutate: Any, error: type[Exception], match: str) -> None:
    params = _params()
    frozen = data_structures.to_immutable_dict(params)
    with pytest.raises(error, match=match):
        mutate(frozen)
    assert _raised(lambda: mutate(hk.data_structures.to_immutable_dict(params))) is error
    _assert_same(data_structures.to_mutable_dict(frozen), hk.data_structures.to_haiku_dict(params))


def test_immutable_dict_reads_like_haiku() -> None:
    params = _params()
    ours = data_structures.to_immutable_dict(params)
    theirs = hk.data_structures.to_immutable_dict(params)
    assert list(ours.keys()) == list(theirs.keys())
    assert [value.keys() for value in ours.values()] == [value.keys() for value in theirs.values()]
    assert [key for key, _ in ours.items()] == [key for key, _ in theirs.items()]
    assert (len(ours), "~" in ours, "x" in ours) == (len(theirs), "~" in theirs, "x" in theirs)
    assert ours.get("x", "default") == theirs.get("x", "default")
    with pytest.raises(KeyError, match="missing"):
        ours["~"]["missing"]


def test_immutable_dict_repr() -> None:
    frozen = data_structures.to_immutable_dict({"mlp": {"w": 1}})
    assert repr(frozen) == "ImmutableDict({'mlp': ImmutableDict({'w': 1})})"


def test_immutable_dict_equality_and_hash() -> None:
    first = data_structures.to_immutable_dict({"b": {"w": [1]}, "a": {"w": 2}})
    second = data_structures.to_immutable_dict({"a": {"w": 2}, "b": {"w": [1]}})
    assert first == second == {"a": {"w": 2}, "b": {"w": [1]}}
    assert hash(first) == hash(second)
    assert first != {"a": {"w": 3}, "b": {"w": [1]}}
    assert operator.eq(first, None) is False


@pytest.mark.parametrize("tree", TREES.values(), ids=TREES.keys())
def test_immutable_dict_hashes_when_haiku_does(tree: Callable[[], Tree]) -> None:
    params = tree()
    ours = _raised(lambda: hash(data_structures.to_immutable_dict(params)))
    assert ours is _raised(lambda: hash(hk.data_structures.to_immutable_dict(params)))


@pytest.mark.parametrize("tree", TREES.values(), ids=TREES.keys())
def test_immutable_dict_flattens_like_haiku_and_dict(tree: Callable[[], Tree]) -> None:
    params = tree()
    frozen = data_structures.to_immutable_dict(params)
    leaves = jax.tree.leaves(frozen)
    assert leaves == jax.tree.leaves(hk.data_structures.to_immutable_dict(params))
    paths = [path for path, _ in jax.tree_util.tree_flatten_with_path(frozen)[0]]
    assert paths == [path for path, _ in jax.tree_util.tree_flatten_with_path(params)[0]]
    rebuilt = jax.tree.unflatten(jax.tree.structure(frozen), leaves)
    _assert_same(rebuilt, jax.tree.map(lambda x: x, hk.data_structures.to_immutable_dict(params)))


def test_immutable_dict_goes_through_jit_and_vmap() -> None:
    frozen = data_structures.to_immutable_dict(_params())
    doubled = jax.jit(lambda tree: jax.tree.map(lambda x: 2 * x, tree))(frozen)
    _assert_same(
        doubled, jax.tree.map(lambda x: 2 * x, hk.data_structures.to_immutable_dict(_params()))
    )
    batched = jax.vmap(lambda tree: tree, in_axes=None, axis_size=3)(frozen)
    assert type(batched["~"]) is data_structures_lib.ImmutableDict
    assert batched["~"]["mask"].shape == (3, 2)


def test_tree_map_can_replace_leaves_with_subtrees() -> None:
    frozen = data_structures.to_immutable_dict({"m": {"w": 1, "b": 2}})
    expanded = jax.tree.map(lambda x: [x, {"twice": 2 * x}], frozen)
    _assert_same(
        expanded,
        jax.tree.map(
            lambda x: [x, {"twice": 2 * x}],
            hk.data_structures.to_immutable_dict({"m": {"w": 1, "b": 2}}),
        ),
    )
    assert jax.tree.leaves(expanded) == [2, 4, 1, 2]


CLONES: dict[str, Callable[[Any], Any]] = {
    "copy": copy.copy,
    "deepcopy": copy.deepcopy,
    "pickle": lambda value: pickle.loads(pickle.dumps(value)),
}


@pytest.mark.parametrize("restore_flatmap", [False, True], ids=["default", "restore_flatmap"])
@pytest.mark.parametrize("clone", CLONES.values(), ids=CLONES.keys())
def test_immutable_dict_clones_like_haiku(
    clone: Any, restore_flatmap: bool, monkeypatch: Any
) -> None:
    params = TREES["python_values"]()
    monkeypatch.setattr(config.get_config(), "restore_flatmap", restore_flatmap)
    actual = clone(data_structures.to_immutable_dict(params))
    with hk.config.context(restore_flatmap=restore_flatmap):
        expected = clone(hk.data_structures.to_immutable_dict(params))
    _assert_same(actual, expected)


def test_immutable_dict_copy_leaves_the_original_read_only() -> None:
    frozen = data_structures.to_immutable_dict({"m": {"w": [1]}})
    copied = copy.copy(frozen)
    copied["m"]["w"].append(2)
    copied["m"]["b"] = 0
    assert frozen == {"m": {"w": [1]}}


MUTABLE_INPUTS: dict[str, Callable[[Tree], tuple[Any, Any]]] = {
    "immutable": lambda tree: (
        data_structures.to_immutable_dict(tree),
        hk.data_structures.to_immutable_dict(tree),
    ),
    "dict_of_immutable": lambda tree: (
        {key: data_structures.to_immutable_dict(value) for key, value in tree.items()},
        {key: hk.data_structures.to_immutable_dict(value) for key, value in tree.items()},
    ),
    "dict": lambda tree: (tree, tree),
}


@pytest.mark.parametrize("wrap", MUTABLE_INPUTS.values(), ids=MUTABLE_INPUTS.keys())
@pytest.mark.parametrize("tree", TREES.values(), ids=TREES.keys())
def test_to_mutable_dict_matches_haiku(tree: Callable[[], Tree], wrap: Any) -> None:
    our_input, their_input = wrap(tree())
    actual = data_structures.to_mutable_dict(our_input)
    expected = hk.data_structures.to_mutable_dict(their_input)
    _assert_same(actual, expected)
    assert helpers.sharing(actual, our_input) == helpers.sharing(expected, their_input)
