"""Max and average pooling: `max_pool`, `avg_pool` and their modules `MaxPool`, `AvgPool`."""

from __future__ import annotations

import warnings
from collections.abc import Sequence

import jax
import jax.numpy as jnp
import numpy as np
from jax import lax

from sonnax._src.core import module

_INT_SIZE_UNDER_VMAP = (
    "An int `window_shape` or `strides` other than 1 is deprecated: it is applied to every "
    "axis but the first and `channel_axis`, and under `vmap` the first axis is not the "
    "batch, so the window lands on the wrong axes. Pass one size per axis of an unbatched "
    "example instead, e.g. `window_shape=(3, 3, 1)` for `[H, W, C]` inputs rather than "
    "`window_shape=3`; extra leading input axes are then treated as batch axes (size 1)."
)


def _full_shape(
    value: jax.Array, size: int | Sequence[int], channel_axis: int | None, what: str, where: str
) -> tuple[int, ...]:
    """A per-axis window shape or stride for all of `value`'s axes."""
    if isinstance(size, int):
        # As in Haiku, `channel_axis=0` (falsy) means no channel axis.
        if channel_axis and not 0 <= abs(channel_axis) < value.ndim:
            raise ValueError(
                f"Invalid channel axis {channel_axis} for {value.shape}: {where} needs a "
                f"channel_axis in [{1 - value.ndim}, {value.ndim - 1}] or None."
            )
        if channel_axis and channel_axis < 0:
            channel_axis = value.ndim + channel_axis
        return (1,) + tuple(1 if d == channel_axis else size for d in range(1, value.ndim))
    if len(size) < value.ndim:
        return (1,) * (value.ndim - len(size)) + tuple(size)
    if len(size) > value.ndim:
        # Haiku asserts here, so the type is kept.
        raise AssertionError(
            f"{where}: {what} {tuple(size)} has {len(size)} entries but the input has rank "
            f"{value.ndim} (shape {value.shape}); give at most one size per input axis."
        )
    return tuple(size)


def _windows(
    value: jax.Array,
    window_shape: int | Sequence[int],
    strides: int | Sequence[int],
    padding: str,
    channel_axis: int | None,
    where: str,
) -> tuple[jax.Array, tuple[int, ...], tuple[int, ...]]:
    """Checks the arguments; returns `value` as an array and the full window and strides."""
    if padding not in ("SAME", "VALID"):
        raise ValueError(
            f"Invalid padding '{padding}', must be 'SAME' or 'VALID' ({where}; the string is "
            "case-sensitive)."
        )
    value = jnp.asarray(value)
    if any(isinstance(size, int) and size != 1 for size in (window_shape, strides)):
        warnings.warn(_INT_SIZE_UNDER_VMAP, DeprecationWarning, stacklevel=3)
    window = _full_shape(value, window_shape, channel_axis, "window_shape", where)
    stride = _full_shape(value, strides, channel_axis, "strides", where)
    return value, window, stride


def max_pool(
    value: jax.Array,
    window_shape: int | Sequence[int],
    strides: int | Sequence[int],
    padding: str,
    channel_axis: int | None = -1,
) -> jax.Array:
    """The maximum over each window.

    >>> import sonnax as hk
    >>> import jax.numpy as jnp
    >>> hk.max_pool(jnp.ones([2, 6, 6, 3]), (2, 2, 1), (2, 2, 1), "VALID").shape
    (2, 3, 3, 3)

    Args:
      value: the array to pool.
      window_shape: the window, one size per axis (leading axes may be left
        out and are then 1), or an int for every axis but the first and
        `channel_axis` (deprecated: wrong under `vmap`).
      strides: the window strides, given as `window_shape`.
      padding: `"SAME"` or `"VALID"`.
      channel_axis: the axis an int size leaves out (default -1), or `None`.

    Returns:
      The pooled array, of the rank of `value`.

    Raises:
      ValueError: `padding` or `channel_axis` is invalid.
    """
    value, window, stride = _windows(
        value, window_shape, strides, padding, channel_axis, "max_pool"
    )
    return lax.reduce_window(value, -jnp.inf, lax.max, window, stride, padding)


