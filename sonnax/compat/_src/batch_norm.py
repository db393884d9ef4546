"""Sonnet's batch normalization: `BaseBatchNorm` and `BatchNorm`."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import jax
import jax.numpy as jnp

from sonnax._src.core import params, state
from sonnax.compat._src import base, initializers, metrics, moving_averages, once, utils


def moments(inputs: jax.Array, axis: Sequence[int]) -> tuple[jax.Array, jax.Array]:
    """Mean and (biased) variance over `axis`, keeping dims, as `tf.nn.moments`."""
    axis = tuple(axis)
    mean = jnp.mean(inputs, axis=axis, keepdims=True)
    variance = jnp.mean(jnp.square(inputs - jax.lax.stop_gradient(mean)), axis=axis, keepdims=True)
    return mean, variance


def batch_normalization(
    inputs: jax.Array,
    mean: jax.Array,
    variance: jax.Array,
    scale: jax.Array | None,
    offset: jax.Array | None,
    eps: float,
) -> jax.Array:
    """`(inputs - mean) / sqrt(variance + eps) * scale + offset`, as `tf.nn.batch_normalization`."""
    inv = jax.lax.rsqrt(variance + eps)
    if scale is not None:
        inv = inv * scale
    shift = -mean * inv if offset is None else offset - mean * inv
    return inputs * inv + shift


def fused_batch_normalization(
    inputs: jax.Array,
    mean: jax.Array,
    variance: jax.Array,
    scale: jax.Array | None,
    offset: jax.Array | None,
    eps: float,
) -> jax.Array:
    """`(inputs - mean) * (rsqrt(variance + eps) * scale) + offset`, as TF's fused kernel.

    The same value as `batch_normalization` in exact arithmetic, but TF's `FusedBatchNormV2`
    (which Sonnet uses for rank-4 channels-last inputs, in training and at test time)
    centres first. With a mean large beside the spread, `inputs * inv` loses the digits
    that the subtraction keeps: see the `batch_norm_fused_large_mean` parity case.
    """
    inv = jax.lax.rsqrt(variance + eps)
    if scale is not None:
        inv = inv * scale
    centred = (inputs - mean) * inv
    return centred if offset is None else centred + offset


class BaseBatchNorm(base.Module):
    """Batch normalization with the moving statistics kept by `moving_mean` and
    `moving_variance` (any `Metric`s).

    In training the batch statistics normalize the input and update the moving ones; at
    test time the moving statistics are used, or the batch's with `test_local_stats=True`.
    `scale` and `offset` are always variables, as in Sonnet: parameters when created
    (`create_scale`/`create_offset`), otherwise state holding ones and zeros.
    """

    def __init__(
        self,
        create_scale: bool,
        create_offset: bool,
        moving_mean: metrics.Metric,
        moving_variance: metrics.Metric,
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
          moving_mean: metric tracking the mean, used at test time.
          moving_variance: metric tracking the variance, used at test time.
          eps: added to the variance to avoid dividing by zero.
          scale_init: initializer for `scale` (default ones); only with `create_scale`.
          offset_init: initializer for `offset` (default zeros); only with `create_offset`.
          data_format: `channels_last` (or `N...C`) or `channels_first` (or `NC...`).
          name: the module's name.
        """
        super().__init__(name=name)
        self._eps = eps
        self.moving_mean = moving_mean
        self.moving_variance = moving_variance
        self._data_format = data_format
        self._channel_index = utils.get_channel_index(data_format)
        self._create_scale = create_scale
        self._create_offset = create_offset
        if not create_scale and scale_init is not None:
            raise ValueError("Cannot set `scale_init` if `create_scale=False`")
        self._scale_init = scale_init or initializers.Ones()
        if not create_offset and offset_init is not None:
            raise ValueError("Cannot set `offset_init` if `create_offset=False`")
        self._offset_init = offset_init or initializers.Zeros()

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
          inputs: array in the module's data format.
          is_training: whether to use the batch statistics and update the moving ones.
          test_local_stats: with `is_training=False`, whether to use the batch statistics.
          scale: scale broadcastable to `inputs`; only without `create_scale`.
          offset: offset broadcastable to `inputs`; only without `create_offset`.

        Returns:
          The normalized array, shaped like `inputs`.
        """
        use_batch_stats = is_training or test_local_stats
        if self._create_scale and scale is not None:
            raise ValueError("Cannot pass `scale` at call time if `create_scale=True`.")
        if self._create_offset and offset is not None:
            raise ValueError("Cannot pass `offset` at call time if `create_offset=True`.")
        self._initialize(inputs)
        if scale is None:
            scale = self.scale
        if offset is None:
            offset = self.offset

        if use_batch_stats:
            mean, variance = self._batch_moments(inputs)
        else:
            mean, variance = self.moving_mean.value, self.moving_variance.value
        normalize = fused_batch_normalization if self._fused else batch_normalization
        out = normalize(inputs, mean, variance, scale, offset, self._eps)

        if is_training:
            if self._fused:
                # TF's fused kernel (used for rank-4 channels-last inputs) hands on the
                # Bessel-corrected variance to the moving average.
                count = inputs.size // inputs.shape[-1]
                variance = variance * (count / max(count - 1, 1))
            self.moving_mean.update(mean)
            self.moving_variance.update(variance)
        return out

    def _batch_moments(self, inputs: jax.Array) -> tuple[jax.Array, jax.Array]:
        return moments(inputs, self._axis)

    @once.once
    def _initialize(self, inputs: jax.Array) -> None:
        rank = inputs.ndim
        self._fused = rank == 4 and self._channel_index == -1
        channel_index = self._channel_index % rank
        self._axis = tuple(i for i in range(rank) if i != channel_index)
        self.shape = tuple(1 if i in self._axis else inputs.shape[i] for i in range(rank))
        stats_like = jnp.zeros(self.shape, inputs.dtype)
        self.moving_mean.initialize(stats_like)
        self.moving_variance.initialize(stats_like)
        if self._channel_index == -1:
            params_shape = [inputs.shape[-1]]
        else:
            params_shape = [inputs.shape[1]] + [1] * (rank - 2)
        self._params_shape = params_shape
        self._dtype = inputs.dtype
        self._variable("scale", self._create_scale, self._scale_init)
        self._variable("offset", self._create_offset, self._offset_init)

    def _variable(self, name: str, trainable: bool, init: Any) -> jax.Array:
        if trainable:
            return params.get_parameter(name, self._params_shape, self._dtype, init=init)
        return state.get_state(name, self._params_shape, self._dtype, init=init)

    @property
    def scale(self) -> jax.Array:
        """The per-channel scale (a parameter with `create_scale`, else state)."""
        return self._variable("scale", self._create_scale, self._scale_init)

    @property
    def offset(self) -> jax.Array:
        """The per-channel offset (a parameter with `create_offset`, else state)."""
        return self._variable("offset", self._create_offset, self._offset_init)


class BatchNorm(BaseBatchNorm):
    """`BaseBatchNorm` whose moving statistics are `ExponentialMovingAverage`s named
    `moving_mean` and `moving_variance`."""

    def __init__(
        self,
        create_scale: bool,
        create_offset: bool,
        decay_rate: float = 0.999,
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
          decay_rate: decay of the moving averages of the mean and variance.
          eps: added to the variance to avoid dividing by zero.
          scale_init: initializer for `scale` (default ones); only with `create_scale`.
          offset_init: initializer for `offset` (default zeros); only with `create_offset`.
          data_format: `channels_last` (or `N...C`) or `channels_first` (or `NC...`).
          name: the module's name.
        """
        # The averages must be children of this module, which gets its name in
        # `super().__init__`, so they are made after it.
        super().__init__(
            create_scale=create_scale,
            create_offset=create_offset,
            moving_mean=None,  # type: ignore[arg-type]
            moving_variance=None,  # type: ignore[arg-type]
            eps=eps,
            scale_init=scale_init,
            offset_init=offset_init,
            data_format=data_format,
            name=name,
        )
        self.moving_mean = moving_averages.ExponentialMovingAverage(decay_rate, name="moving_mean")
        self.moving_variance = moving_averages.ExponentialMovingAverage(
            decay_rate, name="moving_variance"
        )
