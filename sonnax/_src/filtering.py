"""Walk, select, transform, split, join and measure params/state `{module_name: {name: value}}`.

Every function that builds a structure returns a new nested `dict` (see
`data_structures.to_haiku_dict`), never a view of its input. Like Haiku 0.0.17, they visit
entries in sorted order, so outputs list module names and names sorted, except `merge`, which
keeps the order in which entries first appear.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Iterator, Mapping
from typing import Any, TypeVar

import jax
import numpy as np

from sonnax._src import data_structures

T = TypeVar("T")
InT = TypeVar("InT")
OutT = TypeVar("OutT")


def traverse(structure: Mapping[str, Mapping[str, T]]) -> Iterator[tuple[str, str, T]]:
    """Yields `(module_name, name, value)` for every entry, in sorted key order.

    >>> from sonnax import data_structures
    >>> params = {"linear_1": {"w": 3}, "linear": {"w": 1, "b": 2}}
    >>> list(data_structures.traverse(params))
    [('linear', 'b', 2), ('linear', 'w', 1), ('linear_1', 'w', 3)]

    Args:
      structure: Params or state to walk.

    Returns:
      An iterator over the entries, sorted by module name, then by name.
    """
    for module_name in sorted(structure):
        bundle = structure[module_name]
        for name in sorted(bundle):
            yield module_name, name, bundle[name]


def _nest(entries: Iterable[tuple[str, str, T]]) -> dict[str, dict[str, T]]:
    out: dict[str, dict[str, T]] = {}
    for module_name, name, value in entries:
        out.setdefault(module_name, {})[name] = value
    # Haiku passes its results through `to_haiku_dict`, which also rebuilds containers (lists,
    # tuples) held as values; doing the same keeps outputs independent of inputs in the same way.
    return data_structures.to_haiku_dict(out)


def filter(
    predicate: Callable[[str, str, T], bool],
    structure: Mapping[str, Mapping[str, T]],
) -> dict[str, dict[str, T]]:
    """Keeps the entries for which `predicate(module_name, name, value)` is true.

    >>> from sonnax import data_structures
    >>> params = {"linear": {"w": 1.0, "b": 2.0}}
    >>> data_structures.filter(lambda module_name, name, value: name == "w", params)
    {'linear': {'w': 1.0}}

    Args:
      predicate: Called with the module name, the entry name and the value of each entry.
      structure: Params or state to filter; it is not modified.

    Returns:
      A new structure with the kept entries; modules with none kept are left out.
    """
    return _nest(entry for entry in traverse(structure) if predicate(*entry))


def map(
    fn: Callable[[str, str, InT], OutT],
    structure: Mapping[str, Mapping[str, InT]],
) -> dict[str, dict[str, OutT]]:
    """Replaces every value with `fn(module_name, name, value)`.

    >>> from sonnax import data_structures
    >>> params = {"linear": {"w": 1.0, "b": 2.0}}
    >>> data_structures.map(lambda module_name, name, value: 10 * value, params)
    {'linear': {'b': 20.0, 'w': 10.0}}

    Args:
      fn: Called with the module name, the entry name and the value of each entry.
      structure: Params or state to map over; it is not modified.

    Returns:
      A new structure with the same keys, holding what `fn` returned.
    """
    return _nest(
        (module_name, name, fn(module_name, name, value))
        for module_name, name, value in traverse(structure)
    )


def partition_n(
    fn: Callable[[str, str, T], int],
    structure: Mapping[str, Mapping[str, T]],
    n: int,
) -> tuple[dict[str, dict[str, T]], ...]:
    """Splits a structure into `n` structures, putting each entry where `fn` says.

    >>> from sonnax import data_structures
    >>> params = {"encoder": {"w": 1.0}, "decoder": {"w": 2.0}, "head": {"w": 3.0}}
    >>> groups = {"encoder": 0, "decoder": 1, "head": 1}
    >>> data_structures.partition_n(lambda module_name, *_: groups[module_name], params, 2)
    ({'encoder': {'w': 1.0}}, {'decoder': {'w': 2.0}, 'head': {'w': 3.0}})

    Args:
      fn: Called with the module name, the entry name and the value of each entry; returns the
        index, in `[0, n)`, of the structure the entry goes to.
      structure: Params or state to split; it is not modified.
      n: How many structures to return.

    Returns:
      A tuple of `n` new structures; the `i`-th holds the entries for which `fn` returned `i`.

    Raises:
      AssertionError: If `fn` returns an index outside `[0, n)` (Haiku's type, from an `assert`;
        raised explicitly here so that it still happens under `python -O`).
    """
    buckets: list[list[tuple[str, str, T]]] = [[] for _ in range(n)]
    for module_name, name, value in traverse(structure):
        index = fn(module_name, name, value)
        if not 0 <= index < n:
            raise AssertionError(
                f"partition_n: fn returned {index} for {module_name!r}, {name!r}, but "
                f"{index} must be in range [0, {n}). Make fn return a bucket index below n, or "
                "pass a larger n."
            )
        buckets[index].append((module_name, name, value))
    return tuple(_nest(bucket) for bucket in buckets)


def partition(
    predicate: Callable[[str, str, T], bool],
    structure: Mapping[str, Mapping[str, T]],
) -> tuple[dict[str, dict[str, T]], dict[str, dict[str, T]]]:
    """Splits a structure in two: entries matching `predicate`, then all the others.

    >>> from sonnax import data_structures
    >>> params = {"linear": {"w": 1.0, "b": 2.0}}
    >>> data_structures.partition(lambda module_name, name, value: name == "w", params)
    ({'linear': {'w': 1.0}}, {'linear': {'b': 2.0}})

    Args:
      predicate: Called with the module name, the entry name and the value of each entry.
      structure: Params or state to split; it is not modified.

    Returns:
      Two new structures: the entries for which `predicate` is true, and the rest.
    """
    matching, others = partition_n(
        lambda module_name, name, value: 0 if predicate(module_name, name, value) else 1,
        structure,
        2,
    )
    return matching, others


def _is_array(value: Any) -> bool:
    return hasattr(value, "shape") and hasattr(value, "dtype")


def _dtype_label(dtype: Any) -> str:
    """Haiku's short dtype spelling: `f32`, `bf16`, `s32`, `u8`, `c64`, `key<fry>`."""
    # Read `.name` directly so extended dtypes (typed PRNG keys) work; numpy scalar types
    # such as `np.float32` are classes without one and go through `np.dtype` first.
    name: str = np.dtype(dtype).name if isinstance(dtype, type) else dtype.name
    for long, short in (("complex", "c"), ("float", "f"), ("uint", "u"), ("int", "s")):
        name = name.replace(long, short)
    return name


