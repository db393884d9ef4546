"""State: values a transformed function reads and writes, such as BatchNorm statistics."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import jax
import jax.numpy as jnp

from sonnax._src.core import frames, interceptors, naming, params
from sonnax._src.typing import Initializer, State


def get_state(
    name: str,
    shape: Sequence[int] | None = None,
    dtype: Any = jnp.float32,
    init: Initializer | None = None,
) -> jax.Array:
    """Reads a state value of the current module, creating it with `init` if absent.

    >>> import sonnax as hk
    >>> import jax.numpy as jnp
    >>> def counter():
    ...     count = hk.get_state("count", [], jnp.int32, init=jnp.zeros)
    ...     hk.set_state("count", count + 1)
    ...     return count
    >>> f = hk.transform_with_state(counter)
    >>> params, state = f.init(None)
    >>> state
    {'~': {'count': Array(0, dtype=int32)}}

    Args:
      name: the value's name within its module.
      shape: its shape (needed only to create it).
      dtype: its dtype (needed only to create it).
      init: called as `init(shape, dtype)` when the value does not exist yet.

    Returns:
      The current value (after any custom state getters).
    """
    frame = frames.assert_inside("get_state", pure_jax_only=True)
    bundle = params.bundle_name(frame)
    value: Any = frame.state.get(bundle, {}).get(name)
    if value is None:
        if init is None:
            raise ValueError(
                f"No value for {name!r} in {bundle!r}, perhaps set an init function? "
                f"(state of {bundle!r}: {sorted(frame.state.get(bundle, {}))})"
            )
        if shape is None or dtype is None:
            raise ValueError(f"Must provide shape and dtype to initialize {name!r} in {bundle!r}.")
        if interceptors.stacks.state_creators:
            context = params.getter_context(frame, bundle, name, shape, dtype, init)
            creators = interceptors.stacks.state_creators
            value = interceptors.run_creators(creators, context, shape, dtype, init)
        else:
            value = init(shape, dtype)
        if value is not params.DO_NOT_STORE:
            frame.state.setdefault(bundle, {})[name] = value
            frame.initial_state.setdefault(bundle, {})[name] = value
    if interceptors.stacks.state_getters:
        context = params.getter_context(frame, bundle, name, shape, dtype, init)
        value = interceptors.run_chain(interceptors.stacks.state_getters, context, value)
    return value


def set_state(name: str, value: Any) -> None:
    """Sets a state value of the current module.

    In init, the first value set becomes the initial state returned by `init`.

    Args:
      name: the value's name within its module.
      value: the new value (an array or a pytree of arrays).
    """
    frame = frames.assert_inside("set_state", pure_jax_only=True)
    bundle = params.bundle_name(frame)
    if interceptors.stacks.state_setters:
        context = interceptors.SetterContext(
            f"{bundle}/{name}",
            frame.current_module(),
            jax.tree.map(lambda x: getattr(x, "dtype", None), value),
            jax.tree.map(lambda x: getattr(x, "shape", None), value),
            naming.lifted_prefix_name(),
        )
        value = interceptors.run_chain(interceptors.stacks.state_setters, context, value)
        if value is params.DO_NOT_STORE:
            return
    current = frame.state.setdefault(bundle, {})
    if name not in current:
        frame.initial_state.setdefault(bundle, {})[name] = value
    current[name] = value


def get_current_state() -> State:
    """A copy of the state as it stands now (what `apply` would return). Runs no getters."""
    return frames.copy_tree(frames.assert_inside("get_current_state").state)


def get_initial_state() -> State:
    """A copy of the initial state (what `init` returns, or what `apply` was given)."""
    return frames.copy_tree(frames.assert_inside("get_initial_state").initial_state)
