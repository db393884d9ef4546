"""`static_unroll` and `dynamic_unroll`: run a recurrent core over a sequence."""

from __future__ import annotations

from typing import Any

import jax
import jax.numpy as jnp

from sonnax._src.core import frames
from sonnax._src.recurrent import rnn_core
from sonnax._src.transforms.stateful import loops


def _check_time_lengths(leaves: list, time_axis: int, function: str, error: type) -> None:
    """Raises `error` unless every leaf has the same size along `time_axis`."""
    lengths = [jnp.shape(leaf)[time_axis] for leaf in leaves]
    for index, length in enumerate(lengths):
        if length != lengths[0]:
            raise error(
                f"{function}: every leaf of input_sequence must have the same number of time "
                f"steps along axis {time_axis}; the first leaf has {lengths[0]} but leaf "
                f"{index} has {length} (shapes: {[jnp.shape(leaf) for leaf in leaves]})."
            )


def static_unroll(
    core: rnn_core.RNNCore, input_sequence: Any, initial_state: Any, time_major: bool = True
) -> tuple[Any, Any]:
    """Unrolls `core` over `input_sequence` with a Python loop (one copy of the step per time).

    Args:
      core: the core to run at each step.
      input_sequence: a nest of arrays of shape `[T, ...]` (time major) or `[B, T, ...]`.
      initial_state: the state before the first step.
      time_major: whether time is the leading axis of inputs and outputs.

    Returns:
      `(output_sequence, final_state)`, the outputs stacked along the time axis.

    Raises:
      IndexError: the leaves of `input_sequence` differ in their number of time steps.
    """
    time_axis = 0 if time_major else 1
    leaves, treedef = jax.tree.flatten(input_sequence)
    if not leaves:
        raise IndexError("static_unroll: input_sequence holds no arrays, so no time steps.")
    _check_time_lengths(leaves, time_axis, "static_unroll", IndexError)
    num_steps = jnp.shape(leaves[0])[time_axis]
    # Unstacking once gives JAX one slicing op with an efficient transpose rule.
    per_leaf = [jnp.unstack(leaf, axis=time_axis) for leaf in leaves]
    state = initial_state
    outputs = []
    for t in range(num_steps):
        step_inputs = jax.tree.unflatten(treedef, [steps[t] for steps in per_leaf])
        output, state = core(step_inputs, state)
        outputs.append(output)
    output_sequence = jax.tree.map(lambda *steps: jnp.stack(steps, axis=time_axis), *outputs)
    return output_sequence, state


def _swap_batch_time(nest: Any) -> Any:
    return jax.tree.map(lambda x: jnp.swapaxes(x, 0, 1), nest)


def dynamic_unroll(
    core: rnn_core.RNNCore,
    input_sequence: Any,
    initial_state: Any,
    time_major: bool = True,
    reverse: bool = False,
    return_all_states: bool = False,
    unroll: int = 1,
) -> tuple[Any, Any]:
    """Unrolls `core` over `input_sequence` with `scan`, keeping one loop under `jit`.

    Inside a transform the loop threads sonnax state and rng (as `hk.scan`);
    outside one it is plain `jax.lax.scan`.

    Args:
      core: the core to run at each step.
      input_sequence: a nest of arrays of shape `[T, ...]` (time major) or `[B, T, ...]`.
      initial_state: the state before the first step.
      time_major: whether time is the leading axis of inputs and outputs.
      reverse: run from the last time step to the first (outputs keep their time order).
      return_all_states: return the state after every step instead of the final one.
      unroll: how many steps to unroll in each loop iteration (`jax.lax.scan`'s `unroll`).

    Returns:
      `(output_sequence, final_state)`, or `(output_sequence, state_sequence)` when
      `return_all_states`; sequences have time on the same axis as the inputs.

    Raises:
      ValueError: the leaves of `input_sequence` differ in their number of time steps.
    """
    leaves = jax.tree.leaves(input_sequence)
    _check_time_lengths(leaves, 0 if time_major else 1, "dynamic_unroll", ValueError)

    def step(prev_state: Any, inputs: Any) -> tuple[Any, Any]:
        outputs, next_state = core(inputs, prev_state)
        return next_state, ((outputs, next_state) if return_all_states else outputs)

    if not time_major:
        input_sequence = _swap_batch_time(input_sequence)
    scan = loops.scan if frames.inside_transform() else jax.lax.scan
    last_state, stacked = scan(step, initial_state, input_sequence, reverse=reverse, unroll=unroll)
    if return_all_states:
        output_sequence, states = stacked
    else:
        output_sequence, states = stacked, last_state
    if not time_major:
        output_sequence = _swap_batch_time(output_sequence)
        if return_all_states:
            states = _swap_batch_time(states)
    return output_sequence, states
