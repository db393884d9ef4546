"""Tests for sonnax/_src/filtering.py, with dm-haiku 0.0.17 as the oracle."""

from __future__ import annotations

import collections
import inspect
import types
from collections.abc import Callable, Mapping
from typing import Any

import haiku as hk
import jax
import jax.numpy as jnp
import numpy as np
import pytest

from sonnax import data_structures
from tests import helpers

Tree = dict[str, dict[str, Any]]


def _array(shape: tuple[int, ...], dtype: Any, seed: int) -> jax.Array:
    values = np.random.default_rng(seed).normal(scale=10.0, size=shape)
    return jnp.asarray(values).astype(dtype)


def _mlp() -> Tree:
    return {
        "mlp/~/linear_0": {"w": _array((3, 4), jnp.float32, 0), "b": _array((4,), jnp.float32, 1)},
        "mlp/~/linear_1": {"w": _array((4, 2), jnp.float32, 2), "b": _array((2,), jnp.float32, 3)},
    }


def _mixed_dtypes() -> Tree:
    return {
        "encoder/~/embed": {"embeddings": _array((5, 3), jnp.bfloat16, 4)},
        "encoder/~/conv": {
            "w": _array((2, 2, 1, 3), jnp.float16, 5),
            "b": _array((3,), jnp.bfloat16, 6),
        },
        "~": {
            "step": _array((), jnp.int32, 7),
            "mask": _array((3,), bool, 8),
            "counts": _array((2,), jnp.uint8, 9),
        },
    }


def _unsorted_keys() -> Tree:
    return {
        "z_module": {"w": _array((2,), jnp.float32, 10), "b": _array((1,), jnp.int32, 11)},
        "a_module": {
            "scale": _array((3,), jnp.bfloat16, 12),
            "offset": _array((3,), jnp.float32, 13),
        },
        "m/~/inner": {"w": _array((1, 1), jnp.float32, 14)},
    }


def _state_with_empty_module() -> Tree:
    return {
        "batch_norm/~/mean_ema": {
            "counter": _array((), jnp.int32, 15),
            "hidden": _array((4,), jnp.float32, 16),
            "average": _array((4,), jnp.float32, 17),
        },
        "unused": {},
    }


ARRAY_TREES: dict[str, Callable[[], Tree]] = {
    "empty": lambda: {},
    "empty_modules": lambda: {"b": {}, "a": {}},
    "mlp": _mlp,
    "mixed_dtypes": _mixed_dtypes,
    "unsorted_keys": _unsorted_keys,
    "state_with_empty_module": _state_with_empty_module,
}

TREES: dict[str, Callable[[], Tree]] = {
    **ARRAY_TREES,
    "python_values": lambda: {"b": {"y": None, "x": 1.5}, "a": {"list": [1, 2], "text": "t"}},
}

PREDICATES: dict[str, Callable[[str, str, Any], bool]] = {
    "name_is_w": lambda module_name, name, value: name == "w",
    "module_in_mlp": lambda module_name, name, value: module_name.startswith("mlp/"),
    "bfloat16_values": lambda module_name, name, value: (
        getattr(value, "dtype", None) == jnp.bfloat16
    ),
    "everything": lambda *_: True,
    "nothing": lambda *_: False,
}


def _is_float_array(value: Any) -> bool:
    return hasattr(value, "dtype") and jnp.issubdtype(value.dtype, jnp.floating)


MAP_FNS: dict[str, Callable[[str, str, Any], Any]] = {
    "double_floats": lambda module_name, name, value: (
        2 * value if _is_float_array(value) else value
    ),
    "cast_to_bfloat16": lambda module_name, name, value: (
        value.astype(jnp.bfloat16) if hasattr(value, "astype") else value
    ),
    "path_string": lambda module_name, name, value: f"{module_name}/{name}",
    "shape_list": lambda module_name, name, value: list(np.shape(value)),
}


def _bucket_fn(n: int) -> Callable[[str, str, Any], int]:
    return lambda module_name, name, value: (7 * len(module_name) + len(name)) % n


def _assert_same(actual: Any, expected: Any) -> None:
    """Same types, key order and values, all the way down."""
    assert type(actual) is type(expected)
    if isinstance(expected, Mapping):
        assert list(actual) == list(expected)
        for key in expected:
            _assert_same(actual[key], expected[key])
    elif isinstance(expected, list | tuple):
        assert len(actual) == len(expected)
        for actual_item, expected_item in zip(actual, expected, strict=True):
            _assert_same(actual_item, expected_item)
    elif isinstance(expected, jax.Array | np.ndarray):
        assert (actual.shape, actual.dtype) == (expected.shape, expected.dtype)
        np.testing.assert_array_equal(np.asarray(actual), np.asarray(expected))
    else:
        assert actual == expected


