"""`BatchApply` and `expand_apply`: run a function on inputs with reshaped leading axes."""

from __future__ import annotations

import functools
import math
from collections.abc import Callable
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np


class BatchApply:
    """Merges the leading `num_dims` dimensions of the inputs, calls `f`, splits them back.

    Useful to apply a module to every step of a `[time, batch, ...]` array in
    one call. Input leaves with fewer than `num_dims` dimensions (e.g. Python
    floats) are passed unchanged. Every output leaf must have the merged
    leading dimension.

    >>> import sonnax as hk
    >>> import jax, jax.numpy as jnp
    >>> f = hk.transform(lambda x: hk.BatchApply(hk.Linear(4))(x))
    >>> params = f.init(jax.random.PRNGKey(0), jnp.ones([5, 2, 3]))
    >>> jax.tree.map(jnp.shape, params)
    {'linear': {'b': (4,), 'w': (3, 4)}}
    >>> f.apply(params, None, jnp.ones([5, 2, 3])).shape
    (5, 2, 4)
    """

    def __init__(self, f: Callable[..., Any], num_dims: int = 2):
        """Wraps `f`.

        Args:
          f: the callable to apply to the merged inputs.
          num_dims: how many leading dimensions to merge into one.
        """
        self._f = f
        self.num_dims = num_dims

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        """Calls `f` on the merged arguments and splits its outputs.

        Args:
          *args: positional arguments (pytrees) for `f`.
          **kwargs: keyword arguments (pytrees) for `f`.

        Returns:
          `f`'s output, each leaf's first dimension split back into the
          leading dimensions of the first input leaf of rank >= `num_dims`.

        Raises:
          ValueError: no input leaf has at least `num_dims` dimensions.
        """
        leaves = jax.tree.leaves((args, kwargs))
        example = next((x for x in leaves if np.ndim(x) >= self.num_dims), None)
        if example is None:
            raise ValueError(
                f"BatchApply requires at least one input with ndim >= {self.num_dims}; got "
                f"input leaves of shapes {[np.shape(x) for x in leaves]}. Pass an array with "
                f"the {self.num_dims} leading dimensions to merge, or lower num_dims."
            )
        leading = tuple(np.shape(example)[: self.num_dims])
        args, kwargs = jax.tree.map(
            functools.partial(_merge, num_dims=self.num_dims), (args, kwargs)
        )
        outputs = self._f(*args, **kwargs)
        return jax.tree.map(lambda x: x.reshape(leading + x.shape[1:]), outputs)


def _merge(x: Any, num_dims: int) -> Any:
    """Merges the leading `num_dims` dimensions of `x`, keeping its array type."""
    if np.ndim(x) < num_dims:
        return x
    return x.reshape((math.prod(x.shape[:num_dims]), *x.shape[num_dims:]))


def expand_apply(f: Callable[..., Any], axis: int = 0) -> Callable[..., Any]:
    """Wraps `f` to add a size-1 axis to every input leaf and remove it from every output.

    Useful to run a function written for `[time, batch, ...]` arrays on a
    single time step.

    >>> import sonnax as hk
    >>> import jax.numpy as jnp
    >>> running_total = lambda xs: jnp.cumsum(xs, axis=0)  # xs: [time, batch, ...]
    >>> hk.expand_apply(running_total)(jnp.ones([2, 3])).shape
    (2, 3)

    Args:
      f: the function.
      axis: where to add the axis: 0 or -1.

    Returns:
      The wrapped function.

    Raises:
      ValueError: `axis` is neither 0 nor -1.
    """
    if axis not in (0, -1):
        raise ValueError(
            f"expand_apply currently only supports axis=0 or axis=-1, got axis={axis!r}."
        )

    @functools.wraps(f)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        expand = functools.partial(jnp.expand_dims, axis=axis)
        args, kwargs = jax.tree.map(expand, (args, kwargs))
        outputs = f(*args, **kwargs)
        return jax.tree.map(functools.partial(jnp.squeeze, axis=axis), outputs)

    return wrapper
