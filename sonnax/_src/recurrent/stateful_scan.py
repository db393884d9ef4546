"""`scan`: `jax.lax.scan` for a step function that uses sonnax params, state and rng.

`dynamic_unroll` needs this inside a transform. It is kept beside its only user
until the stateful control-flow transforms (`hk.scan`, issue 4) land; `dynamic_unroll`
should then call that instead.
"""

from __future__ import annotations

import collections
import contextlib
from collections.abc import Callable, Iterator
from typing import Any

import jax
import jax.numpy as jnp

from sonnax._src import config
from sonnax._src.core import frames, rng


def _param_names(frame: frames.Frame) -> set[str]:
    return {f"{bundle}/{name}" for bundle, values in frame.params.items() for name in values}


def _top_up_rng(frame: frames.Frame) -> None:
    """Leaves exactly `rng_reserve_size` reserved keys, as Haiku's scan does each step.

    The rng state travels in the scan carry, whose structure must not change between
    steps, so the number of reserved keys is fixed before and after every step.
    """
    sequence = frame.rng_stack[-1]
    if sequence is None:
        return
    wanted = config.get_config().rng_reserve_size
    key, reserved = sequence.internal_state
    subkeys = tuple(reserved)
    if len(subkeys) < wanted:
        sequence.reserve(wanted - len(subkeys))
    elif len(subkeys) > wanted:
        sequence.replace_internal_state((key, subkeys[:wanted]))


def _rng_state(frame: frames.Frame) -> Any:
    sequence = frame.rng_stack[-1]
    return None if sequence is None else sequence.internal_state


@contextlib.contextmanager
def _inside_step(frame: frames.Frame, state: Any, rng_state: Any) -> Iterator[None]:
    """Runs a step on traced state and rng; module names taken inside stay inside."""
    saved = (frame.state, frame.counter_stack, frame.used_names_stack, frame.trace_stack)
    frame.state = frames.copy_tree(state)
    frame.counter_stack = [collections.Counter(counter) for counter in saved[1]]
    frame.used_names_stack = [set(names) for names in saved[2]]
    frame.trace_stack = [*saved[3], frames.current_trace_state()]
    frame.rng_stack.append(None if rng_state is None else rng.PRNGSequence(rng_state))
    try:
        yield
    finally:
        frame.rng_stack.pop()
        frame.state, frame.counter_stack, frame.used_names_stack, frame.trace_stack = saved


def _stateful_step(f: Callable[[Any, Any], tuple[Any, Any]], frame: frames.Frame) -> Callable:
    def step(carry: Any, x: Any) -> tuple[Any, Any]:
        carry, (state, rng_state) = carry
        with _inside_step(frame, state, rng_state):
            before = _param_names(frame)
            carry, y = f(carry, x)
            created = _param_names(frame) - before
            if created:
                raise AssertionError(
                    f"New parameters were created: {sorted(created)}. Inside a scan every step "
                    "must reuse the parameters the first step created."
                )
            _top_up_rng(frame)
            return (carry, (frames.copy_tree(frame.state), _rng_state(frame))), y

    return step


def _first_step(f: Callable, init: Any, xs: Any, length: int, reverse: bool) -> tuple:
    """Runs one step outside the loop (init creates params and state there)."""
    if not length:
        x0 = jax.tree.map(lambda x: jnp.zeros(x.shape[1:], x.dtype), xs)
        _, y0 = f(init, x0)
        return init, jax.tree.map(lambda y: jnp.zeros((0, *y.shape), y.dtype), y0), xs
    x0 = jax.tree.map(lambda x: x[-1] if reverse else x[0], xs)
    rest = jax.tree.map(lambda x: x[:-1] if reverse else x[1:], xs)
    carry, y0 = f(init, x0)
    return carry, jax.tree.map(lambda y: jnp.expand_dims(y, 0), y0), rest


def scan(
    f: Callable[[Any, Any], tuple[Any, Any]],
    init: Any,
    xs: Any,
    length: int | None = None,
    reverse: bool = False,
    unroll: int = 1,
) -> tuple[Any, Any]:
    """`jax.lax.scan` of `f` inside a transform, threading sonnax state and rng.

    In init the first step runs outside the loop, so that parameters and state
    are created with concrete structure, exactly as Haiku's `hk.scan` does.

    Args:
      f: `f(carry, x) -> (carry, y)`.
      init: the initial carry.
      xs: a nest of arrays scanned along their leading axis.
      length: the number of steps (default: the leading size of `xs`).
      reverse: scan from the end.
      unroll: passed to `jax.lax.scan`.

    Returns:
      `(final_carry, stacked_ys)`.
    """
    frame = frames.assert_inside("scan")
    if length is None:
        length = jax.tree.leaves(xs)[0].shape[0]
    first_y = None
    if not frame.params_frozen:
        init, first_y, xs = _first_step(f, init, xs, length, reverse)
        length -= 1
        if length <= 0:
            return init, first_y
    _top_up_rng(frame)
    carry = (init, (frames.copy_tree(frame.state), _rng_state(frame)))
    step = _stateful_step(f, frame)
    (carry, (state, rng_state)), ys = jax.lax.scan(step, carry, xs, length, reverse, unroll=unroll)
    for bundle, values in state.items():
        frame.state.setdefault(bundle, {}).update(values)
    sequence = frame.rng_stack[-1]
    if sequence is not None:
        sequence.replace_internal_state(rng_state)
    if first_y is not None:
        pair = (ys, first_y) if reverse else (first_y, ys)
        ys = jax.tree.map(lambda a, b: jnp.concatenate([a, b]), *pair)
    return carry, ys
