"""Checks and the per-parameter loop shared by the compat optimizers."""

from __future__ import annotations

import typing
from collections.abc import Callable, Sequence
from typing import Any

import jax
import jax.numpy as jnp


def _is_none(x: Any) -> bool:
    return x is None


def check_updates_parameters(updates: Any, parameters: Any) -> tuple[list[Any], list[Any], Any]:
    """Raises a `ValueError` unless `updates` fit `parameters`, as Sonnet's optimizers do.

    Args:
      updates: a pytree like `parameters`, with `None` for a parameter without update.
      parameters: a pytree of arrays.

    Returns:
      `(flat_updates, flat_parameters, treedef)`: the leaves (`None` kept) and the
      structure of `parameters`.
    """
    flat_parameters, treedef = jax.tree.flatten(parameters)
    flat_updates, updates_def = jax.tree.flatten(updates, is_leaf=_is_none)
    if typing.cast(Any, updates_def) != treedef:  # The PyTreeDef stub lacks `!=`.
        raise ValueError(
            "`updates` and `parameters` must be the same length (the same pytree structure): "
            f"got updates {updates_def} and parameters {treedef}."
        )
    if not flat_parameters:
        raise ValueError("`parameters` cannot be empty.")
    if all(update is None for update in flat_updates):
        raise ValueError("No updates provided for any parameter.")
    return flat_updates, flat_parameters, treedef


def check_same_dtype(update: jax.Array, parameter: jax.Array) -> None:
    """Raises a `ValueError` unless `update` has the dtype of `parameter`."""
    if update.dtype != parameter.dtype:
        raise ValueError(
            f"DType of update ({update.dtype}, shape {update.shape}) is not equal to that of "
            f"parameter ({parameter.dtype}, shape {parameter.shape})."
        )


def cast(value: Any, dtype: Any) -> Any:
    """`value` as an array of `dtype`, as Sonnet casts hyperparameters; as is for `None`."""
    return value if dtype is None else jnp.asarray(value, dtype)


def apply_per_parameter(
    updates: Any,
    parameters: Any,
    slots: Sequence[Any],
    update_one: Callable[..., tuple[jax.Array, ...]],
) -> tuple[Any, tuple[Any, ...]]:
    """Updates each parameter that has an update, with its slots; leaves the others alone.

    Args:
      updates: a pytree like `parameters`, with `None` for a parameter without update.
      parameters: a pytree of arrays.
      slots: pytrees with the structure of `parameters` (e.g. Adam's `m` and `v`).
      update_one: `update_one(update, parameter, *slot_values)` returns
        `(new_parameter, *new_slot_values)` for one parameter.

    Returns:
      `(new_parameters, new_slots)`.
    """
    flat_updates, flat_parameters, treedef = check_updates_parameters(updates, parameters)
    flat_slots = [treedef.flatten_up_to(slot) for slot in slots]
    new_parameters = list(flat_parameters)
    new_slots = [list(slot) for slot in flat_slots]
    for i, (update, parameter) in enumerate(zip(flat_updates, flat_parameters, strict=True)):
        if update is None:
            continue
        update, parameter = jnp.asarray(update), jnp.asarray(parameter)
        check_same_dtype(update, parameter)
        new_parameter, *new_values = update_one(update, parameter, *(s[i] for s in flat_slots))
        new_parameters[i] = new_parameter
        for slot, value in zip(new_slots, new_values, strict=True):
            slot[i] = value
    return treedef.unflatten(new_parameters), tuple(treedef.unflatten(s) for s in new_slots)


def zeros_like(parameters: Any) -> Any:
    """A slot tree of zeros shaped and typed like `parameters`."""
    return jax.tree.map(jnp.zeros_like, parameters)
