"""Transposed convolutions: `ConvNDTranspose` and its 1D, 2D and 3D forms."""

from __future__ import annotations

from collections.abc import Sequence

import jax
import jax.numpy as jnp
import numpy as np
from jax import lax

from sonnax._src.core import params
from sonnax.compat._src import base, conv, initializers, once, utils


class ConvNDTranspose(base.Module):
    """N-dimensional transposed convolution; parameters `w` `[*kernel, out, in]` and `b`.

    The result is the gradient of a convolution with kernel `w` (mapping `output_channels`
    to the input's channels) with respect to its input, exactly as TF's
    `tf.nn.conv_transpose`, so the kernel is not flipped relative to TF.
    """

    def __init__(
        self,
        num_spatial_dims: int,
        output_channels: int,
        kernel_shape: int | Sequence[int],
        output_shape: Sequence[int] | None = None,
        stride: int | Sequence[int] = 1,
        rate: int | Sequence[int] = 1,
        padding: str = "SAME",
        with_bias: bool = True,
        w_init: initializers.Initializer | None = None,
        b_init: initializers.Initializer | None = None,
        data_format: str | None = None,
        name: str | None = None,
    ):
        """Constructs the transposed convolution.

        Args:
          num_spatial_dims: the number of spatial axes of the input, 1, 2 or 3.
          output_channels: the number of output channels.
          kernel_shape: kernel size, an int or one per spatial axis.
          output_shape: the output's spatial shape; by default `input * stride` for
            `"SAME"` and `input * stride + effective_kernel - 1` for `"VALID"`.
          stride: stride, an int or one per spatial axis.
          rate: dilation rate, an int or one per spatial axis.
          padding: `"SAME"` or `"VALID"`.
          with_bias: whether to add the bias `b`.
          w_init: initializer for `w`; default truncated normal, stddev `1 / sqrt(fan_in)`.
          b_init: initializer for `b`; default zeros. Must be `None` without a bias.
          data_format: the input's layout, e.g. `"NHWC"` or `"NCHW"`.
          name: the module's name.
        """
        super().__init__(name=name)
        if not 1 <= num_spatial_dims <= 3:
            raise ValueError(
                "We only support transpose convolution operations for num_spatial_dims=1, 2 "
                f"or 3, received num_spatial_dims={num_spatial_dims}."
            )
        self._num_spatial_dims = num_spatial_dims
        self._output_channels = output_channels
        self._kernel_shape = kernel_shape
        self._output_shape = output_shape
        self._stride = stride
        self._rate = rate
        if padding == "SAME" or padding == "VALID":
            self._padding = padding
        else:
            raise TypeError(
                f"{type(self).__name__} only takes string padding, please provide either "
                f"`SAME` or `VALID`, got {padding!r}."
            )
        self._data_format = data_format
        self._channel_index = utils.get_channel_index(data_format)  # type: ignore[arg-type]
        self._with_bias = with_bias
        self._w_init = w_init
        self._b_init = initializers.bias_init(with_bias, b_init, self)

    def __call__(self, inputs: jax.Array) -> jax.Array:
        """Applies the transposed convolution.

        Args:
          inputs: array of rank `num_spatial_dims + 2` in `data_format`.

        Returns:
          Array of rank `num_spatial_dims + 2` with `output_channels` channels.
        """
        self._initialize(inputs)
        n = self._num_spatial_dims
        if self._output_shape is None:
            spatial = self._get_output_shape(inputs)
            if self._channel_index == 1:
                output_shape = [self._output_channels, *spatial]
            else:
                output_shape = [*spatial, self._output_channels]
        else:
            output_shape = list(self._output_shape)
        full_shape = (inputs.shape[0], *output_shape)

        def forward(y: jax.Array) -> jax.Array:
            return lax.conv_general_dilated(
                y,
                self.w,
                window_strides=utils.replicate(self._stride, n, "strides"),
                padding=self._padding,
                rhs_dilation=utils.replicate(self._rate, n, "dilations"),
                dimension_numbers=conv.dimension_numbers(n, self._channel_index, "IO"),
            )

        _, transpose = jax.vjp(forward, jnp.zeros(full_shape, inputs.dtype))
        (outputs,) = transpose(inputs)
        if self._with_bias:
            outputs = conv.add_bias(outputs, self.b, self._channel_index)
        return outputs

    @once.once
    def _initialize(self, inputs: jax.Array) -> None:
        utils.assert_rank(inputs, self._num_spatial_dims + 2, self)
        self.input_channels = inputs.shape[self._channel_index]
        self._dtype = inputs.dtype
        if self._output_shape is not None:
            if len(self._output_shape) != self._num_spatial_dims:
                raise ValueError(
                    f"{type(self).__name__} {self.module_name!r}: the output_shape must be of "
                    f"length {self._num_spatial_dims} but instead was "
                    f"{len(self._output_shape)}."
                )
            if self._channel_index == 1:
                self._output_shape = [self._output_channels, *self._output_shape]
            else:
                self._output_shape = [*self._output_shape, self._output_channels]
        self.w = self._make_w()
        if self._with_bias:
            self.b = params.get_parameter(
                "b", [self._output_channels], self._dtype, init=self._b_init
            )

    def _make_w(self) -> jax.Array:
        kernel_shape = utils.replicate(self._kernel_shape, self._num_spatial_dims, "kernel_shape")
        weight_shape = (*kernel_shape, self._output_channels, self.input_channels)
        if self._w_init is None:
            stddev = 1 / np.sqrt(np.prod((*kernel_shape, self.input_channels)))
            self._w_init = initializers.TruncatedNormal(stddev=stddev)
        return params.get_parameter("w", list(weight_shape), self._dtype, init=self._w_init)

    def _get_output_shape(self, inputs: jax.Array) -> list[int]:
        n = self._num_spatial_dims
        if self._channel_index == 1:
            input_size = inputs.shape[2:]
        else:
            input_size = inputs.shape[1:-1]
        stride = utils.replicate(self._stride, n, "stride")
        output_shape = [x * s for x, s in zip(input_size, stride, strict=True)]
        if self._padding == "VALID":
            kernel = utils.replicate(self._kernel_shape, n, "kernel_shape")
            rate = utils.replicate(self._rate, n, "rate")
            output_shape = [
                size + (k - 1) * r for size, k, r in zip(output_shape, kernel, rate, strict=True)
            ]
        return output_shape


