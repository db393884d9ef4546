"""Sonnet's `GroupNorm`: normalization over groups of channels of each input."""

from __future__ import annotations

import jax
import jax.numpy as jnp

from sonnax.compat._src import axis_norm, base, batch_norm, initializers, once, utils


class GroupNorm(base.Module):
    """Splits the channels into `groups` and normalizes each group over `axis` (by
    default all axes but the batch), then applies an optional per-channel `scale` and
    `offset`."""

    def __init__(
        self,
        groups: int,
        axis: axis_norm.Axis = slice(1, None),
        create_scale: bool = True,
        create_offset: bool = True,
        eps: float = 1e-5,
        scale_init: initializers.Initializer | None = None,
        offset_init: initializers.Initializer | None = None,
        data_format: str = "channels_last",
        name: str | None = None,
    ):
        """Constructs the module.

        Args:
          groups: the number of channel groups; must divide the number of channels.
          axis: the axes (of the input) to normalize over: an int, slice or ints.
          create_scale: whether to make a trainable per-channel `scale`.
          create_offset: whether to make a trainable per-channel `offset`.
          eps: added to the variance to avoid dividing by zero.
          scale_init: initializer for `scale` (default ones); only with `create_scale`.
          offset_init: initializer for `offset` (default zeros); only with `create_offset`.
          data_format: `channels_last` (or `N...C`) or `channels_first` (or `NC...`).
          name: the module's name.
        """
        super().__init__(name=name)
        self._axis = axis_norm.check_axis(axis, as_list=True)
        self._groups = groups
        self._eps = eps
        self._data_format = data_format
        self._channel_index = utils.get_channel_index(data_format)
        self._rank: int | None = None
        axis_norm.set_inits(self, create_scale, create_offset, scale_init, offset_init)

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
        scale, offset = axis_norm.check_call(self, inputs, scale, offset)
        grouped = jnp.reshape(inputs, self._inputs_reshape)
        mean, variance = batch_norm.moments(grouped, self._axis)
        normalized = batch_norm.batch_normalization(grouped, mean, variance, None, None, self._eps)
        outputs = jnp.reshape(normalized, self._outputs_reshape)
        if scale is not None:
            outputs = outputs * scale
        if offset is not None:
            outputs = outputs + offset
        return outputs

    @once.once
    def _initialize(self, inputs: jax.Array) -> None:
        self._rank = rank = inputs.ndim
        if isinstance(self._axis, slice):
            self._axis = tuple(range(rank))[self._axis]
        self.scale, self.offset = axis_norm.make_scale_offset(self, inputs, self._channel_index)
        channels = inputs.shape[self._channel_index]
        if channels % self._groups != 0:
            raise ValueError(
                f"{type(self).__name__} {self.module_name!r}: the number of channels must be "
                f"divisible by the number of groups, was channels = {channels}, "
                f"groups = {self._groups}"
            )
        per_group = channels // self._groups
        # The channel axis becomes (group, channel within group); the normalized axes
        # keep the channel-within-group one, so each group gets its own statistics.
        if self._channel_index == -1:
            self._inputs_reshape = [-1, *inputs.shape[1:-1], self._groups, per_group]
            self._axis = [a if a != rank - 1 else a + 1 for a in self._axis]
        else:
            self._inputs_reshape = [-1, self._groups, per_group, *inputs.shape[2:]]
            self._axis = [a if a == 0 else a + 1 for a in self._axis]
        self._outputs_reshape = [-1, *inputs.shape[1:]]
