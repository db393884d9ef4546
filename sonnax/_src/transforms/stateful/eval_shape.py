"""`eval_shape`: `jax.eval_shape` inside a transformed function, leaving its state alone."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

import jax

from sonnax._src.transforms.stateful import internal_state


def eval_shape(fun: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
    """`jax.eval_shape` of a function that uses modules, params, state or rng.

    Params and state created or set by `fun`, and keys it draws, are discarded.

    >>> import sonnax as hk
    >>> import jax, jax.numpy as jnp
    >>> def f(x):
    ...     linear = hk.Linear(4)
    ...     return linear(x), hk.eval_shape(linear, jax.ShapeDtypeStruct((7, 3), x.dtype))
    >>> f = hk.transform(f)
    >>> params = f.init(jax.random.PRNGKey(0), jnp.ones([2, 3]))
    >>> f.apply(params, None, jnp.ones([2, 3]))[1]
    ShapeDtypeStruct(shape=(7, 4), dtype=float32)

    Args:
      fun: the function.
      *args: its positional arguments (arrays or `jax.ShapeDtypeStruct`s).
      **kwargs: its keyword arguments.

    Returns:
      `jax.ShapeDtypeStruct`s shaped like `fun`'s output.

    Raises:
      ValueError: used outside `transform`.
    """
    internal_state.assert_transformed("eval_shape", "jax.eval_shape")

    @functools.wraps(fun)
    def stateless_fun(carried: internal_state.InternalState, *args: Any, **kwargs: Any) -> Any:
        with internal_state.running_with(carried):
            return fun(*args, **kwargs)

    return jax.eval_shape(stateless_fun, internal_state.capture(), *args, **kwargs)
