"""`GroupNorm`: normalization over groups of channels."""

from __future__ import annotations

import typing
from collections.abc import Iterable, Sequence

import jax
import jax.numpy as jnp

from sonnax._src.core import module, params
from sonnax._src.layers import scale_offset, spatial
from sonnax._src.typing import Initializer


class GroupNorm(module.Module):
    """Splits the channels into `groups` and normalizes each group of each example.

    See https://arxiv.org/abs/1803.08494. Statistics are taken over `axis` (by
    default every axis but the batch one) within each group, never across
    groups. `scale` and `offset` are per channel; they can instead be passed at
    call time (with `create_scale`/`create_offset` off), or left out.

    >>> import sonnax as hk
    >>> import jax, jax.numpy as jnp
    >>> f = hk.transform(lambda x: hk.GroupNorm(groups=2)(x))
    >>> params = f.init(None, jnp.ones([2, 5, 4]))
    >>> jax.tree.map(jnp.shape, params)
    {'group_norm': {'offset': (4,), 'scale': (4,)}}
    """

    def __init__(
        self,
        groups: int,
        axis: int | slice | Sequence[int] = slice(1, None),
        create_scale: bool = True,
        create_offset: bool = True,
        eps: float = 1e-5,
        scale_init: Initializer | None = None,
        offset_init: Initializer | None = None,
        data_format: str = "channels_last",
        name: str | None = None,
    ):
        """Constructs the layer.

        Args:
          groups: the number of groups; must divide the number of channels.
          axis: the axes (of the input) to normalize over, an int, ints or a
            slice; default all but the first. For `[B, T, ...]` series use
            `slice(2, None)`.
          create_scale: whether to learn a per-channel `scale`.
          create_offset: whether to learn a per-channel `offset`.
          eps: added to the variance before the square root (default `1e-5`).
          scale_init: initializer for `scale` (default ones); only with
            `create_scale=True`.
          offset_init: initializer for `offset` (default zeros); only with
            `create_offset=True`.
          data_format: `channels_last` (default), `channels_first`, `N...C` or
            `NC...`: where the channel axis is.
          name: the module's name.

        Raises:
          ValueError: `axis` is not an int, ints or a slice, an unknown
            `data_format`, or an initializer for a parameter that is not created.
        """
        super().__init__(name=name)
        if isinstance(axis, slice):
            self.axis: slice | Sequence[int] = axis
        elif isinstance(axis, int):
            self.axis = (axis,)
        elif isinstance(axis, Iterable) and all(isinstance(a, int) for a in axis):
            self.axis = axis
        else:
            raise ValueError(
                "`axis` should be an int, slice or iterable of ints: module "
                f"{self.module_name!r} got axis={axis!r}."
            )
        self.groups = groups
        self.eps = eps
        self.data_format = data_format
        self.channel_index = spatial.channel_index_of(data_format, self.module_name)
        self.create_scale = create_scale
        self.create_offset = create_offset
        self.rank: int | None = None
        scale_offset.check_initializers(
            self.module_name, create_scale, create_offset, scale_init, offset_init
        )
        if create_scale:
            self.scale_init = scale_init or jnp.ones
        if create_offset:
            self.offset_init = offset_init or jnp.zeros

    def __call__(
        self,
        x: jax.Array,
        scale: jax.Array | None = None,
        offset: jax.Array | None = None,
    ) -> jax.Array:
        """Normalizes `x`.

        Args:
          x: an array laid out as `data_format` says; its rank is fixed by the
            first call.
          scale: a scale broadcastable to `x`; only with `create_scale=False`.
          offset: an offset broadcastable to `x`; only with `create_offset=False`.

        Returns:
          The normalized array, of the shape of `x`.

        Raises:
          ValueError: the rank changed since the first call, `scale`/`offset` is
            passed although the module creates it, or the channels are not
            divisible by `groups`.
        """
        if self.rank is not None and x.ndim != self.rank:
            raise ValueError(
                "The rank of the inputs cannot change between calls, the original call was "
                f"rank={self.rank} but this call was rank={x.ndim} (module "
                f"{self.module_name!r}, input shape {x.shape})."
            )
        scale_offset.check_call_arguments(
            self.module_name, self.create_scale, self.create_offset, scale, offset
        )
        channels = x.shape[self.channel_index]
        if channels % self.groups != 0:
            raise ValueError(
                "The number of channels must be divisible by the number of groups, was "
                f"channels={channels}, groups={self.groups} (module {self.module_name!r}, "
                f"input shape {x.shape}, data_format={self.data_format!r})."
            )
        if self.rank is None:
            self._initialize(x, channels)
        if self.channel_index == -1:
            shape: tuple[int, ...] = (x.shape[-1],)
        else:
            shape = (x.shape[1],) + (1,) * (x.ndim - 2)
        if self.create_scale:
            scale = params.get_parameter("scale", shape, x.dtype, init=self.scale_init)
        if self.create_offset:
            offset = params.get_parameter("offset", shape, x.dtype, init=self.offset_init)

        grouped = x.reshape(self.group_shape)
        axes = typing.cast(tuple[int, ...], self.axis)  # A tuple since `_initialize`.
        mean = jnp.mean(grouped, axes, keepdims=True)
        var = jnp.var(grouped, axes, keepdims=True)
        x = ((grouped - mean) * jax.lax.rsqrt(var + self.eps)).reshape(self.first_input_shape)
        if scale is not None:
            x = x * jax.lax.broadcast_to_rank(scale, x.ndim)
        if offset is not None:
            x = x + jax.lax.broadcast_to_rank(offset, x.ndim)
        return x

    def _initialize(self, x: jax.Array, channels: int) -> None:
        """Fixes the rank, the reduction axes and the grouped shape from the first input."""
        self.rank = rank = x.ndim
        axes = tuple(range(rank))[self.axis] if isinstance(self.axis, slice) else self.axis
        per_group = channels // self.groups
        # Splitting the channel axis into (groups, per_group) shifts the axes after it.
        if self.channel_index == -1:
            self.axis = tuple(a + 1 if a == rank - 1 else a for a in axes)
            self.group_shape = (-1, *x.shape[1:-1], self.groups, per_group)
        else:
            self.axis = tuple(a if a == 0 else a + 1 for a in axes)
            self.group_shape = (-1, self.groups, per_group, *x.shape[2:])
        self.first_input_shape = (-1, *x.shape[1:])
