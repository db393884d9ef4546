"""Copies of params/state mappings: plain `dict`s, mutable or read-only.

Sonnax keeps params and state as plain nested dicts, `{module_name: {name: value}}`, which is
what Haiku 0.0.17 returns by default too. The read-only form exists for code written against
`to_immutable_dict`; Haiku backs it with `FlatMap`, sonnax with the smaller `ImmutableDict`.
"""

from __future__ import annotations

from collections.abc import ItemsView, Iterator, KeysView, Mapping, ValuesView
from typing import Any, NoReturn, TypeVar

import jax

from sonnax._src import config

K = TypeVar("K")
V = TypeVar("V")
T = TypeVar("T")


class ImmutableDict(Mapping[K, V]):
    """A read-only `dict` that JAX treats as a pytree, as returned by `to_immutable_dict`.

    Why not `types.MappingProxyType`: registering a builtin type as a pytree would change it for
    every library in the process, and a proxy can be neither hashed nor pickled. Like Haiku's
    `FlatMap`, this type flattens like a `dict` (children in sorted key order, with `DictKey`
    paths), is hashable when its leaves are, and copies or unpickles as a plain `dict` unless
    `config.restore_flatmap` is set.
    """

    __slots__ = ("_mapping",)

    def __init__(self, mapping: Mapping[K, V] | None = None) -> None:
        """Copies `mapping` (one level; nested values are kept as they are).

        Args:
          mapping: The items to hold; empty when `None`.
        """
        self._mapping: dict[K, V] = dict(mapping or {})

    def __getitem__(self, key: K) -> V:
        return self._mapping[key]

    def __iter__(self) -> Iterator[K]:
        return iter(self._mapping)

    def __len__(self) -> int:
        return len(self._mapping)

    def __contains__(self, key: object) -> bool:
        return key in self._mapping

    def keys(self) -> KeysView[K]:
        return self._mapping.keys()

    def values(self) -> ValuesView[V]:
        return self._mapping.values()

    def items(self) -> ItemsView[K, V]:
        return self._mapping.items()

    def __hash__(self) -> int:
        # As Haiku's `FlatMap`: hash the flattened form, so `{"w": [1]}` is hashable and a
        # mapping holding arrays raises `TypeError`.
        leaves, treedef = jax.tree.flatten(self)
        return hash((treedef, tuple(leaves)))

    def __getattr__(self, name: str) -> NoReturn:
        # Only reached for missing attributes. As Haiku does, point `params.linear` to
        # `params["linear"]`; private and special names (probed by libraries) get no hint.
        if name.startswith("_"):
            raise AttributeError(f"{type(self).__name__!r} object has no attribute {name!r}")
        raise AttributeError(
            f"`x.{name}` is not supported on {type(self).__name__}; use `x[{name!r}]` instead."
        )

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self._mapping!r})"

    def __reduce__(self) -> tuple[Any, tuple[dict[K, V]]]:
        # `copy.copy`, `copy.deepcopy` and `pickle` all come through here, so each gives a
        # plain `dict` by default, as Haiku 0.0.17's `FlatMap` does.
        return _restore, (self._mapping,)


def _restore(mapping: dict[Any, Any]) -> Mapping[Any, Any]:
    if config.get_config().restore_flatmap:
        return to_immutable_dict(mapping)
    return to_dict(mapping)


def _flatten_with_keys(
    mapping: ImmutableDict[Any, Any],
) -> tuple[list[tuple[jax.tree_util.DictKey, Any]], tuple[Any, ...]]:
    keys = tuple(sorted(mapping.keys()))  # The order JAX uses for `dict`.
    return [(jax.tree_util.DictKey(key), mapping[key]) for key in keys], keys


def _flatten(mapping: ImmutableDict[Any, Any]) -> tuple[list[Any], tuple[Any, ...]]:
    keys = tuple(sorted(mapping.keys()))
    return [mapping[key] for key in keys], keys


def _unflatten(keys: tuple[Any, ...], children: Any) -> ImmutableDict[Any, Any]:
    return ImmutableDict(dict(zip(keys, children, strict=True)))


jax.tree_util.register_pytree_with_keys(ImmutableDict, _flatten_with_keys, _unflatten, _flatten)


def to_immutable_dict(mapping: Mapping[K, V]) -> Mapping[K, V]:
    """Returns a read-only copy of `mapping`, with every nested `dict` made read-only too.

    Haiku freezes only values whose type is exactly `dict`; here any `dict` subclass (such as a
    `defaultdict`) is frozen as well, so no mutable `dict` hides inside the result.

    >>> from sonnax import data_structures
    >>> params = data_structures.to_immutable_dict({"linear": {"w": 1.0}})
    >>> params["linear"]
    ImmutableDict({'w': 1.0})
    >>> params == {"linear": {"w": 1.0}}
    True

    Args:
      mapping: A mapping such as params or state; it is not modified.

    Returns:
      An `ImmutableDict` (a pytree), or `mapping` itself when it already is one.
    """
    if isinstance(mapping, ImmutableDict):
        return mapping
    frozen: dict[K, Any] = {
        key: to_immutable_dict(value) if isinstance(value, dict) else value
        for key, value in mapping.items()
    }
    return ImmutableDict(frozen)


def to_mutable_dict(mapping: Mapping[K, Any]) -> dict[K, Any]:
    """Returns a `dict` copy of `mapping`, turning read-only mappings inside it into `dict`s.

    As in Haiku, only read-only mappings (those from `to_immutable_dict`) are converted; other
    values, plain `dict`s included, are shared with the input rather than copied.

    >>> from sonnax import data_structures
    >>> params = data_structures.to_immutable_dict({"linear": {"w": 1.0}})
    >>> data_structures.to_mutable_dict(params)
    {'linear': {'w': 1.0}}

    Args:
      mapping: A mapping such as the result of `to_immutable_dict`.

    Returns:
      A new `dict` with the same keys, in the same order.
    """
    return {
        key: to_mutable_dict(value) if isinstance(value, ImmutableDict) else value
        for key, value in mapping.items()
    }


def _copy(value: Any) -> Any:
    if isinstance(value, Mapping):
        return {key: _copy(inner) for key, inner in value.items()}
    leaves, treedef = jax.tree.flatten(value)
    return jax.tree.unflatten(treedef, leaves)  # New containers, the same leaves.


def to_haiku_dict(structure: Mapping[K, V]) -> dict[K, V]:
    """Returns a copy of `structure` in the type sonnax's `init` and `apply` return: `dict`.

    >>> from sonnax import data_structures
    >>> data_structures.to_haiku_dict({"linear": {"w": 1.0}})
    {'linear': {'w': 1.0}}

    Args:
      structure: A params or state mapping, `{module_name: {name: value}}`.

    Returns:
      A new nested `dict` with the same contents; the same as `to_dict`.
    """
    return _copy(structure)


def to_dict(mapping: Mapping[str, Mapping[str, T]]) -> dict[str, dict[str, T]]:
    """Returns a plain nested `dict` copy of a params or state mapping.

    Every mapping, at any depth, becomes a new `dict`, and containers such as lists are rebuilt,
    so editing the copy never changes `mapping`; arrays are shared, not copied.

    >>> import types
    >>> from sonnax import data_structures
    >>> read_only = types.MappingProxyType({"linear": {"w": [1.0, 2.0]}})
    >>> data_structures.to_dict(read_only)
    {'linear': {'w': [1.0, 2.0]}}

    Args:
      mapping: Params or state, `{module_name: {name: value}}`, in any `Mapping` types.

    Returns:
      A new nested `dict` with the same keys, in the same order, and the same values.
    """
    return _copy(mapping)
