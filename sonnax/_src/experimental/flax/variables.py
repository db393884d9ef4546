"""Conversions between Flax's nested variable collections and sonnax's two-level dicts.

Flax nests `{"linear": {"w": ...}}` per scope; sonnax keys `{"mlp/~/linear": {"w": ...}}`
by module path. Top-level Flax variables live under the module name `~`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import flax.core

from sonnax._src import filtering


def flatten_flax_to_haiku(collection: Mapping[str, Any]) -> dict[str, dict[str, Any]]:
    """Flattens one Flax variable collection (e.g. `params`) to a sonnax params dict.

    >>> from sonnax.experimental.flax import flatten_flax_to_haiku
    >>> flatten_flax_to_haiku({"mlp": {"linear": {"w": 1}}, "b": 2})
    {'mlp/linear': {'w': 1}, '~': {'b': 2}}

    Args:
      collection: nested `{scope: {...: {name: value}}}`.

    Returns:
      `{"scope/path": {name: value}}`, with top-level values under `~`.
    """
    out: dict[str, dict[str, Any]] = {}
    _flatten_into(collection, (), out)
    return out


def _flatten_into(
    collection: Mapping[str, Any], prefix: tuple[str, ...], out: dict[str, dict[str, Any]]
) -> None:
    for name, value in collection.items():
        if isinstance(value, Mapping):
            _flatten_into(value, (*prefix, name), out)
        else:
            out.setdefault("/".join(prefix) if prefix else "~", {})[name] = value


def params_to_flax(params: Mapping[str, Mapping[str, Any]]) -> dict[str, Any]:
    """The inverse of `flatten_flax_to_haiku` for params (`~` values at the top)."""
    collection: dict[str, Any] = {}
    for module_name, name, value in filtering.traverse(params):
        nested = collection
        if module_name != "~":
            for part in module_name.split("/"):
                nested = nested.setdefault(part, {})
        nested[name] = value
    return collection


def flax_variables_to_state(variables: Mapping[str, Mapping[str, Any]]) -> dict[str, Any]:
    """Non-param Flax collections as sonnax state, keyed `collection/scope/path`."""
    state: dict[str, dict[str, Any]] = {}
    for collection_name, collection in variables.items():
        flat = flatten_flax_to_haiku(collection)
        for module_name, name, value in filtering.traverse(flat):
            state.setdefault(f"{collection_name}/{module_name}", {})[name] = value
    return state


def state_to_flax_variables(state: Mapping[str, Mapping[str, Any]]) -> dict[str, Any]:
    """The inverse of `flax_variables_to_state`."""
    variables: dict[str, Any] = {}
    for key, values in state.items():
        collection_name, *path, last = key.split("/")
        nested = variables.setdefault(collection_name, {})
        if not path and last == "~":
            nested.update(values)
            continue
        for part in path:
            nested = nested.setdefault(part, {})
        nested[last] = dict(values)
    return variables


def store(scope: flax.core.Scope | None, **collections: Mapping[str, Mapping[str, Any]]) -> None:
    """Puts sonnax params/state into Flax collections of the same names under `scope`."""
    assert scope is not None, "store is called from a bound (initialised or applied) module"
    for collection_name, tree in collections.items():
        for module_name, name, value in filtering.traverse(tree):
            inner = scope
            for part in module_name.split("/"):
                inner = inner.push(part, reuse=True)
            inner.put_variable(collection_name, name, value)


def changed(old: Mapping[str, Mapping[str, Any]], new: Mapping[str, Mapping[str, Any]]):
    """The entries of `new` that exist in `old` but are no longer the same object."""
    out: dict[str, dict[str, Any]] = {}
    for module_name, name, value in filtering.traverse(new):
        if name in old.get(module_name, {}) and old[module_name][name] is not value:
            out.setdefault(module_name, {})[name] = value
    return out