def _error(fn: Callable[[], Any]) -> BaseException:
    with pytest.raises(Exception) as info:
        fn()
    return info.value


def test_all_is_haiku_all_plus_to_dict() -> None:
    assert data_structures.__all__ == sorted(data_structures.__all__)
    assert set(data_structures.__all__) == set(hk.data_structures.__all__) | {"to_dict"}


@pytest.mark.parametrize("name", sorted(hk.data_structures.__all__))
def test_signature_matches_haiku(name: str) -> None:
    def parameters(fn: Callable[..., Any]) -> list[tuple[str, Any, Any]]:
        signature = inspect.signature(fn)
        return [(p.name, p.kind, p.default) for p in signature.parameters.values()]

    assert parameters(getattr(data_structures, name)) == parameters(
        getattr(hk.data_structures, name)
    )


@pytest.mark.parametrize("tree", TREES.values(), ids=TREES.keys())
def test_traverse_matches_haiku(tree: Callable[[], Tree]) -> None:
    params = tree()
    assert list(data_structures.traverse(params)) == list(hk.data_structures.traverse(params))


@pytest.mark.parametrize("predicate", PREDICATES.values(), ids=PREDICATES.keys())
@pytest.mark.parametrize("tree", TREES.values(), ids=TREES.keys())
def test_filter_matches_haiku(tree: Callable[[], Tree], predicate: Callable[..., bool]) -> None:
    params = tree()
    actual = data_structures.filter(predicate, params)
    expected = hk.data_structures.filter(predicate, params)
    _assert_same(actual, expected)
    assert helpers.sharing(actual, params) == helpers.sharing(expected, params)


@pytest.mark.parametrize("fn", MAP_FNS.values(), ids=MAP_FNS.keys())
@pytest.mark.parametrize("tree", TREES.values(), ids=TREES.keys())
def test_map_matches_haiku(tree: Callable[[], Tree], fn: Callable[..., Any]) -> None:
    params = tree()
    actual = data_structures.map(fn, params)
    expected = hk.data_structures.map(fn, params)
    _assert_same(actual, expected)
    assert helpers.sharing(actual, params) == helpers.sharing(expected, params)


@pytest.mark.parametrize("predicate", PREDICATES.values(), ids=PREDICATES.keys())
@pytest.mark.parametrize("tree", TREES.values(), ids=TREES.keys())
def test_partition_matches_haiku(tree: Callable[[], Tree], predicate: Callable[..., bool]) -> None:
    params = tree()
    actual = data_structures.partition(predicate, params)
    expected = hk.data_structures.partition(predicate, params)
    _assert_same(actual, expected)
    assert helpers.sharing(actual[0], params) == helpers.sharing(expected[0], params)


@pytest.mark.parametrize("n", [1, 2, 3, 5])
@pytest.mark.parametrize("tree", TREES.values(), ids=TREES.keys())
def test_partition_n_matches_haiku(tree: Callable[[], Tree], n: int) -> None:
    params = tree()
    actual = data_structures.partition_n(_bucket_fn(n), params, n)
    expected = hk.data_structures.partition_n(_bucket_fn(n), params, n)
    _assert_same(actual, expected)


@pytest.mark.parametrize("n", [0, -1], ids=["zero", "negative"])
def test_partition_n_without_buckets_matches_haiku(n: int) -> None:
    actual = data_structures.partition_n(_bucket_fn(1), {"a": {}}, n)
    _assert_same(actual, hk.data_structures.partition_n(_bucket_fn(1), {"a": {}}, n))


@pytest.mark.parametrize("index", [-1, 3, 4], ids=["negative", "equal_to_n", "above_n"])
def test_partition_n_index_out_of_range_raises(index: int) -> None:
    params = _mlp()
    haiku_error = _error(lambda: hk.data_structures.partition_n(lambda *_: index, params, 3))
    match = rf"'mlp/~/linear_0', 'b'.*{index} must be in range \[0, 3\).*larger n"
    with pytest.raises(AssertionError, match=match) as info:
        data_structures.partition_n(lambda *_: index, params, 3)
    assert type(info.value) is type(haiku_error)
    assert str(haiku_error) in str(info.value)


@pytest.mark.parametrize("tree", TREES.values(), ids=TREES.keys())
def test_partition_then_merge_gives_back_the_entries(tree: Callable[[], Tree]) -> None:
    params = tree()
    parts = data_structures.partition_n(_bucket_fn(3), params, 3)
    merged = data_structures.merge(*parts)
    assert list(data_structures.traverse(merged)) == list(data_structures.traverse(params))


