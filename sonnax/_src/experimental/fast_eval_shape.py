"""`fast_eval_shape`: `eval_shape` that skips work whose shapes are already known."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import jax
import jax.numpy as jnp

from sonnax._src.core import frames, interceptors
from sonnax._src.transforms.stateful import eval_shape as eval_shape_lib


def _zeros_creator(
    next_creator: Callable[..., Any], shape: Any, dtype: Any, init: Any, context: Any
) -> Any:
    del init, context  # Every initializer gives the same shape and dtype as zeros.
    return next_creator(shape, dtype, jnp.zeros)


def fast_eval_shape(fun: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
    """`jax.eval_shape` (or `hk.eval_shape` inside a transform), faster for big models.

    Parameter initializers are replaced by zeros while tracing: the shapes and
    dtypes are the same, and tracing a random initializer costs Python time.

    >>> import sonnax as hk
    >>> import jax, jax.numpy as jnp
    >>> f = hk.transform(lambda x: hk.Linear(3)(x))
    >>> hk.experimental.fast_eval_shape(f.init, jax.random.PRNGKey(0), jnp.ones([1, 2]))
    {'linear': {'b': ShapeDtypeStruct(shape=(3,), dtype=float32), \
'w': ShapeDtypeStruct(shape=(2, 3), dtype=float32)}}

    Args:
      fun: the function to trace.
      *args: its positional arguments (arrays or `jax.ShapeDtypeStruct`).
      **kwargs: its keyword arguments.

    Returns:
      The shapes and dtypes of `fun`'s output, as `jax.ShapeDtypeStruct`.
    """
    creators = interceptors.stacks.param_creators
    # Innermost, as Haiku's `custom_creator_unsafe` would put it; works outside a transform.
    creators.append(_zeros_creator)
    try:
        if frames.inside_transform():
            return eval_shape_lib.eval_shape(fun, *args, **kwargs)
        return jax.eval_shape(fun, *args, **kwargs)
    finally:
        assert creators.pop() is _zeros_creator, "param creators were exited out of order"
