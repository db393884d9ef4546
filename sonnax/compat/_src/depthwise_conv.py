"""`DepthwiseConv2D`: a 2D convolution of each input channel on its own."""

from __future__ import annotations

from collections.abc import Sequence

import jax
import numpy as np
from jax import lax

from sonnax._src.core import params
from sonnax.compat._src import base, conv, initializers, once, utils


class DepthwiseConv2D(base.Module):
    """Depthwise 2D convolution; parameters `w` `[kh, kw, in, channel_multiplier]` and `b`.

    Output channel `c * channel_multiplier + m` is input channel `c` convolved with
    `w[:, :, c, m]`, as in `tf.nn.depthwise_conv2d`.
    """

    def __init__(
        self,
        kernel_shape: int | Sequence[int],
        channel_multiplier: int = 1,
        stride: int | Sequence[int] = 1,
        rate: int | Sequence[int] = 1,
        padding: str = "SAME",
        with_bias: bool = True,
        w_init: initializers.Initializer | None = None,
        b_init: initializers.Initializer | None = None,
        data_format: str = "NHWC",
        name: str | None = None,
    ):
        """Constructs the convolution.

        Args:
          kernel_shape: kernel size, an int or one per spatial axis.
          channel_multiplier: output channels per input channel.
          stride: stride, an int or one per spatial axis.
          rate: dilation rate, an int or one per spatial axis.
          padding: `"SAME"` or `"VALID"`.
          with_bias: whether to add the bias `b`.
          w_init: initializer for `w`; default truncated normal, stddev `1 / sqrt(kh * kw)`.
          b_init: initializer for `b`; default zeros. Must be `None` without a bias.
          data_format: `"NHWC"` or `"NCHW"`.
          name: the module's name.
        """
        super().__init__(name=name)
        self.channel_multiplier = channel_multiplier
        self.kernel_shape = kernel_shape
        self.data_format = data_format
        self._channel_index = utils.get_channel_index(data_format)
        spatial_stride = utils.replicate(stride, 2, "stride")
        if self._channel_index == 1:
            self.stride = (1, 1, *spatial_stride)
        else:
            self.stride = (1, *spatial_stride, 1)
        self.rate = utils.replicate(rate, 2, "rate")
        self.padding = padding
        self.with_bias = with_bias
        self.w_init = w_init
        self.b_init = initializers.bias_init(with_bias, b_init, self)

    def __call__(self, inputs: jax.Array) -> jax.Array:
        """Applies the convolution.

        Args:
          inputs: array of rank 4 in `data_format`.

        Returns:
          Array with `input_channels * channel_multiplier` channels.
        """
        self._initialize(inputs)
        kh, kw = self.w.shape[:2]
        kernel = self.w.reshape(kh, kw, 1, self.input_channels * self.channel_multiplier)
        spatial_stride = self.stride[2:] if self._channel_index == 1 else self.stride[1:3]
        outputs = lax.conv_general_dilated(
            inputs,
            kernel,
            window_strides=spatial_stride,
            padding=self.padding,
            rhs_dilation=self.rate,
            dimension_numbers=conv.dimension_numbers(2, self._channel_index, "IO"),
            feature_group_count=self.input_channels,
        )
        if self.with_bias:
            outputs = conv.add_bias(outputs, self.b, self._channel_index)
        return outputs

    @once.once
    def _initialize(self, inputs: jax.Array) -> None:
        utils.assert_rank(inputs, 4, self)
        self.input_channels = inputs.shape[self._channel_index]
        dtype = inputs.dtype
        weight_shape = utils.replicate(self.kernel_shape, 2, "kernel_shape")
        weight_shape = (*weight_shape, self.input_channels, self.channel_multiplier)
        if self.w_init is None:
            stddev = 1 / np.sqrt(np.prod(weight_shape[:2]))
            self.w_init = initializers.TruncatedNormal(stddev=stddev)
        self.w = params.get_parameter("w", list(weight_shape), dtype, init=self.w_init)
        output_channels = self.input_channels * self.channel_multiplier
        if self.with_bias:
            self.b = params.get_parameter("b", [output_channels], dtype, init=self.b_init)