MERGE_INPUTS: dict[str, Callable[[], list[Mapping[str, Mapping[str, Any]]]]] = {
    "nothing": lambda: [],
    "one": lambda: [_mlp()],
    "disjoint_modules": lambda: [_mlp(), _mixed_dtypes()],
    "split_entries": lambda: list(hk.data_structures.partition(PREDICATES["name_is_w"], _mlp())),
    "last_one_wins": lambda: [
        _unsorted_keys(),
        data_structures.map(MAP_FNS["double_floats"], _unsorted_keys()),
    ],
    "first_appearance_order": lambda: [{"b": {"z": 1, "a": 2}}, {"a": {"w": 3}, "b": {"c": 4}}],
    "empty_modules": lambda: [{"b": {}}, _state_with_empty_module(), {"a": {}}],
    "other_mapping_types": lambda: [
        collections.defaultdict(dict, {"foo": {"bar": 1}}),
        types.MappingProxyType({"foo": {"bat": 3}}),
        {"foo": types.MappingProxyType({"baz": 2})},
    ],
    "python_values": lambda: [TREES["python_values"](), {"a": {"list": (3,), "new": None}}],
}


@pytest.mark.parametrize("check_duplicates", [False, True], ids=["unchecked", "checked"])
@pytest.mark.parametrize("structures", MERGE_INPUTS.values(), ids=MERGE_INPUTS.keys())
def test_merge_matches_haiku(structures: Callable[[], list[Any]], check_duplicates: bool) -> None:
    inputs = structures()
    actual = data_structures.merge(*inputs, check_duplicates=check_duplicates)
    expected = hk.data_structures.merge(*inputs, check_duplicates=check_duplicates)
    _assert_same(actual, expected)


DUPLICATES: dict[str, tuple[Any, Any, str]] = {
    "dtype": (jnp.zeros([2], jnp.float32), jnp.zeros([2], jnp.bfloat16), r"f32\[2\] vs bf16\[2\]"),
    "shape": (jnp.zeros([2], jnp.float32), jnp.zeros([3], jnp.float32), r"f32\[2\] vs f32\[3\]"),
    "rank": (jnp.zeros([2, 3], jnp.int32), jnp.zeros([], jnp.int32), r"s32\[2,3\] vs s32\[\]"),
    "array_then_other": (jnp.zeros([2], jnp.uint8), "foo", r"u8\[2\] vs 'foo'"),
    "other_then_array": (1.0, np.zeros([1], np.complex64), r"1\.0 vs c64\[1\]"),
}


@pytest.mark.parametrize("first, second, shown", DUPLICATES.values(), ids=DUPLICATES.keys())
def test_merge_check_duplicates_raises(first: Any, second: Any, shown: str) -> None:
    structures = ({"mlp/~/linear_0": {"w": first}}, {"mlp/~/linear_0": {"w": second}})
    haiku_phrase = rf"Duplicate array found.*{shown}"  # What Haiku's own test matches.
    with pytest.raises(ValueError, match=haiku_phrase):
        hk.data_structures.merge(*structures, check_duplicates=True)
    match = rf"Duplicate array found .* at mlp/~/linear_0\.w, .*: {shown}\..*check_duplicates=False"
    with pytest.raises(ValueError, match=haiku_phrase) as info:
        data_structures.merge(*structures, check_duplicates=True)
    info.match(match)


def test_merge_check_duplicates_handles_typed_keys() -> None:
    # `np.dtype` cannot read key dtypes; the message still shows them as Haiku does.
    keys = ({"m": {"k": jax.random.key(0)}}, {"m": {"k": jax.random.split(jax.random.key(1))}})
    same = ({"m": {"k": jax.random.key(0)}}, {"m": {"k": jax.random.key(1)}})
    merged = data_structures.merge(*same, check_duplicates=True)
    assert merged["m"]["k"] is hk.data_structures.merge(*same, check_duplicates=True)["m"]["k"]
    with pytest.raises(ValueError, match=r"key<fry>\[\] vs key<fry>\[2\]"):
        hk.data_structures.merge(*keys, check_duplicates=True)
    with pytest.raises(ValueError, match=r"key<fry>\[\] vs key<fry>\[2\]"):
        data_structures.merge(*keys, check_duplicates=True)


def test_merge_keeps_the_last_duplicate_when_unchecked() -> None:
    structures = ({"m": {"w": jnp.zeros([2])}}, {"m": {"w": jnp.ones([3], jnp.bfloat16)}})
    _assert_same(data_structures.merge(*structures), hk.data_structures.merge(*structures))


SUBSET_CASES: dict[str, tuple[Any, Any]] = {
    "both_empty": ({}, {}),
    "empty_module_in_empty": ({"a": {}}, {}),
    "same": (_mlp(), _mlp()),
    "part_of_it": (hk.data_structures.filter(PREDICATES["name_is_w"], _mlp()), _mlp()),
    "more_than_it": (_mlp(), hk.data_structures.filter(PREDICATES["name_is_w"], _mlp())),
    "same_name_other_module": ({"mlp/~/linear_2": {"w": 0}}, _mlp()),
    "values_ignored": ({"m": {"w": None}}, {"m": {"w": 1.0}}),
    "disjoint": (_mlp(), _mixed_dtypes()),
}