class Conv1DTranspose(ConvNDTranspose):
    """1D transposed convolution, inputs `"NWC"` (default) or `"NCW"`."""

    def __init__(
        self,
        output_channels: int,
        kernel_shape: int | Sequence[int],
        output_shape: Sequence[int] | None = None,
        stride: int | Sequence[int] = 1,
        rate: int | Sequence[int] = 1,
        padding: str = "SAME",
        with_bias: bool = True,
        w_init: initializers.Initializer | None = None,
        b_init: initializers.Initializer | None = None,
        data_format: str = "NWC",
        name: str | None = None,
    ):
        """Constructs the layer; arguments as `ConvNDTranspose` with `num_spatial_dims=1`."""
        super().__init__(
            1,
            output_channels,
            kernel_shape,
            output_shape=output_shape,
            stride=stride,
            rate=rate,
            padding=padding,
            with_bias=with_bias,
            w_init=w_init,
            b_init=b_init,
            data_format=data_format,
            name=name,
        )


class Conv2DTranspose(ConvNDTranspose):
    """2D transposed convolution, inputs `"NHWC"` (default) or `"NCHW"`."""

    def __init__(
        self,
        output_channels: int,
        kernel_shape: int | Sequence[int],
        output_shape: Sequence[int] | None = None,
        stride: int | Sequence[int] = 1,
        rate: int | Sequence[int] = 1,
        padding: str = "SAME",
        with_bias: bool = True,
        w_init: initializers.Initializer | None = None,
        b_init: initializers.Initializer | None = None,
        data_format: str = "NHWC",
        name: str | None = None,
    ):
        """Constructs the layer; arguments as `ConvNDTranspose` with `num_spatial_dims=2`."""
        super().__init__(
            2,
            output_channels,
            kernel_shape,
            output_shape=output_shape,
            stride=stride,
            rate=rate,
            padding=padding,
            with_bias=with_bias,
            w_init=w_init,
            b_init=b_init,
            data_format=data_format,
            name=name,
        )


class Conv3DTranspose(ConvNDTranspose):
    """3D transposed convolution, inputs `"NDHWC"` (default) or `"NCDHW"`."""

    def __init__(
        self,
        output_channels: int,
        kernel_shape: int | Sequence[int],
        output_shape: Sequence[int] | None = None,
        stride: int | Sequence[int] = 1,
        rate: int | Sequence[int] = 1,
        padding: str = "SAME",
        with_bias: bool = True,
        w_init: initializers.Initializer | None = None,
        b_init: initializers.Initializer | None = None,
        data_format: str = "NDHWC",
        name: str | None = None,
    ):
        """Constructs the layer; arguments as `ConvNDTranspose` with `num_spatial_dims=3`."""
        super().__init__(
            3,
            output_channels,
            kernel_shape,
            output_shape=output_shape,
            stride=stride,
            rate=rate,
            padding=padding,
            with_bias=with_bias,
            w_init=w_init,
            b_init=b_init,
            data_format=data_format,
            name=name,
        )