def avg_pool(
    value: jax.Array,
    window_shape: int | Sequence[int],
    strides: int | Sequence[int],
    padding: str,
    channel_axis: int | None = -1,
) -> jax.Array:
    """The mean over each window; with `"SAME"`, padding is left out of the mean.

    >>> import sonnax as hk
    >>> import jax.numpy as jnp
    >>> hk.avg_pool(jnp.ones([2, 5, 5, 3]), (2, 2, 1), (2, 2, 1), "SAME").shape
    (2, 3, 3, 3)

    Args:
      value: the array to pool.
      window_shape: the window, as in `max_pool`.
      strides: the window strides, as in `max_pool`.
      padding: `"SAME"` or `"VALID"`.
      channel_axis: the axis an int size leaves out (default -1), or `None`.

    Returns:
      The pooled array, of the rank of `value`.

    Raises:
      ValueError: `padding` or `channel_axis` is invalid.
    """
    value, window, stride = _windows(
        value, window_shape, strides, padding, channel_axis, "avg_pool"
    )
    total = lax.reduce_window(value, 0.0, lax.add, window, stride, padding)
    if padding == "VALID":
        return total / np.prod(window)
    # Count the real (unpadded) elements of each window; axes the window does not
    # span need no counting, so they keep size 1 and broadcast.
    counts_shape = [size if w != 1 else 1 for size, w in zip(value.shape, window, strict=True)]
    ones = jnp.ones(counts_shape, value.dtype)
    counts = lax.reduce_window(ones, 0.0, lax.add, window, stride, padding)
    return total / counts


class MaxPool(module.Module):
    """`max_pool` as a module with fixed arguments; it has no parameters.

    >>> import sonnax as hk
    >>> import jax.numpy as jnp
    >>> f = hk.transform(lambda x: hk.MaxPool((3, 3, 1), (2, 2, 1), "SAME")(x))
    >>> f.apply({}, None, jnp.ones([2, 5, 5, 3])).shape
    (2, 3, 3, 3)
    """

    def __init__(
        self,
        window_shape: int | Sequence[int],
        strides: int | Sequence[int],
        padding: str,
        channel_axis: int | None = -1,
        name: str | None = None,
    ):
        """Constructs the module.

        Args:
          window_shape: the window, as in `max_pool`.
          strides: the window strides, as in `max_pool`.
          padding: `"SAME"` or `"VALID"`.
          channel_axis: the axis an int size leaves out (default -1), or `None`.
          name: the module's name.
        """
        super().__init__(name=name)
        self.window_shape = window_shape
        self.strides = strides
        self.padding = padding
        self.channel_axis = channel_axis

    def __call__(self, value: jax.Array) -> jax.Array:
        """Returns `max_pool` of `value` with this module's arguments."""
        return max_pool(value, self.window_shape, self.strides, self.padding, self.channel_axis)


class AvgPool(module.Module):
    """`avg_pool` as a module with fixed arguments; it has no parameters.

    >>> import sonnax as hk
    >>> import jax.numpy as jnp
    >>> f = hk.transform(lambda x: hk.AvgPool((2, 2, 1), (2, 2, 1), "VALID")(x))
    >>> f.apply({}, None, jnp.ones([2, 6, 6, 3])).shape
    (2, 3, 3, 3)
    """

    def __init__(
        self,
        window_shape: int | Sequence[int],
        strides: int | Sequence[int],
        padding: str,
        channel_axis: int | None = -1,
        name: str | None = None,
    ):
        """Constructs the module.

        Args:
          window_shape: the window, as in `avg_pool`.
          strides: the window strides, as in `avg_pool`.
          padding: `"SAME"` or `"VALID"`.
          channel_axis: the axis an int size leaves out (default -1), or `None`.
          name: the module's name.
        """
        super().__init__(name=name)
        self.window_shape = window_shape
        self.strides = strides
        self.padding = padding
        self.channel_axis = channel_axis

    def __call__(self, value: jax.Array) -> jax.Array:
        """Returns `avg_pool` of `value` with this module's arguments."""
        return avg_pool(value, self.window_shape, self.strides, self.padding, self.channel_axis)
