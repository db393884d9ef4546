"""`ConvND` and `Conv1D`/`Conv2D`/`Conv3D`: N-dimensional convolutions."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, TypeAlias

import jax
import jax.numpy as jnp
import numpy as np
from jax import lax

from sonnax._src import initializers
from sonnax._src.core import module, params
from sonnax._src.layers import pad, spatial
from sonnax._src.typing import Initializer, PadFn

Padding: TypeAlias = str | Sequence[tuple[int, int]] | PadFn | Sequence[PadFn]

PADDING_STRINGS = ("SAME", "SAME_LOWER", "VALID")  # What `lax` accepts, in any case.


def check_spatial_dims(num_spatial_dims: int, module_name: str) -> None:
    """Raises `ValueError` unless `num_spatial_dims` is positive."""
    if num_spatial_dims <= 0:
        raise ValueError(
            "We only support convolution operations for `num_spatial_dims` greater than 0, "
            f"received num_spatial_dims={num_spatial_dims} in module {module_name!r}."
        )


def check_padding_string(padding: Any, module_name: str) -> None:
    """Raises `RuntimeError` (as `lax` would, when called) for an unknown padding string."""
    if isinstance(padding, str) and padding.upper() not in PADDING_STRINGS:
        raise RuntimeError(
            f"Unrecognized padding type: module {module_name!r} got padding={padding!r}; "
            f"expected one of {PADDING_STRINGS}, (before, after) pairs or `hk.pad` functions "
            "such as `hk.pad.causal`."
        )


def batched(inputs: jax.Array, num_spatial_dims: int, what: str, module_name: str) -> jax.Array:
    """`inputs` of rank N+2, adding a batch axis to rank N+1; `ValueError` for other ranks.

    `what` is the class family named in the error (`ConvND`, `ConvNDTranspose`).
    """
    allowed = [num_spatial_dims + 1, num_spatial_dims + 2]
    if inputs.ndim not in allowed:
        raise ValueError(
            f"Input to {what} needs to have rank in {allowed}, but input has shape "
            f"{inputs.shape}: module {module_name!r} convolves {num_spatial_dims} spatial "
            f"dimensions, so it takes an unbatched input of rank {allowed[0]} or a batch of "
            f"rank {allowed[1]}, got rank {inputs.ndim}."
        )
    return inputs[None] if inputs.ndim == allowed[0] else inputs


def check_mask(mask: jax.Array | None, w_shape: tuple[int, ...], module_name: str) -> None:
    """Raises `ValueError` unless `mask` is `None` or has the kernel's shape."""
    if mask is not None and mask.shape != w_shape:
        raise ValueError(
            "Mask needs to have the same shape as weights. "
            f"Shapes are: {mask.shape}, {w_shape} (mask and `w` of module {module_name!r}); "
            f"pass a mask of shape {w_shape}."
        )


def default_w_init(fan_in_shape: Sequence[int]) -> Initializer:
    """Haiku's default kernel initializer: truncated normal, stddev `1 / sqrt(fan_in)`."""
    return initializers.TruncatedNormal(stddev=1.0 / np.sqrt(np.prod(fan_in_shape)))


def add_bias(
    out: jax.Array, output_channels: int, channel_index: int, dtype: Any, b_init: Initializer
) -> jax.Array:
    """Adds a bias `b` of shape `[C]` (`[C, 1, ...]` if channels first) to a batched `out`."""
    if channel_index == -1:
        b_shape: tuple[int, ...] = (output_channels,)
    else:
        b_shape = (output_channels,) + (1,) * (out.ndim - 2)
    b = params.get_parameter("b", b_shape, dtype, init=b_init)
    return out + jnp.broadcast_to(b, out.shape)


