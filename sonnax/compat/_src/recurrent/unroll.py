"""`static_unroll` and `dynamic_unroll`: run a core over a time-major sequence."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import jax
import jax.numpy as jnp

from sonnax._src.core import frames
from sonnax._src.transforms.stateful import loops

Core = Callable[[Any, Any], tuple[Any, Any]]


def _num_steps(input_sequence: Any) -> int:
    """The common leading dimension of the leaves of `input_sequence`."""
    leaves = jax.tree.leaves(input_sequence)
    all_num_steps = sorted({jnp.shape(leaf)[0] for leaf in leaves})
    if len(all_num_steps) > 1:
        raise ValueError(
            "input_sequence tensors must have consistent number of time steps, got leading "
            f"dimensions {[jnp.shape(leaf) for leaf in leaves]}"
        )
    if not all_num_steps or all_num_steps[0] == 0:
        raise ValueError("input_sequence must have at least a single time step")
    return all_num_steps[0]


def _keep_finished(finished: jax.Array, prev: jax.Array, new: jax.Array) -> jax.Array:
    """`prev` in the rows of finished sequences, `new` elsewhere (`new` for scalars)."""
    if jnp.ndim(new) == 0:
        return new
    condition = jnp.reshape(finished, finished.shape + (1,) * (jnp.ndim(new) - finished.ndim))
    return jnp.where(condition, prev, new)


def _rnn_step(
    core: Core,
    inputs: Any,
    sequence_length: Any,
    t: Any,
    prev_outputs: Any,
    prev_state: Any,
) -> tuple[Any, Any]:
    """One step of `core`; sequences shorter than `t + 1` keep their outputs and state."""
    outputs, state = core(inputs, prev_state)
    if prev_outputs is None:
        prev_outputs = jax.tree.map(jnp.zeros_like, outputs)
    if sequence_length is not None:
        finished = t >= jnp.asarray(sequence_length)

        def keep(prev: Any, new: Any) -> Any:
            return _keep_finished(finished, prev, new)

        outputs = jax.tree.map(keep, prev_outputs, outputs)
        state = jax.tree.map(keep, prev_state, state)
    return outputs, state


def static_unroll(
    core: Core,
    input_sequence: Any,
    initial_state: Any,
    sequence_length: Any | None = None,
) -> tuple[Any, Any]:
    """Runs `core` over a time-major sequence with a Python loop (one step per time step).

    Args:
      core: an `RNNCore` (or any `f(inputs, state) -> (outputs, state)`).
      input_sequence: a nest of arrays of shape `[T, B, ...]`.
      initial_state: the state before the first step.
      sequence_length: optional `[B]` lengths of the sequences in a padded batch: past its
        length a sequence keeps its last outputs and state.

    Returns:
      `(output_sequence, final_state)`, the outputs of shape `[T, B, ...]`.

    Raises:
      ValueError: the leaves of `input_sequence` have no or different numbers of steps.
    """
    num_steps = _num_steps(input_sequence)
    outputs = None
    state = initial_state
    all_outputs = []
    for t in range(num_steps):
        inputs = jax.tree.map(lambda x, t=t: x[t], input_sequence)
        outputs, state = _rnn_step(core, inputs, sequence_length, t, outputs, state)
        all_outputs.append(outputs)
    output_sequence = jax.tree.map(lambda *steps: jnp.stack(steps), *all_outputs)
    return output_sequence, state


def dynamic_unroll(
    core: Core,
    input_sequence: Any,
    initial_state: Any,
    sequence_length: Any | None = None,
    parallel_iterations: int = 1,
    swap_memory: bool = False,
) -> tuple[Any, Any]:
    """Runs `core` over a time-major sequence with `jax.lax.scan` (one loop under `jit`).

    The first step runs before the loop, as in Sonnet, so the core creates its variables
    outside it. Inside a transform the loop threads sonnax state and rng.

    Args:
      core: an `RNNCore` (or any `f(inputs, state) -> (outputs, state)`).
      input_sequence: a nest of arrays of shape `[T, B, ...]`.
      initial_state: the state before the first step.
      sequence_length: optional `[B]` lengths of the sequences in a padded batch: past its
        length a sequence keeps its last outputs and state.
      parallel_iterations: accepted for Sonnet compatibility; XLA schedules the loop.
      swap_memory: accepted for Sonnet compatibility; has no effect.

    Returns:
      `(output_sequence, final_state)`, the outputs of shape `[T, B, ...]`.

    Raises:
      ValueError: the leaves of `input_sequence` have no or different numbers of steps.
    """
    del parallel_iterations, swap_memory
    num_steps = _num_steps(input_sequence)
    first_inputs = jax.tree.map(lambda x: x[0], input_sequence)
    first_outputs, state = _rnn_step(core, first_inputs, sequence_length, 0, None, initial_state)
    if num_steps == 1:
        return jax.tree.map(lambda o: o[None], first_outputs), state

    def step(carry: Any, t_and_inputs: Any) -> tuple[Any, Any]:
        prev_outputs, prev_state = carry
        t, inputs = t_and_inputs
        outputs, next_state = _rnn_step(core, inputs, sequence_length, t, prev_outputs, prev_state)
        return (outputs, next_state), outputs

    rest = (jnp.arange(1, num_steps), jax.tree.map(lambda x: x[1:], input_sequence))
    scan = loops.scan if frames.inside_transform() else jax.lax.scan
    (_, state), later_outputs = scan(step, (first_outputs, state), rest)
    output_sequence = jax.tree.map(
        lambda first, later: jnp.concatenate([first[None], later]), first_outputs, later_outputs
    )
    return output_sequence, state
