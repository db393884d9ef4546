"""`LayerNorm` and `InstanceNorm`: normalization by each example's own statistics."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import TypeAlias

import jax
import jax.numpy as jnp

from sonnax._src.core import module
from sonnax._src.layers import scale_offset, spatial
from sonnax._src.typing import Initializer

AxisOrAxes: TypeAlias = int | Sequence[int] | slice
AxesOrSlice: TypeAlias = tuple[int, ...] | slice


def to_axes_or_slice(axis: AxisOrAxes, where: str = "") -> AxesOrSlice:
    """`axis` as a tuple of ints, or the slice it is.

    Args:
      axis: an int, an iterable of ints, or a slice.
      where: the module, for the error message.

    Returns:
      A tuple of ints or a slice.

    Raises:
      ValueError: `axis` is none of these.
    """
    if isinstance(axis, slice):
        return axis
    if isinstance(axis, int):
        return (axis,)
    if isinstance(axis, Iterable) and all(isinstance(a, int) for a in axis):
        return tuple(axis)
    place = f" (module {where!r})" if where else ""
    raise ValueError(f"`axis` should be an int, slice or iterable of ints. Got: {axis}{place}.")


def to_abs_axes(axis: AxesOrSlice, ndim: int) -> tuple[int, ...]:
    """The sorted, non-negative axes of a rank-`ndim` array that `axis` selects."""
    if isinstance(axis, slice):
        return tuple(range(ndim)[axis])
    return tuple(sorted({a % ndim for a in axis}))


def param_shape(inputs_shape: tuple[int, ...], param_axis: tuple[int, ...]) -> tuple[int, ...]:
    """The shape of `scale`/`offset`: the sizes of `param_axis`, 1 elsewhere.

    For the last axis alone it is just `(channels,)`, the shape Haiku has always
    stored, so older checkpoints still load.
    """
    ndim = len(inputs_shape)
    if param_axis == (ndim - 1,):
        return inputs_shape[-1:]
    return tuple(size if i in param_axis else 1 for i, size in enumerate(inputs_shape))


class LayerNorm(module.Module):
    """Normalizes each example over `axis` to mean 0 and variance 1, then scales and shifts.

    See https://arxiv.org/abs/1607.06450. `scale` and `offset` span
    `param_axis` (by default the last axis only, stored as `[channels]`).

    >>> import sonnax as hk
    >>> import jax, jax.numpy as jnp
    >>> f = hk.transform(lambda x: hk.LayerNorm(-1, True, True)(x))
    >>> params = f.init(None, jnp.ones([2, 5, 3]))
    >>> jax.tree.map(jnp.shape, params)
    {'layer_norm': {'offset': (3,), 'scale': (3,)}}
    """

    def __init__(
        self,
        axis: AxisOrAxes,
        create_scale: bool,
        create_offset: bool,
        eps: float = 1e-5,
        scale_init: Initializer | None = None,
        offset_init: Initializer | None = None,
        use_fast_variance: bool = False,
        name: str | None = None,
        *,
        param_axis: AxisOrAxes | None = None,
    ):
        """Constructs the layer.

        Args:
          axis: the axes to normalize over: an int, ints, or a slice.
          create_scale: whether to learn a `scale` parameter.
          create_offset: whether to learn an `offset` parameter.
          eps: added to the variance before the square root (default `1e-5`).
          scale_init: initializer for `scale` (default ones).
          offset_init: initializer for `offset` (default zeros).
          use_fast_variance: compute the variance as `E[x^2] - E[x]^2`: faster,
            less accurate.
          name: the module's name.
          param_axis: the axes `scale`/`offset` span (default `-1`, the
            feature axis as in Sonnet; set it to `axis` for the other convention).

        Raises:
          ValueError: an initializer is given for a parameter that is not
            created, or `axis`/`param_axis` is not an int, ints or a slice.
        """
        super().__init__(name=name)
        scale_offset.check_initializers(
            self.module_name, create_scale, create_offset, scale_init, offset_init
        )
        self.axis = to_axes_or_slice(axis, self.module_name)
        self.eps = eps
        self.create_scale = create_scale
        self.create_offset = create_offset
        self.scale_init = scale_init or jnp.ones
        self.offset_init = offset_init or jnp.zeros
        self.use_fast_variance = use_fast_variance
        self.param_axis = (-1,) if param_axis is None else to_axes_or_slice(param_axis)

    def __call__(
        self,
        inputs: jax.Array,
        scale: jax.Array | None = None,
        offset: jax.Array | None = None,
    ) -> jax.Array:
        """Normalizes `inputs`.

        Args:
          inputs: an array of shape `[N, ..., C]`.
          scale: a scale broadcastable to `inputs`; only with `create_scale=False`.
          offset: an offset broadcastable to `inputs`; only with
            `create_offset=False`.

        Returns:
          The normalized array, of the shape and dtype of `inputs`.

        Raises:
          ValueError: `scale`/`offset` is passed although the module creates it.
        """
        inputs = jnp.asarray(inputs)
        scale_offset.check_call_arguments(
            self.module_name, self.create_scale, self.create_offset, scale, offset
        )
        axis = to_abs_axes(self.axis, inputs.ndim)
        mean = jnp.mean(inputs, axis=axis, keepdims=True)
        if self.use_fast_variance:
            mean_of_squares = jnp.mean(jnp.square(inputs), axis=axis, keepdims=True)
            variance = mean_of_squares - jnp.square(mean)
        else:
            variance = jnp.var(inputs, axis=axis, keepdims=True)

        shape = param_shape(inputs.shape, to_abs_axes(self.param_axis, inputs.ndim))
        scale, offset = scale_offset.scale_and_offset(self, shape, inputs.dtype, scale, offset)

        # As Haiku: broadcast explicitly only when implicit rank promotion is disallowed
        # (explicit broadcasts cost memory on TPU).
        if jax.config.jax_numpy_rank_promotion != "allow":  # type: ignore[attr-defined]
            scale = jnp.broadcast_to(scale, inputs.shape)
            offset = jnp.broadcast_to(offset, inputs.shape)
            mean = jnp.broadcast_to(mean, inputs.shape)

        eps = jax.lax.convert_element_type(self.eps, variance.dtype)
        inv = scale * jax.lax.rsqrt(variance + eps)
        return inv * (inputs - mean) + offset


class InstanceNorm(LayerNorm):
    """Normalizes each example and channel over the spatial axes (a `LayerNorm`).

    `scale` and `offset` are per channel.

    >>> import sonnax as hk
    >>> import jax, jax.numpy as jnp
    >>> f = hk.transform(lambda x: hk.InstanceNorm(True, True, data_format="NCHW")(x))
    >>> params = f.init(None, jnp.ones([2, 3, 4, 4]))
    >>> jax.tree.map(jnp.shape, params)
    {'instance_norm': {'offset': (1, 3, 1, 1), 'scale': (1, 3, 1, 1)}}
    """

    def __init__(
        self,
        create_scale: bool,
        create_offset: bool,
        eps: float = 1e-5,
        scale_init: Initializer | None = None,
        offset_init: Initializer | None = None,
        data_format: str = "channels_last",
        name: str | None = None,
    ):
        """Constructs the layer.

        Args:
          create_scale: whether to learn a per-channel `scale`.
          create_offset: whether to learn a per-channel `offset`.
          eps: added to the variance before the square root (default `1e-5`).
          scale_init: initializer for `scale` (default ones).
          offset_init: initializer for `offset` (default zeros).
          data_format: `channels_last` (default), `channels_first`, `N...C` or
            `NC...`: where the channel axis is.
          name: the module's name.

        Raises:
          ValueError: an unknown `data_format`, or an initializer for a parameter
            that is not created.
        """
        channel_index = spatial.channel_index_of(data_format, name or "instance_norm")
        axis = slice(2, None) if channel_index == 1 else slice(1, -1)
        super().__init__(
            axis=axis,
            create_scale=create_scale,
            create_offset=create_offset,
            eps=eps,
            scale_init=scale_init,
            offset_init=offset_init,
            param_axis=channel_index,
            name=name,
        )