def _describe(value: Any) -> str:
    """`f32[2,3]` for an array (Haiku's notation), else `repr(value)`."""
    if not _is_array(value):
        return repr(value)
    return f"{_dtype_label(value.dtype)}[{','.join(str(size) for size in value.shape)}]"


# "Duplicate array found ... <earlier> vs <later>" is what Haiku's tests match.
_DUPLICATE_MISMATCH = (
    "merge(check_duplicates=True): Duplicate array found in more than one structure, at "
    "{module_name}.{name}, whose shape or dtype differs between them: {earlier} vs {later}. "
    "Make the copies agree (e.g. cast with `astype`), or pass check_duplicates=False to keep "
    "the last one."
)


def _check_same_layout(module_name: str, name: str, earlier: Any, later: Any) -> None:
    """Raises unless both values are arrays of one shape and dtype, or both are not arrays."""
    layouts = [
        (value.shape, value.dtype) if _is_array(value) else None for value in (earlier, later)
    ]
    if layouts[0] != layouts[1]:
        raise ValueError(
            _DUPLICATE_MISMATCH.format(
                module_name=module_name,
                name=name,
                earlier=_describe(earlier),
                later=_describe(later),
            )
        )


def merge(
    *structures: Mapping[str, Mapping[str, Any]],
    check_duplicates: bool = False,
) -> dict[str, dict[str, Any]]:
    """Joins structures into one; where an entry appears more than once, the last value wins.

    >>> from sonnax import data_structures
    >>> weights = {"linear": {"w": 1.0}}
    >>> biases = {"linear": {"b": 2.0}}
    >>> data_structures.merge(weights, biases)
    {'linear': {'w': 1.0, 'b': 2.0}}

    Args:
      *structures: Params or state to join, none of which is modified.
      check_duplicates: If true, an entry found in several structures must have the same shape
        and dtype in each (values that are not arrays must all be non-arrays).

    Returns:
      A new structure with every entry of the inputs, in the order entries first appear.

    Raises:
      ValueError: If `check_duplicates` is true and a repeated entry changes shape or dtype.
    """
    # One flat dict keyed by (module_name, name): overwriting a key keeps its first position,
    # which gives Haiku's order (modules and names as first seen) once nested again.
    latest: dict[tuple[str, str], Any] = {}
    for structure in structures:
        for module_name, name, value in traverse(structure):
            key = (module_name, name)
            if check_duplicates and key in latest:
                _check_same_layout(module_name, name, latest[key], value)
            latest[key] = value
    return _nest((module_name, name, value) for (module_name, name), value in latest.items())


