"""`ResetCore`: wraps a core so that its state can be reset mid-sequence."""

from __future__ import annotations

from typing import Any

import jax
import jax.numpy as jnp

from sonnax._src.recurrent import rnn_core


def _expand_to_state(should_reset: jax.Array, state: jax.Array, module_name: str) -> jax.Array:
    """Appends size-1 axes to `should_reset` so it broadcasts over `state` from the left.

    Plain broadcasting would align trailing axes, so a `[batch]` signal would
    select along the state's last axis instead of per batch entry.
    """
    if should_reset.shape != state.shape[: should_reset.ndim]:
        raise ValueError(
            f"should_reset signal shape {should_reset.shape} is not compatible with state "
            f"shape {state.shape}: in module {module_name!r} the signal's shape must be a "
            "leading prefix of every state array's shape (e.g. [batch])."
        )
    return jnp.reshape(should_reset, should_reset.shape + (1,) * (state.ndim - should_reset.ndim))


class ResetCore(rnn_core.RNNCore):
    """Wraps `core` so that given entries of its state restart from `initial_state`.

    Each step takes `(inputs, should_reset)`. Where `should_reset` is true, the
    wrapped core sees its initial state instead of `state`. `should_reset` is an
    array whose shape is a prefix of every state array's shape (usually `[batch]`),
    or a nest matching the state with one such array per state array.

    >>> import sonnax as hk
    >>> import jax, jax.numpy as jnp
    >>> def f(x, should_reset):
    ...     core = hk.ResetCore(hk.LSTM(4))
    ...     return core((x, should_reset), core.initial_state(2))
    >>> params = hk.transform(f).init(jax.random.PRNGKey(0), jnp.ones([2, 3]), jnp.ones([2], bool))
    >>> jax.tree.map(jnp.shape, params)
    {'lstm/linear': {'b': (16,), 'w': (7, 16)}}
    """

    def __init__(self, core: rnn_core.RNNCore, name: str | None = None):
        """Constructs the wrapper.

        Args:
          core: the core to run.
          name: the module's name.
        """
        super().__init__(name=name)
        self.core = core

    def __call__(self, inputs: tuple[Any, Any], state: Any) -> tuple[Any, Any]:
        """Resets the marked state entries, then runs one step of the wrapped core.

        Args:
          inputs: `(inputs, should_reset)`; `should_reset` is a boolean array whose shape
            prefixes every state array's shape, or a nest of such arrays matching `state`.
          state: the wrapped core's previous state.

        Returns:
          The wrapped core's `(outputs, next_state)`.

        Raises:
          ValueError: `should_reset` does not fit the state.
        """
        inputs, should_reset = inputs
        inputs = jax.tree.map(jnp.asarray, inputs)
        should_reset = jax.tree.map(jnp.asarray, should_reset)
        state = jax.tree.map(jnp.asarray, state)
        if jax.tree_util.treedef_is_leaf(jax.tree.structure(should_reset)):
            should_reset = jax.tree.map(lambda _: should_reset, state)
        expand = lambda signal, leaf: _expand_to_state(signal, leaf, self.module_name)
        should_reset = jax.tree.map(expand, should_reset, state)
        batch_size = jax.tree.leaves(inputs)[0].shape[0] if self._is_batched(state) else None
        fresh = jax.tree.map(
            lambda leaf, initial: initial.astype(leaf.dtype), state, self.initial_state(batch_size)
        )
        state = jax.tree.map(jnp.where, should_reset, fresh, state)
        return self.core(inputs, state)

    def initial_state(self, batch_size: int | None) -> Any:
        """The wrapped core's initial state."""
        return self.core.initial_state(batch_size)

    def _is_batched(self, state: Any) -> bool:
        """Whether `state` has a leading batch axis, judged against a batch-of-one state."""
        leaves = jax.tree.leaves(state)
        if not leaves:
            return False
        batch_of_one = jax.tree.leaves(self.initial_state(batch_size=1))
        return all(
            one.shape[1:] == leaf.shape[1:] for one, leaf in zip(batch_of_one, leaves, strict=False)
        )
