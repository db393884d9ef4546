"""Convolutions: `ConvND` and `Conv1D`, `Conv2D`, `Conv3D` (Sonnet's `conv.py`)."""

from __future__ import annotations

from collections.abc import Sequence

import jax
import jax.numpy as jnp
import numpy as np
from jax import lax

from sonnax._src.core import params
from sonnax.compat._src import base, initializers, once, pad, utils

_SPATIAL = {1: "W", 2: "HW", 3: "DHW"}


def dimension_numbers(
    num_spatial_dims: int, channel_index: int, kernel: str
) -> tuple[str, str, str]:
    """`lax` dimension numbers `(lhs, rhs, out)` for a data format's channel position.

    Args:
      num_spatial_dims: 1, 2 or 3.
      channel_index: 1 for channels first, -1 for channels last.
      kernel: the kernel's last two axes, `"IO"` or `"OI"`.

    Returns:
      The `(lhs, rhs, out)` spec strings.
    """
    spatial = _SPATIAL[num_spatial_dims]
    data = "NC" + spatial if channel_index == 1 else "N" + spatial + "C"
    return data, spatial + kernel, data


def add_bias(outputs: jax.Array, b: jax.Array, channel_index: int) -> jax.Array:
    """`tf.nn.bias_add`: adds `b` along the channel axis."""
    if channel_index == 1:
        return outputs + b.reshape((-1,) + (1,) * (outputs.ndim - 2))
    return outputs + b


class ConvND(base.Module):
    """N-dimensional convolution (N = 1, 2 or 3); parameters `w` `[*kernel, in, out]` and `b`."""

    def __init__(
        self,
        num_spatial_dims: int,
        output_channels: int,
        kernel_shape: int | Sequence[int],
        stride: int | Sequence[int] = 1,
        rate: int | Sequence[int] = 1,
        padding: str | pad.Paddings = "SAME",
        with_bias: bool = True,
        w_init: initializers.Initializer | None = None,
        b_init: initializers.Initializer | None = None,
        data_format: str | None = None,
        name: str | None = None,
    ):
        """Constructs the convolution.

        Args:
          num_spatial_dims: the number of spatial axes of the input, 1, 2 or 3.
          output_channels: the number of output channels.
          kernel_shape: kernel size, an int or one per spatial axis.
          stride: stride, an int or one per spatial axis.
          rate: dilation rate, an int or one per spatial axis.
          padding: `"SAME"`, `"VALID"`, or a padding function (or one per spatial axis)
            from `snt.pad`, given the effective kernel size.
          with_bias: whether to add the bias `b`.
          w_init: initializer for `w`; default truncated normal, stddev `1 / sqrt(fan_in)`.
          b_init: initializer for `b`; default zeros. Must be `None` without a bias.
          data_format: the input's layout, e.g. `"NHWC"` or `"NCHW"`.
          name: the module's name.
        """
        super().__init__(name=name)
        if not 1 <= num_spatial_dims <= 3:
            raise ValueError(
                "We only support convoltion operations for num_spatial_dims=1, 2 or 3, "
                f"received num_spatial_dims={num_spatial_dims}."
            )
        self._num_spatial_dims = num_spatial_dims
        self.output_channels = output_channels
        self.kernel_shape = kernel_shape
        self.stride = stride
        self.rate = rate
        if isinstance(padding, str):
            self.conv_padding = padding.upper()
            self.padding_func = None
        else:
            self.conv_padding = "VALID"
            self.padding_func = padding
        self.data_format = data_format
        self._channel_index = utils.get_channel_index(data_format)  # type: ignore[arg-type]
        self.with_bias = with_bias
        self.w_init = w_init
        self.b_init = initializers.bias_init(with_bias, b_init, self)

    def __call__(self, inputs: jax.Array) -> jax.Array:
        """Applies the convolution.

        Args:
          inputs: array of rank `num_spatial_dims + 2` in `data_format`.

        Returns:
          Array of rank `num_spatial_dims + 2` with `output_channels` channels.
        """
        self._initialize(inputs)
        n = self._num_spatial_dims
        if self.padding_func:
            inputs = jnp.pad(inputs, self._padding)
        outputs = lax.conv_general_dilated(
            inputs,
            self.w,
            window_strides=utils.replicate(self.stride, n, "strides"),
            padding=self.conv_padding,
            rhs_dilation=utils.replicate(self.rate, n, "dilations"),
            dimension_numbers=dimension_numbers(n, self._channel_index, "IO"),
        )
        if self.with_bias:
            outputs = add_bias(outputs, self.b, self._channel_index)
        return outputs

    @once.once
    def _initialize(self, inputs: jax.Array) -> None:
        utils.assert_rank(inputs, self._num_spatial_dims + 2, self)
        self.input_channels = inputs.shape[self._channel_index]
        self._dtype = inputs.dtype
        self.w = self._make_w()
        if self.with_bias:
            self.b = params.get_parameter(
                "b", [self.output_channels], self._dtype, init=self.b_init
            )
        if self.padding_func:
            self._padding = pad.create(
                padding=self.padding_func,
                kernel=self.kernel_shape,
                rate=self.rate,
                n=self._num_spatial_dims,
                channel_index=self._channel_index,
            )

    def _make_w(self) -> jax.Array:
        weight_shape = utils.replicate(self.kernel_shape, self._num_spatial_dims, "kernel_shape")
        weight_shape = weight_shape + (self.input_channels, self.output_channels)
        if self.w_init is None:
            stddev = 1 / np.sqrt(np.prod(weight_shape[:-1]))
            self.w_init = initializers.TruncatedNormal(stddev=stddev)
        return params.get_parameter("w", list(weight_shape), self._dtype, init=self.w_init)


