"""Carrying a frame's params, state and rng into a pure JAX function and back out.

A stateful transform captures the current frame as an `InternalState` (a pytree),
passes it to the JAX transform as an ordinary argument, runs the user's function
in a frame rebuilt from the traced copy, and merges what changed back into the
caller's frame. The mechanics (which values travel, how rng keys are topped up,
which naming counters are shared) follow Haiku 0.0.17, so names, parameters and
random draws come out identical.
"""

from __future__ import annotations

import collections
import contextlib
from collections.abc import Iterator, Mapping
from typing import Any, NamedTuple

import jax

from sonnax._src import config
from sonnax._src.core import frames
from sonnax._src.core import rng as rng_lib


class InternalState(NamedTuple):
    """What a transformed function owns, as a pytree JAX can trace.

    Attributes:
      params: `{module: {name: array}}`, or `None` when not carried.
      state: the current state, same layout.
      initial_state: the initial state, same layout.
      rng: the rng sequence's `(key, subkeys)`, or `None` without rng.
    """

    params: Any
    state: Any
    initial_state: Any
    rng: Any


def _copy(tree: Any) -> Any:
    # New containers around the same leaves: mutating the copy leaves the source alone,
    # while leaf identity still tells `changes` which values were left untouched.
    return jax.tree.map(lambda leaf: leaf, tree)


def assert_transformed(public_name: str, jax_name: str) -> None:
    """Raises `ValueError` unless running inside `transform` (init or apply).

    Args:
      public_name: the sonnax function, e.g. `scan`.
      jax_name: its pure JAX counterpart, e.g. `jax.lax.scan`.
    """
    if not frames.inside_transform():
        raise ValueError(
            f"hk.{public_name}() should not be used outside of hk.transform(). Use "
            f"{jax_name}() instead: `hk.{public_name}` carries params, state and rng of a "
            "transformed function, so call it from inside the function given to "
            "`hk.transform`/`hk.transform_with_state`."
        )


def capture(*, params: bool = True) -> InternalState:
    """A copy of the current frame's params (unless `params=False`), state and rng."""
    frame = frames.current()
    sequence = frame.rng_stack[-1]
    return InternalState(
        params=_copy(frame.params) if params else None,
        state=_copy(frame.state),
        initial_state=_copy(frame.initial_state),
        rng=None if sequence is None else _copy(sequence.internal_state),
    )


def _merge(target: dict[str, dict[str, Any]], source: Mapping[str, Mapping[str, Any]]) -> None:
    # Exactly two levels: a state value may itself be a dict, and is stored whole.
    for bundle, values in source.items():
        for name, value in values.items():
            if value is not None:
                target.setdefault(bundle, {})[name] = value


def restore(carried: InternalState) -> None:
    """Writes values that came out of a JAX transform back into the current frame.

    `None` entries (unchanged values, see `changes`) are skipped; params are only
    written during init.

    Args:
      carried: the state returned by the pure function.
    """
    frame = frames.current()
    if carried.params is not None and not frame.params_frozen:
        _merge(frame.params, carried.params)
    if carried.state is not None:
        _merge(frame.state, carried.state)
    if carried.initial_state is not None:
        _merge(frame.initial_state, carried.initial_state)
    sequence = frame.rng_stack[-1]
    if carried.rng is not None and sequence is not None:
        sequence.replace_internal_state(carried.rng)


def _changed(before: Mapping[str, Mapping[str, Any]] | None, after: Any) -> Any:
    if after is None:
        return None
    before = before or {}
    return {
        bundle: {
            name: None if before.get(bundle, {}).get(name) is value else value
            for name, value in values.items()
        }
        for bundle, values in after.items()
    }


def changes(before: InternalState, after: InternalState) -> InternalState:
    """`after`, with each value that is the very object found in `before` set to `None`.

    Identity is a sound test only inside one trace: it never misses a change, and
    at worst reports an unchanged value as changed, which is harmless.

    Args:
      before: what the pure function was given.
      after: the frame's values when it returns.

    Returns:
      The values to write back with `restore`.
    """
    return InternalState(
        params=_changed(before.params, after.params),
        state=_changed(before.state, after.state),
        initial_state=_changed(before.initial_state, after.initial_state),
        # The rng is always handed back: any draw moves it on.
        rng=after.rng,
    )


def top_up_rng() -> None:
    """Leaves exactly `rng_reserve_size` reserved keys in the current rng sequence.

    Loops and branches must return as many keys as they were given (JAX requires
    equal structures), so keys are reserved, or extra ones dropped, before the
    state is captured and after each step, as Haiku does.
    """
    sequence = frames.current().rng_stack[-1]
    if sequence is None:
        return
    size = config.get_config().rng_reserve_size
    key, subkeys = sequence.internal_state
    subkeys = tuple(subkeys)
    if len(subkeys) < size:
        sequence.reserve(size - len(subkeys))
    elif len(subkeys) > size:
        sequence.replace_internal_state((key, subkeys[:size]))


def _inner_frame(outer: frames.Frame, carried: InternalState, share_names: bool) -> frames.Frame:
    params = _copy(outer.params) if carried.params is None else carried.params
    state = _copy(outer.state) if carried.state is None else carried.state
    initial = _copy(outer.initial_state) if carried.initial_state is None else carried.initial_state
    sequence = None if carried.rng is None else rng_lib.PRNGSequence(carried.rng)
    inner = frames.Frame(
        params, state, initial, sequence, outer.params_frozen, collections.Counter(), set()
    )
    inner.rng_stack = [*outer.rng_stack, sequence]
    if share_names:
        inner.module_stack = outer.module_stack
        inner.counter_stack = outer.counter_stack
        inner.used_names_stack = outer.used_names_stack
        inner.trace_stack = outer.trace_stack
    else:
        # Haiku decouples naming here: modules made inside do not advance the
        # caller's counters (so a module built in both branches of a cond gets one name).
        inner.module_stack = list(outer.module_stack)
        inner.counter_stack = [collections.Counter(counter) for counter in outer.counter_stack]
        inner.used_names_stack = [set(names) for names in outer.used_names_stack]
        inner.trace_stack = list(outer.trace_stack)
    return inner


@contextlib.contextmanager
def running_with(carried: InternalState, *, share_names: bool = False) -> Iterator[None]:
    """Within the block, sonnax APIs read and write `carried` (as traced by JAX).

    The block runs in a new frame, at the current JAX trace level, so that with
    `config.check_jax_usage` the APIs are allowed here but not in a raw JAX
    transform opened inside the block.

    Args:
      carried: the params, state and rng to run with; `None` fields fall back to a
        copy of the caller's.
      share_names: whether modules created inside advance the caller's naming
        counters (as under `remat`) or work on a copy (every other transform).
    """
    inner = _inner_frame(frames.current(), _copy(carried), share_names)
    frames.push(inner)
    inner.trace_stack.append(frames.current_trace_state())
    try:
        yield
    finally:
        inner.trace_stack.pop()
        frames.pop(inner)


def parameter_names() -> frozenset[tuple[str, str]]:
    """`(module, name)` of every parameter of the current frame."""
    return frozenset(
        (bundle, name) for bundle, values in frames.current().params.items() for name in values
    )