def is_subset(
    *,
    subset: Mapping[str, Mapping[str, Any]],
    superset: Mapping[str, Mapping[str, Any]],
) -> bool:
    """Returns whether every `(module_name, name)` entry of `subset` is in `superset`.

    Only keys are compared, not values; modules without entries count for nothing.

    >>> from sonnax import data_structures
    >>> params = {"linear": {"w": 1.0, "b": 2.0}}
    >>> data_structures.is_subset(subset={"linear": {"w": 0.0}}, superset=params)
    True
    >>> data_structures.is_subset(subset={"empty": {}}, superset={})
    True

    Args:
      subset: The structure whose entries are looked for.
      superset: The structure they are looked for in.

    Returns:
      True if each entry of `subset` has the same module name and name in `superset`.
    """
    wanted = {(module_name, name) for module_name, name, _ in traverse(subset)}
    present = {(module_name, name) for module_name, name, _ in traverse(superset)}
    return wanted <= present


def tree_size(tree: Any) -> int:
    """Counts the elements of all arrays in a pytree.

    Leaves that are not arrays (no `shape` and `dtype`, such as Python numbers) are skipped;
    Haiku raises `AttributeError` on them instead. `jax.ShapeDtypeStruct` leaves count.

    >>> import jax.numpy as jnp
    >>> from sonnax import data_structures
    >>> params = {"linear": {"w": jnp.ones([3, 4]), "b": jnp.ones([4])}}
    >>> data_structures.tree_size(params)
    16

    Args:
      tree: A pytree, such as params or state.

    Returns:
      The total number of elements.
    """
    return sum(math.prod(leaf.shape) for leaf in jax.tree.leaves(tree) if _is_array(leaf))


def tree_bytes(tree: Any) -> int:
    """Counts the bytes taken by all arrays in a pytree, at their dtypes' item sizes.

    This is a lower bound: accelerators may pad buffers. Leaves are skipped as in `tree_size`.

    >>> import jax.numpy as jnp
    >>> from sonnax import data_structures
    >>> params = {"linear": {"w": jnp.ones([3, 4]), "b": jnp.ones([4], jnp.bfloat16)}}
    >>> data_structures.tree_bytes(params)  # 12 * 4 bytes + 4 * 2 bytes
    56

    Args:
      tree: A pytree, such as params or state.

    Returns:
      The total size in bytes.
    """
    return sum(
        math.prod(leaf.shape) * np.dtype(leaf.dtype).itemsize
        for leaf in jax.tree.leaves(tree)
        if _is_array(leaf)
    )