@pytest.mark.parametrize("subset, superset", SUBSET_CASES.values(), ids=SUBSET_CASES.keys())
def test_is_subset_matches_haiku(subset: Tree, superset: Tree) -> None:
    actual = data_structures.is_subset(subset=subset, superset=superset)
    assert actual is hk.data_structures.is_subset(subset=subset, superset=superset)


def test_is_subset_takes_keywords_only() -> None:
    with pytest.raises(TypeError, match="positional argument"):
        data_structures.is_subset({}, {})


def _shape_structs() -> Any:
    return jax.eval_shape(_mixed_dtypes)


SIZED_TREES: dict[str, Callable[[], Any]] = {
    **ARRAY_TREES,
    "shape_dtype_structs": _shape_structs,
    "numpy_leaves": lambda: [
        np.float32(1.0),
        np.ones([3], np.int8),
        {"x": np.zeros([2, 2], np.float64)},
    ],
    "immutable_dict": lambda: data_structures.to_immutable_dict(_mixed_dtypes()),
}


@pytest.mark.parametrize("tree", SIZED_TREES.values(), ids=SIZED_TREES.keys())
def test_tree_size_and_bytes_match_haiku(tree: Callable[[], Any]) -> None:
    params = tree()
    assert data_structures.tree_size(params) == hk.data_structures.tree_size(params)
    assert data_structures.tree_bytes(params) == hk.data_structures.tree_bytes(params)


def test_tree_size_and_bytes_skip_leaves_that_are_not_arrays() -> None:
    # Haiku raises AttributeError here; sonnax counts the arrays and skips the rest.
    params = TREES["python_values"]()
    params["c"] = _mixed_dtypes()["encoder/~/conv"]
    arrays_only = {"c": params["c"]}
    with pytest.raises(AttributeError, match="has no attribute 'size'"):
        hk.data_structures.tree_size(params)
    assert data_structures.tree_size(params) == hk.data_structures.tree_size(arrays_only)
    assert data_structures.tree_bytes(params) == hk.data_structures.tree_bytes(arrays_only)


def test_tree_size_and_bytes_work_on_tracers() -> None:
    params = _mixed_dtypes()
    sizes = []

    def count(tree: Any) -> Any:
        sizes.append((data_structures.tree_size(tree), data_structures.tree_bytes(tree)))
        return tree

    jax.jit(count)(params)
    assert sizes == [(hk.data_structures.tree_size(params), hk.data_structures.tree_bytes(params))]


STRUCTURE_FNS: dict[str, Callable[[Tree], Any]] = {
    "filter": lambda params: data_structures.filter(PREDICATES["name_is_w"], params),
    "map": lambda params: data_structures.map(MAP_FNS["double_floats"], params),
    "partition": lambda params: data_structures.partition(PREDICATES["name_is_w"], params),
    "partition_n": lambda params: data_structures.partition_n(_bucket_fn(3), params, 3),
    "merge": lambda params: data_structures.merge(params, {"extra": {"x": jnp.ones([2])}}),
}


@pytest.mark.parametrize("fn", STRUCTURE_FNS.values(), ids=STRUCTURE_FNS.keys())
def test_results_are_pytrees_for_jit_and_tree_map(fn: Callable[[Tree], Any]) -> None:
    result = fn(_mixed_dtypes())
    plus_one = jax.jit(lambda tree: jax.tree.map(lambda x: x + 1, tree))(result)
    _assert_same(plus_one, jax.tree.map(lambda x: x + 1, result))
    assert jax.tree.structure(plus_one) == jax.tree.structure(result)


@pytest.mark.parametrize("fn", STRUCTURE_FNS.values(), ids=STRUCTURE_FNS.keys())
def test_functions_run_inside_jit(fn: Callable[[Tree], Any]) -> None:
    params = _unsorted_keys()
    # JAX rebuilds dicts with sorted keys, so compare with the eager result rebuilt the same way.
    _assert_same(jax.jit(fn)(params), jax.tree.map(lambda x: x, fn(params)))


def test_results_do_not_alias_the_input() -> None:
    params = _mlp()
    before = list(data_structures.traverse(params))
    for result in (
        data_structures.filter(PREDICATES["everything"], params),
        data_structures.map(lambda module_name, name, value: value, params),
        data_structures.merge(params),
        *data_structures.partition(PREDICATES["name_is_w"], params),
    ):
        for bundle in result.values():
            bundle["extra"] = jnp.zeros([])
        result["new_module"] = {}
    assert list(data_structures.traverse(params)) == before