def resolve_padding(
    padding: Padding,
    kernel_shape: Sequence[int],
    rate: Sequence[int],
    num_spatial_dims: int,
    module_name: str,
) -> str | Sequence[tuple[int, int]]:
    """A padding string, or explicit `(low, high)` pairs from pad functions or pairs.

    A plain function rather than a method: every module method is wrapped, and Haiku's
    convolutions have no such method, so summaries and interceptors would show an extra call.
    """
    if isinstance(padding, str):
        check_padding_string(padding, module_name)
        return padding.upper()
    if pad.is_padfn(padding):
        return pad.create_from_padfn(
            padding,  # type: ignore[arg-type]
            kernel=kernel_shape,
            rate=rate,
            n=num_spatial_dims,
        )
    return pad.create_from_tuple(padding, num_spatial_dims)  # type: ignore[arg-type]


class ConvND(module.Module):
    """An N-dimensional convolution, `lax.conv_general_dilated` with a learned kernel.

    Parameters are the kernel `w` of shape `kernel_shape + [C_in //
    feature_group_count, output_channels]` and the bias `b` of shape
    `[output_channels]` (`[output_channels, 1, ...]` for channels-first inputs).
    As in Haiku, `w` defaults to a truncated normal with stddev `1 / sqrt(fan_in)`
    and `b` to zeros. Inputs may be unbatched (rank N+1) or batched (rank N+2).

    >>> import sonnax as hk
    >>> import jax, jax.numpy as jnp
    >>> f = hk.transform(lambda x: hk.ConvND(2, output_channels=4, kernel_shape=3)(x))
    >>> params = f.init(jax.random.PRNGKey(0), jnp.ones([1, 8, 8, 3]))
    >>> jax.tree.map(jnp.shape, params)
    {'conv_nd': {'b': (4,), 'w': (3, 3, 3, 4)}}
    """

    def __init__(
        self,
        num_spatial_dims: int,
        output_channels: int,
        kernel_shape: int | Sequence[int],
        stride: int | Sequence[int] = 1,
        rate: int | Sequence[int] = 1,
        padding: Padding = "SAME",
        with_bias: bool = True,
        w_init: Initializer | None = None,
        b_init: Initializer | None = None,
        data_format: str = "channels_last",
        mask: jax.Array | None = None,
        feature_group_count: int = 1,
        name: str | None = None,
    ):
        """Constructs the layer.

        Args:
          num_spatial_dims: N, the number of spatial dimensions (at least 1).
          output_channels: number of output channels.
          kernel_shape: kernel size, an int or a sequence of length N.
          stride: window stride, an int or a sequence of length N (default 1).
          rate: kernel dilation, an int or a sequence of length N (default 1: no
            dilation).
          padding: `"SAME"` (default), `"VALID"`, a padding function of
            `hk.pad` (or one per dimension), or `(before, after)` pairs (one, or
            one per dimension).
          with_bias: whether to add a bias `b`.
          w_init: initializer for `w` (default: truncated normal, stddev 1/sqrt(fan_in)).
          b_init: initializer for `b` (default: zeros).
          data_format: `channels_last` (default), `channels_first`, `N...C` or
            `NC...` (see `get_channel_index`).
          mask: optional array of `w`'s shape that `w` is multiplied by.
          feature_group_count: number of channel groups convolved separately
            (default 1); must divide the input channels.
          name: the module's name.
        """
        super().__init__(name=name)
        check_spatial_dims(num_spatial_dims, self.module_name)
        self.num_spatial_dims = num_spatial_dims
        self.output_channels = output_channels
        here = self.module_name
        self.kernel_shape = spatial.replicate(kernel_shape, num_spatial_dims, "kernel_shape", here)
        self.with_bias = with_bias
        self.stride = spatial.replicate(stride, num_spatial_dims, "strides", here)
        self.w_init = w_init
        self.b_init = b_init or jnp.zeros
        self.mask = mask
        self.feature_group_count = feature_group_count
        self.lhs_dilation = (1,) * num_spatial_dims
        self.kernel_dilation = spatial.replicate(rate, num_spatial_dims, "kernel_dilation", here)
        self.data_format = data_format
        self.channel_index = spatial.channel_index_of(data_format, here)
        self.dimension_numbers = spatial.conv_dimension_numbers(
            num_spatial_dims, channels_last=self.channel_index == -1, transpose=False
        )
        self.padding = resolve_padding(
            padding, self.kernel_shape, self.kernel_dilation, num_spatial_dims, self.module_name
        )

    def __call__(self, inputs: jax.Array, *, precision: lax.Precision | None = None) -> jax.Array:
        """Applies the convolution.

        Args:
          inputs: array of rank N+2 (`[batch, spatial..., C]` or channels first),
            or N+1 without the batch axis.
          precision: passed to `lax.conv_general_dilated`.

        Returns:
          An array of the same rank with `output_channels` channels.
        """
        inputs = jnp.asarray(inputs)
        x = batched(inputs, self.num_spatial_dims, "ConvND", self.module_name)
        channels = x.shape[self.channel_index]
        if channels % self.feature_group_count != 0:
            raise ValueError(
                f"Inputs channels {channels} should be a multiple of feature_group_count "
                f"{self.feature_group_count} (module {self.module_name!r}, input shape "
                f"{inputs.shape}); use a feature_group_count that divides {channels}."
            )
        if self.output_channels % self.feature_group_count != 0:
            raise ValueError(
                "conv_general_dilated rhs output feature dimension size must be a multiple of "
                f"feature_group_count, but {self.output_channels} is not a multiple of "
                f"{self.feature_group_count}: module {self.module_name!r} needs output_channels "
                "divisible by feature_group_count."
            )
        w_shape = (*self.kernel_shape, channels // self.feature_group_count, self.output_channels)
        check_mask(self.mask, w_shape, self.module_name)
        w_init = self.w_init if self.w_init is not None else default_w_init(w_shape[:-1])
        w = params.get_parameter("w", w_shape, x.dtype, init=w_init)
        if self.mask is not None:
            w = w * self.mask
        out = lax.conv_general_dilated(
            x,
            w,
            window_strides=self.stride,
            padding=self.padding,
            lhs_dilation=self.lhs_dilation,
            rhs_dilation=self.kernel_dilation,
            dimension_numbers=self.dimension_numbers,
            feature_group_count=self.feature_group_count,
            precision=precision,
        )
        if self.with_bias:
            out = add_bias(out, self.output_channels, self.channel_index, x.dtype, self.b_init)
        return out[0] if x.ndim != inputs.ndim else out


class Conv1D(ConvND):
    """A 1-D convolution on `NWC` (default) or `NCW` inputs; see `ConvND`.

    >>> import sonnax as hk
    >>> import jax, jax.numpy as jnp
    >>> f = hk.transform(lambda x: hk.Conv1D(output_channels=4, kernel_shape=3)(x))
    >>> params = f.init(jax.random.PRNGKey(0), jnp.ones([1, 5, 2]))
    >>> jax.tree.map(jnp.shape, params)
    {'conv1_d': {'b': (4,), 'w': (3, 2, 4)}}
    """

    def __init__(
        self,
        output_channels: int,
        kernel_shape: int | Sequence[int],
        stride: int | Sequence[int] = 1,
        rate: int | Sequence[int] = 1,
        padding: Padding = "SAME",
        with_bias: bool = True,
        w_init: Initializer | None = None,
        b_init: Initializer | None = None,
        data_format: str = "NWC",
        mask: jax.Array | None = None,
        feature_group_count: int = 1,
        name: str | None = None,
    ):
        """Constructs the layer.

        Args:
          output_channels: number of output channels.
          kernel_shape: kernel size, an int or a sequence of length 1.
          stride: window stride, an int or a sequence of length 1 (default 1).
          rate: kernel dilation, an int or a sequence of length 1 (default 1).
          padding: `"SAME"` (default), `"VALID"`, `hk.pad` function(s) or
            `(before, after)` pairs, as in `ConvND`.
          with_bias: whether to add a bias `b`.
          w_init: initializer for `w` (default: truncated normal, stddev 1/sqrt(fan_in)).
          b_init: initializer for `b` (default: zeros).
          data_format: `NWC` (default) or `NCW`.
          mask: optional array of `w`'s shape that `w` is multiplied by.
          feature_group_count: number of channel groups convolved separately.
          name: the module's name.
        """
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
            mask=mask,
            feature_group_count=feature_group_count,
            name=name,
        )