class Conv1D(ConvND):
    """1D convolution, inputs `[batch, width, channels]` (`"NWC"`) or `"NCW"`."""

    def __init__(
        self,
        output_channels: int,
        kernel_shape: int | Sequence[int],
        stride: int | Sequence[int] = 1,
        rate: int | Sequence[int] = 1,
        padding: str | pad.Paddings = "SAME",
        with_bias: bool = True,
        w_init: initializers.Initializer | None = None,
        b_init: initializers.Initializer | None = None,
        data_format: str = "NWC",
        name: str | None = None,
    ):
        """Constructs the convolution; arguments as `ConvND` with `num_spatial_dims=1`."""
        super().__init__(
            num_spatial_dims=1,
            output_channels=output_channels,
            kernel_shape=kernel_shape,
            stride=stride,
            rate=rate,
            padding=padding,
            with_bias=with_bias,
            w_init=w_init,
            b_init=b_init,
            data_format=data_format,
            name=name,
        )


class Conv2D(ConvND):
    """2D convolution, inputs `[batch, height, width, channels]` (`"NHWC"`) or `"NCHW"`."""

    def __init__(
        self,
        output_channels: int,
        kernel_shape: int | Sequence[int],
        stride: int | Sequence[int] = 1,
        rate: int | Sequence[int] = 1,
        padding: str | pad.Paddings = "SAME",
        with_bias: bool = True,
        w_init: initializers.Initializer | None = None,
        b_init: initializers.Initializer | None = None,
        data_format: str = "NHWC",
        name: str | None = None,
    ):
        """Constructs the convolution; arguments as `ConvND` with `num_spatial_dims=2`."""
        super().__init__(
            num_spatial_dims=2,
            output_channels=output_channels,
            kernel_shape=kernel_shape,
            stride=stride,
            rate=rate,
            padding=padding,
            with_bias=with_bias,
            w_init=w_init,
            b_init=b_init,
            data_format=data_format,
            name=name,
        )


class Conv3D(ConvND):
    """3D convolution, inputs `[batch, depth, height, width, channels]` (`"NDHWC"`) or `"NCDHW"`."""

    def __init__(
        self,
        output_channels: int,
        kernel_shape: int | Sequence[int],
        stride: int | Sequence[int] = 1,
        rate: int | Sequence[int] = 1,
        padding: str | pad.Paddings = "SAME",
        with_bias: bool = True,
        w_init: initializers.Initializer | None = None,
        b_init: initializers.Initializer | None = None,
        data_format: str = "NDHWC",
        name: str | None = None,
    ):
        """Constructs the convolution; arguments as `ConvND` with `num_spatial_dims=3`."""
        super().__init__(
            num_spatial_dims=3,
            output_channels=output_channels,
            kernel_shape=kernel_shape,
            stride=stride,
            rate=rate,
            padding=padding,
            with_bias=with_bias,
            w_init=w_init,
            b_init=b_init,
            data_format=data_format,
            name=name,
        )
