"""`TrainableState`: a learned initial state for a recurrent core."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Any

import jax
import jax.numpy as jnp

from sonnax._src.core import frames, params, state
from sonnax._src.core import module as core_module
from sonnax.compat._src import base
from sonnax.compat._src.recurrent import rnn_core


def _path_component(key: Any) -> str:
    for attribute in ("key", "name", "idx"):
        if hasattr(key, attribute):
            return str(getattr(key, attribute))
    return str(key)


@contextlib.contextmanager
def _variable_scope(full_name: str) -> Iterator[None]:
    """Stores what is created inside under the bundle `full_name`.

    Sonnet names a nested state's variables by their path (`0/hidden`), and the
    converter's rule puts the variable `trainable_state/0/hidden` in the bundle
    `trainable_state/~/0`; path parts such as `0` are not module names, so this scope
    is built directly rather than through a module constructor.
    """
    scope = object.__new__(core_module.NameScopeModule)
    scope.module_name = full_name
    scope.name = full_name.rsplit("/", 1)[-1]
    scope._submodules = set()
    frame = frames.current()
    scope._creation_frame_id = frame.frame_id
    frame.push_module(scope, "__init__")
    try:
        yield
    finally:
        frame.pop_module()


class TrainableState(base.Module):
    """A learned initial state: variables of batch size one, tiled to the batch.

    Each leaf of the state is a variable named by its path in the nest (`hidden`,
    `0/cell`, ...; `state` for an un-nested state), of shape `[1, ...]`. Leaves whose
    `mask` entry is `False` are non-trainable (sonnax state rather than params).
    """

    @classmethod
    def for_core(
        cls, core: rnn_core.RNNCore, mask: Any | None = None, name: str | None = None
    ) -> TrainableState:
        """A trainable state initialized to `core.initial_state(batch_size=1)`.

        Args:
          core: the core whose state to learn.
          mask: optional nest of booleans like the core's state: which leaves are trainable
            (default all).
          name: the module's name.

        Returns:
          The `TrainableState`.
        """
        initial_values = jax.tree.map(
            lambda s: jnp.squeeze(s, axis=0), core.initial_state(batch_size=1)
        )
        return cls(initial_values, mask, name)

    def __init__(self, initial_values: Any, mask: Any | None = None, name: str | None = None):
        """Creates the variables.

        Args:
          initial_values: a nest of arrays (without batch axis): the initial values.
          mask: optional nest of booleans like `initial_values`: which leaves are trainable
            (default all).
          name: the module's name.
        """
        super().__init__(name)
        flat_values, treedef = jax.tree_util.tree_flatten_with_path(initial_values)
        if mask is None:
            flat_mask = [True] * len(flat_values)
        else:
            mask_structure: Any = jax.tree.structure(mask)
            if mask_structure != treedef:
                raise ValueError(
                    f"TrainableState {self.module_name!r}: mask must have the structure of "
                    f"initial_values ({treedef}), got {jax.tree.structure(mask)}."
                )
            flat_mask = jax.tree.leaves(mask)
        template = []
        for (path, value), trainable in zip(flat_values, flat_mask, strict=True):
            *scopes, leaf_name = [_path_component(key) for key in path] or ["state"]
            template.append(self._variable(scopes, leaf_name, jnp.asarray(value), trainable))
        self._template = jax.tree.unflatten(treedef, template)

    def _variable(
        self, scopes: list[str], name: str, value: jax.Array, trainable: bool
    ) -> jax.Array:
        def init(shape: Any, dtype: Any) -> jax.Array:
            del shape, dtype
            return jnp.expand_dims(value, axis=0)

        get = params.get_parameter if trainable else state.get_state
        shape, dtype = (1, *value.shape), value.dtype
        if not scopes:
            return get(name, shape, dtype, init=init)
        with _variable_scope("/~/".join([self.module_name, *scopes])):
            return get(name, shape, dtype, init=init)

    def __call__(self, batch_size: int) -> Any:
        """The state tiled to `batch_size`.

        Args:
          batch_size: the batch size.

        Returns:
          The nest of initial values, each of shape `[batch_size, ...]`.
        """
        return jax.tree.map(
            lambda s: jnp.tile(s, [batch_size] + [1] * (s.ndim - 1)), self._template
        )
