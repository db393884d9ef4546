"""Depthwise convolutions: each input channel convolved with its own filters."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import jax
import jax.numpy as jnp
from jax import lax

from sonnax._src.core import module, params
from sonnax._src.layers import conv, spatial
from sonnax._src.typing import Initializer

# `lax` layout strings of inputs, kernel and outputs, per number of spatial dimensions.
_CHANNELS_LAST_LAYOUT = {1: ("NWC", "WIO", "NWC"), 2: ("NHWC", "HWIO", "NHWC")}
_CHANNELS_LAST_LAYOUT[3] = ("NDHWC", "DHWIO", "NDHWC")
_CHANNELS_FIRST_LAYOUT = {1: ("NCH", "HIO", "NCH"), 2: ("NCHW", "HWIO", "NCHW")}
_CHANNELS_FIRST_LAYOUT[3] = ("NCDHW", "DHWIO", "NCDHW")


class DepthwiseConvND(module.Module):
    """An N-D depthwise convolution: `channel_multiplier` filters per input channel.

    The kernel `w` has shape `kernel_shape + [1, C * channel_multiplier]` and
    the bias `b` shape `[C * channel_multiplier]` (`[C * channel_multiplier,
    1, 1]` for channels-first inputs, whatever N, as in Haiku). Inputs must be
    batched. As in Haiku, `w` defaults to a truncated normal with stddev
    `1 / sqrt(prod(kernel_shape))` and `b` to zeros.

    >>> import sonnax as hk
    >>> import jax, jax.numpy as jnp
    >>> f = hk.transform(lambda x: hk.DepthwiseConv1D(channel_multiplier=2, kernel_shape=3)(x))
    >>> params = f.init(jax.random.PRNGKey(0), jnp.ones([1, 6, 4]))
    >>> jax.tree.map(jnp.shape, params)
    {'depthwise_conv1_d': {'b': (8,), 'w': (3, 1, 8)}}
    """

    def __init__(
        self,
        channel_multiplier: int,
        kernel_shape: int | Sequence[int],
        num_spatial_dims: int,
        data_format: str,
        stride: int | Sequence[int] = 1,
        rate: int | Sequence[int] = 1,
        padding: str | Sequence[tuple[int, int]] = "SAME",
        with_bias: bool = True,
        w_init: Initializer | None = None,
        b_init: Initializer | None = None,
        name: str | None = None,
    ):
        """Constructs the layer.

        Args:
          channel_multiplier: output channels per input channel (1 keeps the count).
          kernel_shape: kernel size, an int or a sequence of length N.
          num_spatial_dims: N, the number of spatial dimensions (1, 2 or 3).
          data_format: `channels_last`, `channels_first`, `N...C` or `NC...`.
          stride: window stride, an int or a sequence of length N (default 1).
          rate: kernel dilation, an int or a sequence of length N (default 1).
          padding: `"SAME"` (default), `"VALID"`, or one `(before, after)` pair per
            dimension.
          with_bias: whether to add a bias `b`.
          w_init: initializer for `w` (default: truncated normal, stddev 1/sqrt(fan_in)).
          b_init: initializer for `b` (default: zeros).
          name: the module's name.
        """
        super().__init__(name=name)
        here = self.module_name
        conv.check_padding_string(padding, here)
        self.num_spatial_dims = num_spatial_dims
        self.kernel_shape = spatial.replicate(kernel_shape, num_spatial_dims, "kernel_shape", here)
        self.lhs_dilation = (1,) * len(self.kernel_shape)
        self.rhs_dilation = spatial.replicate(rate, num_spatial_dims, "rhs_dilation", here)
        self.channel_multiplier = channel_multiplier
        self.padding = padding
        self.stride = spatial.replicate(stride, num_spatial_dims, "strides", here)
        self.data_format = data_format
        self.channel_index = spatial.channel_index_of(data_format, here)
        self.with_bias = with_bias
        self.w_init = w_init
        self.b_init = b_init or jnp.zeros
        layouts = _CHANNELS_LAST_LAYOUT if self.channel_index == -1 else _CHANNELS_FIRST_LAYOUT
        self.dn = layouts[num_spatial_dims]

    def __call__(self, inputs: jax.Array) -> jax.Array:
        """Applies the convolution.

        Args:
          inputs: array of shape `[batch, spatial..., C]` (or channels first).

        Returns:
          An array of the same rank with `C * channel_multiplier` channels.
        """
        if inputs.ndim != self.num_spatial_dims + 2:
            raise TypeError(
                f"convolution requires lhs and rhs ndim to be equal, got {inputs.ndim} and "
                f"{self.num_spatial_dims + 2}: module {self.module_name!r} takes batched inputs "
                f"of rank {self.num_spatial_dims + 2}, got shape {inputs.shape}."
            )
        channels = inputs.shape[self.channel_index]
        out_channels = self.channel_multiplier * channels
        w_shape = (*self.kernel_shape, 1, out_channels)
        w_init = self.w_init
        if w_init is None:
            w_init = conv.default_w_init(w_shape[:-1])
        w = params.get_parameter("w", w_shape, inputs.dtype, init=w_init)
        out = lax.conv_general_dilated(
            inputs,
            w,
            window_strides=self.stride,
            padding=self.padding,
            lhs_dilation=self.lhs_dilation,
            rhs_dilation=self.rhs_dilation,
            dimension_numbers=self.dn,
            feature_group_count=channels,
        )
        if self.with_bias:
            out = out + _bias(self, out, out_channels, inputs.dtype)
        return out


def _bias(self: DepthwiseConvND, out: jax.Array, out_channels: int, dtype: Any) -> jax.Array:
    # Haiku gives channels-first biases the 2-D shape [C * M, 1, 1] for every N, and
    # broadcasts it against the output's trailing axes: kept for identical parameters.
    b_shape = (out_channels,) if self.channel_index == -1 else (out_channels, 1, 1)
    b = params.get_parameter("b", b_shape, dtype, init=self.b_init)
    try:
        return jnp.broadcast_to(b, out.shape)
    except ValueError as error:
        raise ValueError(
            f"Incompatible types for broadcasting: the bias of module {self.module_name!r} "
            f"has shape {b_shape} (Haiku's channels-first layout, made for 2-D inputs), "
            f"which does not broadcast to the output shape {out.shape}. Use a "
            "channels-last data_format, or with_bias=False and add a bias yourself."
        ) from error


class DepthwiseConv1D(DepthwiseConvND):
    """A 1-D depthwise convolution on `NWC` (default) or `NCW` inputs.

    See `DepthwiseConvND` for the parameters.

    >>> import sonnax as hk
    >>> import jax, jax.numpy as jnp
    >>> f = hk.transform(lambda x: hk.DepthwiseConv1D(channel_multiplier=2, kernel_shape=3)(x))
    >>> params = f.init(jax.random.PRNGKey(0), jnp.ones([1, 5, 4]))
    >>> jax.tree.map(jnp.shape, params)
    {'depthwise_conv1_d': {'b': (8,), 'w': (3, 1, 8)}}
    """

    def __init__(
        self,
        channel_multiplier: int,
        kernel_shape: int | Sequence[int],
        stride: int | Sequence[int] = 1,
        rate: int | Sequence[int] = 1,
        padding: str | Sequence[tuple[int, int]] = "SAME",
        with_bias: bool = True,
        w_init: Initializer | None = None,
        b_init: Initializer | None = None,
        data_format: str = "NWC",
        name: str | None = None,
    ):
        """Constructs the layer.

        Args:
          channel_multiplier: output channels per input channel (1 keeps the count).
          kernel_shape: kernel size, an int or a sequence of length 1.
          stride: window stride, an int or a sequence of length 1 (default 1).
          rate: kernel dilation, an int or a sequence of length 1 (default 1).
          padding: `"SAME"` (default), `"VALID"`, or 1 `(before, after)` pairs.
          with_bias: whether to add a bias `b`.
          w_init: initializer for `w` (default: truncated normal, stddev 1/sqrt(fan_in)).
          b_init: initializer for `b` (default: zeros).
          data_format: `NWC` (default) or `NCW`.
          name: the module's name.
        """
        super().__init__(
            num_spatial_dims=1,
            data_format=data_format,
            channel_multiplier=channel_multiplier,
            kernel_shape=kernel_shape,
            stride=stride,
            rate=rate,
            padding=padding,
            with_bias=with_bias,
            w_init=w_init,
            b_init=b_init,
            name=name,
        )


class DepthwiseConv2D(DepthwiseConvND):
    """A 2-D depthwise convolution on `NHWC` (default) or `NCHW` inputs.

    See `DepthwiseConvND` for the parameters.

    >>> import sonnax as hk
    >>> import jax, jax.numpy as jnp
    >>> f = hk.transform(lambda x: hk.DepthwiseConv2D(channel_multiplier=2, kernel_shape=3)(x))
    >>> params = f.init(jax.random.PRNGKey(0), jnp.ones([1, 5, 5, 4]))
    >>> jax.tree.map(jnp.shape, params)
    {'depthwise_conv2_d': {'b': (8,), 'w': (3, 3, 1, 8)}}
    """

    def __init__(
        self,
        channel_multiplier: int,
        kernel_shape: int | Sequence[int],
        stride: int | Sequence[int] = 1,
        rate: int | Sequence[int] = 1,
        padding: str | Sequence[tuple[int, int]] = "SAME",
        with_bias: bool = True,
        w_init: Initializer | None = None,
        b_init: Initializer | None = None,
        data_format: str = "NHWC",
        name: str | None = None,
    ):
        """Constructs the layer.

        Args:
          channel_multiplier: output channels per input channel (1 keeps the count).
          kernel_shape: kernel size, an int or a sequence of length 2.
          stride: window stride, an int or a sequence of length 2 (default 1).
          rate: kernel dilation, an int or a sequence of length 2 (default 1).
          padding: `"SAME"` (default), `"VALID"`, or 2 `(before, after)` pairs.
          with_bias: whether to add a bias `b`.
          w_init: initializer for `w` (default: truncated normal, stddev 1/sqrt(fan_in)).
          b_init: initializer for `b` (default: zeros).
          data_format: `NHWC` (default) or `NCHW`.
          name: the module's name.
        """
        super().__init__(
            num_spatial_dims=2,
            data_format=data_format,
            channel_multiplier=channel_multiplier,
            kernel_shape=kernel_shape,
            stride=stride,
            rate=rate,
            padding=padding,
            with_bias=with_bias,
            w_init=w_init,
            b_init=b_init,
            name=name,
        )


class DepthwiseConv3D(DepthwiseConvND):
    """A 3-D depthwise convolution on `NDHWC` (default) or `NCDHW` inputs.

    See `DepthwiseConvND` for the parameters.

    >>> import sonnax as hk
    >>> import jax, jax.numpy as jnp
    >>> f = hk.transform(lambda x: hk.DepthwiseConv3D(channel_multiplier=2, kernel_shape=3)(x))
    >>> params = f.init(jax.random.PRNGKey(0), jnp.ones([1, 5, 5, 5, 4]))
    >>> jax.tree.map(jnp.shape, params)
    {'depthwise_conv3_d': {'b': (8,), 'w': (3, 3, 3, 1, 8)}}
    """

    def __init__(
        self,
        channel_multiplier: int,
        kernel_shape: int | Sequence[int],
        stride: int | Sequence[int] = 1,
        rate: int | Sequence[int] = 1,
        padding: str | Sequence[tuple[int, int]] = "SAME",
        with_bias: bool = True,
        w_init: Initializer | None = None,
        b_init: Initializer | None = None,
        data_format: str = "NDHWC",
        name: str | None = None,
    ):
        """Constructs the layer.

        Args:
          channel_multiplier: output channels per input channel (1 keeps the count).
          kernel_shape: kernel size, an int or a sequence of length 3.
          stride: window stride, an int or a sequence of length 3 (default 1).
          rate: kernel dilation, an int or a sequence of length 3 (default 1).
          padding: `"SAME"` (default), `"VALID"`, or 3 `(before, after)` pairs.
          with_bias: whether to add a bias `b`.
          w_init: initializer for `w` (default: truncated normal, stddev 1/sqrt(fan_in)).
          b_init: initializer for `b` (default: zeros).
          data_format: `NDHWC` (default) or `NCDHW`.
          name: the module's name.
        """
        super().__init__(
            num_spatial_dims=3,
            data_format=data_format,
            channel_multiplier=channel_multiplier,
            kernel_shape=kernel_shape,
            stride=stride,
            rate=rate,
            padding=padding,
            with_bias=with_bias,
            w_init=w_init,
            b_init=b_init,
            name=name,
        )


class SeparableDepthwiseConv2D(module.Module):
    """A 2-D depthwise convolution split into a `[k_h, 1]` then a `[1, k_w]` one.

    The first (with `channel_multiplier`, `stride`, no bias) and the second
    (multiplier 1, stride 1, bias if `with_bias`) are `DepthwiseConv2D`
    submodules named as in Haiku.

    >>> import sonnax as hk
    >>> import jax, jax.numpy as jnp
    >>> f = hk.transform(lambda x: hk.SeparableDepthwiseConv2D(2, kernel_shape=3)(x))
    >>> params = f.init(jax.random.PRNGKey(0), jnp.ones([1, 5, 5, 4]))
    >>> for name, p in sorted(params.items()):
    ...     print(name, jax.tree.map(jnp.shape, p))
    separable_depthwise_conv2_d/~/depthwise_conv2_d {'w': (3, 1, 1, 8)}
    separable_depthwise_conv2_d/~/depthwise_conv2_d_1 {'b': (8,), 'w': (1, 3, 1, 8)}
    """

    def __init__(
        self,
        channel_multiplier: int,
        kernel_shape: int | Sequence[int],
        stride: int | Sequence[int] = 1,
        padding: str | Sequence[tuple[int, int]] = "SAME",
        with_bias: bool = True,
        w_init: Initializer | None = None,
        b_init: Initializer | None = None,
        data_format: str = "NHWC",
        name: str | None = None,
    ):
        """Constructs the layer.

        Args:
          channel_multiplier: output channels per input channel (1 keeps the count).
          kernel_shape: kernel size `(k_h, k_w)`, or an int for both.
          stride: stride of the first convolution, an int or a sequence of length 2.
          padding: `"SAME"` (default), `"VALID"`, or two `(before, after)` pairs.
          with_bias: whether the second convolution adds a bias `b`.
          w_init: initializer for both kernels (default: truncated normal).
          b_init: initializer for `b` (default: zeros).
          data_format: `NHWC` (default) or `NCHW`.
          name: the module's name.
        """
        super().__init__(name=name)
        height, width = spatial.replicate(kernel_shape, 2, "kernel_shape", self.module_name)
        self._conv1 = DepthwiseConv2D(
            channel_multiplier=channel_multiplier,
            kernel_shape=[height, 1],
            stride=stride,
            padding=padding,
            with_bias=False,
            w_init=w_init,
            b_init=b_init,
            data_format=data_format,
        )
        self._conv2 = DepthwiseConv2D(
            channel_multiplier=1,
            kernel_shape=[1, width],
            stride=1,
            padding=padding,
            with_bias=with_bias,
            w_init=w_init,
            b_init=b_init,
            data_format=data_format,
        )

    def __call__(self, inputs: jax.Array) -> jax.Array:
        """Applies both convolutions.

        Args:
          inputs: array of shape `[batch, H, W, C]` (or `[batch, C, H, W]`).

        Returns:
          An array with `C * channel_multiplier` channels.
        """
        return self._conv2(self._conv1(inputs))