class Conv2D(ConvND):
    """A 2-D convolution on `NHWC` (default) or `NCHW` inputs; see `ConvND`.

    >>> import sonnax as hk
    >>> import jax, jax.numpy as jnp
    >>> f = hk.transform(lambda x: hk.Conv2D(output_channels=4, kernel_shape=3)(x))
    >>> params = f.init(jax.random.PRNGKey(0), jnp.ones([1, 5, 5, 2]))
    >>> jax.tree.map(jnp.shape, params)
    {'conv2_d': {'b': (4,), 'w': (3, 3, 2, 4)}}
    """

    def __init__(
        self,
        output_channels: int,
        kernel_shape: int | Sequence[int],
        stride: int | Sequence[int] = 1,
        rate: int | Sequence[int] = 1,
        padding: Padding = "SAME",
        with_bias: bool = True,
        w_init: Initializer | None = None,
        b_init: Initializer | None = None,
        data_format: str = "NHWC",
        mask: jax.Array | None = None,
        feature_group_count: int = 1,
        name: str | None = None,
    ):
        """Constructs the layer.

        Args:
          output_channels: number of output channels.
          kernel_shape: kernel size, an int or a sequence of length 2.
          stride: window stride, an int or a sequence of length 2 (default 1).
          rate: kernel dilation, an int or a sequence of length 2 (default 1).
          padding: `"SAME"` (default), `"VALID"`, `hk.pad` function(s) or
            `(before, after)` pairs, as in `ConvND`.
          with_bias: whether to add a bias `b`.
          w_init: initializer for `w` (default: truncated normal, stddev 1/sqrt(fan_in)).
          b_init: initializer for `b` (default: zeros).
          data_format: `NHWC` (default) or `NCHW`.
          mask: optional array of `w`'s shape that `w` is multiplied by.
          feature_group_count: number of channel groups convolved separately.
          name: the module's name.
        """
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
            mask=mask,
            feature_group_count=feature_group_count,
            name=name,
        )


