"""Sonnet's `LayerNorm` and `InstanceNorm`: normalization over chosen axes of each input."""

from __future__ import annotations

import collections.abc
from collections.abc import Iterable
from typing import Any

import jax

from sonnax._src.core import params
from sonnax.compat._src import base, batch_norm, initializers, once, utils

Axis = int | slice | Iterable[int]


def check_axis(axis: Any, as_list: bool = False) -> Any:
    """`axis` as Sonnet keeps it: a slice, or a sequence of ints (an int is wrapped).

    Raises:
      ValueError: if `axis` is none of an int, a slice or an iterable of ints.
    """
    if isinstance(axis, slice):
        return axis
    if isinstance(axis, int):
        return [axis] if as_list else (axis,)
    if isinstance(axis, collections.abc.Iterable) and all(isinstance(ax, int) for ax in axis):
        return axis
    raise ValueError("`axis` should be an int, slice or iterable of ints.")


def make_scale_offset(
    module: Any, inputs: jax.Array, channel_index: int
) -> tuple[jax.Array | None, jax.Array | None]:
    """Creates `module`'s `scale`/`offset` parameters (per channel), or `None`s."""
    rank = inputs.ndim
    if channel_index == -1:
        params_shape = [inputs.shape[-1]]
    else:
        params_shape = [inputs.shape[1]] + [1] * (rank - 2)
    scale = offset = None
    if module._create_scale:
        scale = params.get_parameter("scale", params_shape, inputs.dtype, init=module._scale_init)
    if module._create_offset:
        offset = params.get_parameter(
            "offset", params_shape, inputs.dtype, init=module._offset_init
        )
    return scale, offset


def set_inits(
    module: Any,
    create_scale: bool,
    create_offset: bool,
    scale_init: initializers.Initializer | None,
    offset_init: initializers.Initializer | None,
) -> None:
    """Checks and stores `module`'s scale/offset options as Sonnet's norms do."""
    module._create_scale = create_scale
    module._create_offset = create_offset
    if create_scale:
        module._scale_init = scale_init if scale_init is not None else initializers.Ones()
    elif scale_init is not None:
        raise ValueError("Cannot set `scale_init` if `create_scale=False`.")
    if create_offset:
        module._offset_init = offset_init if offset_init is not None else initializers.Zeros()
    elif offset_init is not None:
        raise ValueError("Cannot set `offset_init` if `create_offset=False`.")


def check_call(
    module: Any, inputs: jax.Array, scale: jax.Array | None, offset: jax.Array | None
) -> tuple[jax.Array | None, jax.Array | None]:
    """The scale and offset to use, checking those passed at call time and the rank."""
    if module._create_scale:
        if scale is not None:
            raise ValueError("Cannot pass `scale` at call time if `create_scale=True`.")
        scale = module.scale
    if module._create_offset:
        if offset is not None:
            raise ValueError("Cannot pass `offset` at call time if `create_offset=True`.")
        offset = module.offset
    if inputs.ndim != module._rank:
        raise ValueError(
            f"{type(module).__name__} {module.module_name!r}: the rank of the inputs cannot "
            f"change between calls, the original call was rank={module._rank} but this "
            f"call was rank={inputs.ndim}."
        )
    return scale, offset


class LayerNorm(base.Module):
    """Normalizes each input over `axis` (e.g. `-1`, or `slice(1, None)`), then applies
    an optional per-channel `scale` and `offset`."""

    def __init__(
        self,
        axis: Axis,
        create_scale: bool,
        create_offset: bool,
        eps: float = 1e-5,
        scale_init: initializers.Initializer | None = None,
        offset_init: initializers.Initializer | None = None,
        data_format: str = "channels_last",
        name: str | None = None,
    ):
        """Constructs the module.

        Args:
          axis: the axes to normalize over: an int, a slice or an iterable of ints.
          create_scale: whether to make a trainable per-channel `scale`.
          create_offset: whether to make a trainable per-channel `offset`.
          eps: added to the variance to avoid dividing by zero.
          scale_init: initializer for `scale` (default ones); only with `create_scale`.
          offset_init: initializer for `offset` (default zeros); only with `create_offset`.
          data_format: `channels_last` (or `N...C`) or `channels_first` (or `NC...`); says
            which axis `scale` and `offset` are per.
          name: the module's name.
        """
        super().__init__(name=name)
        self._axis = check_axis(axis)
        self._eps = eps
        self._data_format = data_format
        self._channel_index = utils.get_channel_index(data_format)
        self._rank: int | None = None
        set_inits(self, create_scale, create_offset, scale_init, offset_init)

    def __call__(
        self,
        inputs: jax.Array,
        scale: jax.Array | None = None,
        offset: jax.Array | None = None,
    ) -> jax.Array:
        """Normalizes `inputs`.

        Args:
          inputs: array of at least rank 2, of the same rank at every call.
          scale: scale broadcastable to `inputs`; only without `create_scale`.
          offset: offset broadcastable to `inputs`; only without `create_offset`.

        Returns:
          The normalized array, shaped like `inputs`.
        """
        self._initialize(inputs)
        scale, offset = check_call(self, inputs, scale, offset)
        mean, variance = batch_norm.moments(inputs, self._axis)
        return batch_norm.batch_normalization(inputs, mean, variance, scale, offset, self._eps)

    @once.once
    def _initialize(self, inputs: jax.Array) -> None:
        self._rank = inputs.ndim
        if isinstance(self._axis, slice):
            self._axis = tuple(range(self._rank))[self._axis]
        self.scale, self.offset = make_scale_offset(self, inputs, self._channel_index)


class InstanceNorm(LayerNorm):
    """`LayerNorm` over the spatial axes of each example (all but batch and channels)."""

    def __init__(
        self,
        create_scale: bool,
        create_offset: bool,
        eps: float = 1e-5,
        scale_init: initializers.Initializer | None = None,
        offset_init: initializers.Initializer | None = None,
        data_format: str = "channels_last",
        name: str | None = None,
    ):
        """Constructs the module.

        Args:
          create_scale: whether to make a trainable per-channel `scale`.
          create_offset: whether to make a trainable per-channel `offset`.
          eps: added to the variance to avoid dividing by zero.
          scale_init: initializer for `scale` (default ones); only with `create_scale`.
          offset_init: initializer for `offset` (default zeros); only with `create_offset`.
          data_format: `channels_last` (or `N...C`) or `channels_first` (or `NC...`).
          name: the module's name.
        """
        if utils.get_channel_index(data_format) == 1:
            axis = slice(2, None)
        else:
            axis = slice(1, -1)
        super().__init__(
            axis=axis,
            create_scale=create_scale,
            create_offset=create_offset,
            eps=eps,
            scale_init=scale_init,
            offset_init=offset_init,
            data_format=data_format,
            name=name,
        )
