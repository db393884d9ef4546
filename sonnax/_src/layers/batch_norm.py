"""`BatchNorm`: normalization by batch statistics, with moving averages for inference."""

from __future__ import annotations

from collections.abc import Sequence

import jax
import jax.numpy as jnp

from sonnax._src.core import module
from sonnax._src.layers import moving_averages, scale_offset, spatial
from sonnax._src.typing import Initializer


class BatchNorm(module.Module):
    """Normalizes inputs to mean ~0 and variance ~1 over the batch (and spatial) axes.

    See https://arxiv.org/abs/1502.03167. In training the batch's mean and
    variance are used and folded into two `ExponentialMovingAverage`s,
    `mean_ema` and `var_ema`; in inference their averages are used. The scale
    and offset are either learned (`create_scale`/`create_offset`), passed at
    call time (e.g. for conditional normalization), or absent. With
    `cross_replica_axis`, batch statistics are averaged over that named axis of
    a `jax.pmap` (or `jax.vmap`).

    >>> import sonnax as hk
    >>> import jax, jax.numpy as jnp
    >>> def f(x):
    ...     return hk.BatchNorm(True, True, decay_rate=0.9)(x, is_training=True)
    >>> params, state = hk.transform_with_state(f).init(None, jnp.ones([4, 3]))
    >>> jax.tree.map(jnp.shape, params)
    {'batch_norm': {'offset': (1, 3), 'scale': (1, 3)}}
    >>> sorted(state)
    ['batch_norm/~/mean_ema', 'batch_norm/~/var_ema']
    """

    def __init__(
        self,
        create_scale: bool,
        create_offset: bool,
        decay_rate: float,
        eps: float = 1e-5,
        scale_init: Initializer | None = None,
        offset_init: Initializer | None = None,
        axis: Sequence[int] | None = None,
        cross_replica_axis: str | Sequence[str] | None = None,
        cross_replica_axis_index_groups: Sequence[Sequence[int]] | None = None,
        data_format: str = "channels_last",
        name: str | None = None,
    ):
        """Constructs the layer.

        Args:
          create_scale: whether to learn a `scale` parameter.
          create_offset: whether to learn an `offset` parameter.
          decay_rate: the decay of the moving averages of mean and variance.
          eps: added to the variance before the square root (default `1e-5`, as
            in the paper and Sonnet).
          scale_init: initializer for `scale` (default ones); only with
            `create_scale=True`.
          offset_init: initializer for `offset` (default zeros); only with
            `create_offset=True`.
          axis: the axes to take statistics over; by default all but the
            channel axis.
          cross_replica_axis: name(s) of the mapped axis over which batch
            statistics are averaged, or `None`.
          cross_replica_axis_index_groups: groups of replica indices to average
            within (`jax.pmap` only); needs `cross_replica_axis`.
          data_format: `channels_last` (default), `channels_first`, `N...C` or
            `NC...`: where the channel axis is.
          name: the module's name.

        Raises:
          ValueError: an initializer is given for a parameter that is not
            created, index groups without an axis name, or an unknown
            `data_format`.
        """
        super().__init__(name=name)
        scale_offset.check_initializers(
            self.module_name, create_scale, create_offset, scale_init, offset_init
        )
        if cross_replica_axis is None and cross_replica_axis_index_groups is not None:
            raise ValueError(
                "`cross_replica_axis` name must be specified if "
                f"`cross_replica_axis_index_groups` are used: module {self.module_name!r} got "
                f"cross_replica_axis_index_groups={cross_replica_axis_index_groups!r} "
                "and cross_replica_axis=None."
            )
        self.create_scale = create_scale
        self.create_offset = create_offset
        self.eps = eps
        self.scale_init = scale_init or jnp.ones
        self.offset_init = offset_init or jnp.zeros
        self.axis = axis
        self.cross_replica_axis = cross_replica_axis
        self.cross_replica_axis_index_groups = cross_replica_axis_index_groups
        self.channel_index = spatial.channel_index_of(data_format, self.module_name)
        self.mean_ema = moving_averages.ExponentialMovingAverage(decay_rate, name="mean_ema")
        self.var_ema = moving_averages.ExponentialMovingAverage(decay_rate, name="var_ema")

    def __call__(
        self,
        inputs: jax.Array,
        is_training: bool,
        test_local_stats: bool = False,
        scale: jax.Array | None = None,
        offset: jax.Array | None = None,
    ) -> jax.Array:
        """Normalizes `inputs`.

        Args:
          inputs: an array with channels at the position `data_format` says.
          is_training: whether to use (and fold into the moving averages) the
            statistics of this batch.
          test_local_stats: with `is_training=False`, use this batch's statistics
            instead of the moving averages (which are then left unchanged).
          scale: a scale broadcastable to `inputs`; only with `create_scale=False`.
          offset: an offset broadcastable to `inputs`; only with
            `create_offset=False`.

        Returns:
          The normalized array, of the shape and dtype of `inputs`.

        Raises:
          ValueError: `scale`/`offset` is passed although the module creates it.
        """
        scale_offset.check_call_arguments(
            self.module_name, self.create_scale, self.create_offset, scale, offset
        )
        channel_index = self.channel_index
        if channel_index < 0:
            channel_index += inputs.ndim
        if self.axis is not None:
            axis = self.axis
        else:
            axis = [i for i in range(inputs.ndim) if i != channel_index]

        if is_training or test_local_stats:
            mean, var = _batch_statistics(
                inputs, axis, self.cross_replica_axis, self.cross_replica_axis_index_groups
            )
        else:
            mean = self.mean_ema.average.astype(inputs.dtype)
            var = self.var_ema.average.astype(inputs.dtype)
        if is_training:
            self.mean_ema(mean)
            self.var_ema(var)

        shape = [1 if i in axis else size for i, size in enumerate(inputs.shape)]
        scale, offset = scale_offset.scale_and_offset(self, shape, inputs.dtype, scale, offset)
        eps = jax.lax.convert_element_type(self.eps, var.dtype)
        inv = scale * jax.lax.rsqrt(var + eps)
        return (inputs - mean) * inv + offset


def _batch_statistics(
    inputs: jax.Array,
    axis: Sequence[int],
    axis_name: str | Sequence[str] | None,
    axis_index_groups: Sequence[Sequence[int]] | None,
) -> tuple[jax.Array, jax.Array]:
    """Mean and variance over `axis`, averaged across replicas when `axis_name` is set."""
    mean = jnp.mean(inputs, axis, keepdims=True)
    mean_of_squares = jnp.mean(jnp.square(inputs), axis, keepdims=True)
    if axis_name:
        mean, mean_of_squares = jax.lax.pmean(
            (mean, mean_of_squares), axis_name=axis_name, axis_index_groups=axis_index_groups
        )
    return mean, mean_of_squares - jnp.square(mean)