class Conv3D(ConvND):
    """A 3-D convolution on `NDHWC` (default) or `NCDHW` inputs; see `ConvND`.

    >>> import sonnax as hk
    >>> import jax, jax.numpy as jnp
    >>> f = hk.transform(lambda x: hk.Conv3D(output_channels=4, kernel_shape=3)(x))
    >>> params = f.init(jax.random.PRNGKey(0), jnp.ones([1, 5, 5, 5, 2]))
    >>> jax.tree.map(jnp.shape, params)
    {'conv3_d': {'b': (4,), 'w': (3, 3, 3, 2, 4)}}
    """

    def __init__(
        self,
        output_channels: int,
        kernel_shape: int | Sequence[int],
        stride: int | Sequence[int] = 1,
        rate: int | Sequence[int] = 1,
        padding: Padding = "SAME",
        with_bias: bool = True,
        w_init: Initializer | None = None,
        b_init: Initializer | None = None,
        data_format: str = "NDHWC",
        mask: jax.Array | None = None,
        feature_group_count: int = 1,
        name: str | None = None,
    ):
        """Constructs the layer.

        Args:
          output_channels: number of output channels.
          kernel_shape: kernel size, an int or a sequence of length 3.
          stride: window stride, an int or a sequence of length 3 (default 1).
          rate: kernel dilation, an int or a sequence of length 3 (default 1).
          padding: `"SAME"` (default), `"VALID"`, `hk.pad` function(s) or
            `(before, after)` pairs, as in `ConvND`.
          with_bias: whether to add a bias `b`.
          w_init: initializer for `w` (default: truncated normal, stddev 1/sqrt(fan_in)).
          b_init: initializer for `b` (default: zeros).
          data_format: `NDHWC` (default) or `NCDHW`.
          mask: optional array of `w`'s shape that `w` is multiplied by.
          feature_group_count: number of channel groups convolved separately.
          name: the module's name.
        """
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
            mask=mask,
            feature_group_count=feature_group_count,
            name=name,
        )
