"""`ConvNDTranspose` and its 1-D/2-D/3-D forms: transposed (fractionally strided) convolutions."""

from __future__ import annotations

from collections.abc import Sequence

import jax
import jax.numpy as jnp
from jax import lax

from sonnax._src.core import module, params
from sonnax._src.layers import conv, spatial
from sonnax._src.typing import Initializer


def adjusted_padding(
    input_size: int, output_size: int, kernel_size: int, stride: int, padding: str, where: str
) -> tuple[int, int]:
    """The `(before, after)` padding of one dimension that yields `output_size`.

    Args:
      input_size: the input's size in this dimension.
      output_size: the wanted output size.
      kernel_size: the kernel's size.
      stride: the stride.
      padding: `"SAME"` or `"VALID"`, the padding of the matching forward convolution.
      where: the module's path, for errors.

    Returns:
      The pad widths to give `lax.conv_transpose`.

    Raises:
      ValueError: `padding` is another string, or no input of `input_size`
        maps to `output_size` under it.
    """
    if padding == "VALID":
        expected = (output_size - kernel_size + stride) // stride
        before = 0
    elif padding == "SAME":
        expected = (output_size + stride - 1) // stride
        before = max(0, (input_size - 1) * stride + kernel_size - output_size) // 2
    else:
        raise ValueError(
            f"`padding` must be 'VALID' or 'SAME'. Passed: {padding}. Module {where!r} was given "
            "an output_shape, which needs one of these two strings."
        )
    if input_size != expected:
        raise ValueError(
            f"The expected input size with the current set of input parameters is {expected} "
            f"which doesn't match the actual input size {input_size}: module {where!r} with "
            f"padding={padding!r}, kernel size {kernel_size} and stride {stride} reaches "
            f"output size {output_size} only from inputs of size {expected}."
        )
    dilated_input = (input_size - 1) * stride + 1
    pad_before = kernel_size - 1 - before
    pad_after = output_size + kernel_size - 1 - dilated_input - pad_before
    return (pad_before, pad_after)


def _check_transpose_padding(
    padding: str | Sequence[tuple[int, int]], stride: tuple[int, ...], where: str
) -> None:
    """Raises as `lax.conv_transpose` would for strings other than "SAME" and "VALID".

    `lax` reads only those two exact strings as the padding of the matching forward
    convolution; another known string (`"same"`, `"SAME_LOWER"`) pads the input as a
    plain convolution would, which `lax` allows only at stride 1.
    """
    if not isinstance(padding, str) or padding in ("SAME", "VALID"):
        return
    conv.check_padding_string(padding, where)
    if any(step != 1 for step in stride):
        raise ValueError(
            "String padding is not implemented for transposed convolution other than 'SAME' "
            f"and 'VALID' (case-sensitive) at strides other than 1: module {where!r} got "
            f"padding={padding!r} with stride {stride}. Use 'SAME', 'VALID' or one "
            "(before, after) pair per spatial dimension."
        )


class ConvNDTranspose(module.Module):
    """An N-dimensional transposed convolution (`lax.conv_transpose`, a "deconvolution").

    Parameters are the kernel `w` of shape `kernel_shape + [output_channels,
    C_in]` and the bias `b` of shape `[output_channels]` (`[output_channels,
    1, ...]` for channels-first inputs). As in Haiku, `w` defaults to a
    truncated normal with stddev `1 / sqrt(prod(kernel_shape) * C_in)` and `b`
    to zeros. With `output_shape`, the padding is adjusted to produce exactly
    that spatial shape.

    >>> import sonnax as hk
    >>> import jax, jax.numpy as jnp
    >>> f = hk.transform(lambda x: hk.ConvNDTranspose(2, 4, kernel_shape=3, stride=2)(x))
    >>> params = f.init(jax.random.PRNGKey(0), jnp.ones([1, 5, 5, 3]))
    >>> jax.tree.map(jnp.shape, params)
    {'conv_nd_transpose': {'b': (4,), 'w': (3, 3, 4, 3)}}
    >>> f.apply(params, None, jnp.ones([1, 5, 5, 3])).shape
    (1, 10, 10, 4)
    """

    def __init__(
        self,
        num_spatial_dims: int,
        output_channels: int,
        kernel_shape: int | Sequence[int],
        stride: int | Sequence[int] = 1,
        output_shape: int | Sequence[int] | None = None,
        padding: str | Sequence[tuple[int, int]] = "SAME",
        with_bias: bool = True,
        w_init: Initializer | None = None,
        b_init: Initializer | None = None,
        data_format: str = "channels_last",
        mask: jax.Array | None = None,
        name: str | None = None,
    ):
        """Constructs the layer.

        Args:
          num_spatial_dims: N, the number of spatial dimensions (at least 1).
          output_channels: number of output channels.
          kernel_shape: kernel size, an int or a sequence of length N.
          stride: stride, an int or a sequence of length N (default 1).
          output_shape: the output's spatial shape, an int or a sequence of
            length N; `None` (default) lets `lax.conv_transpose` decide.
          padding: `"SAME"` (default) or `"VALID"`, or (without
            `output_shape`) one `(before, after)` pair per dimension, given
            to `lax.conv_transpose` unchanged.
          with_bias: whether to add a bias `b`.
          w_init: initializer for `w` (default: truncated normal, stddev 1/sqrt(fan_in)).
          b_init: initializer for `b` (default: zeros).
          data_format: `channels_last` (default), `channels_first`, `N...C` or `NC...`.
          mask: optional array of `w`'s shape that `w` is multiplied by.
          name: the module's name.
        """
        super().__init__(name=name)
        here = self.module_name
        conv.check_spatial_dims(num_spatial_dims, here)
        self.num_spatial_dims = num_spatial_dims
        self.output_channels = output_channels
        self.kernel_shape = spatial.replicate(kernel_shape, num_spatial_dims, "kernel_shape", here)
        self.output_shape: tuple[int, ...] | None = None
        if output_shape is not None:
            self.output_shape = spatial.replicate(
                output_shape, num_spatial_dims, "output_shape", here
            )
            if not isinstance(padding, str):
                raise ValueError(
                    "When specifying `output_shape`, ensure that padding is 'VALID' or 'SAME': "
                    f"module {here!r} got padding={padding!r}."
                )
        self.with_bias = with_bias
        self.stride = spatial.replicate(stride, num_spatial_dims, "strides", here)
        if output_shape is None:
            _check_transpose_padding(padding, self.stride, here)
        self.w_init = w_init
        self.b_init = b_init or jnp.zeros
        self.mask = mask
        # Kept as given, as Haiku does: pairs pad the dilated input directly.
        self.padding = padding
        self.data_format = data_format
        self.channel_index = spatial.channel_index_of(data_format, here)
        self.dimension_numbers = spatial.conv_dimension_numbers(
            num_spatial_dims, channels_last=self.channel_index == -1, transpose=True
        )

    def __call__(self, inputs: jax.Array, *, precision: lax.Precision | None = None) -> jax.Array:
        """Applies the transposed convolution.

        Args:
          inputs: array of rank N+2 (`[batch, spatial..., C]` or channels first),
            or N+1 without the batch axis.
          precision: passed to `lax.conv_transpose`.

        Returns:
          An array of the same rank with `output_channels` channels.
        """
        inputs = jnp.asarray(inputs)
        x = conv.batched(inputs, self.num_spatial_dims, "ConvNDTranspose", self.module_name)
        input_channels = x.shape[self.channel_index]
        w_shape = (*self.kernel_shape, self.output_channels, input_channels)
        conv.check_mask(self.mask, w_shape, self.module_name)
        w_init = self.w_init
        if w_init is None:
            w_init = conv.default_w_init((*self.kernel_shape, input_channels))
        w = params.get_parameter("w", w_shape, x.dtype, init=w_init)
        if self.mask is not None:
            w = w * self.mask
        out = lax.conv_transpose(
            x,
            w,
            strides=self.stride,
            padding=_padding_for(self, x.shape),
            dimension_numbers=self.dimension_numbers,
            precision=precision,
        )
        if self.with_bias:
            out = conv.add_bias(out, self.output_channels, self.channel_index, x.dtype, self.b_init)
        return out[0] if x.ndim != inputs.ndim else out


def _padding_for(self: ConvNDTranspose, shape: tuple[int, ...]) -> str | Sequence[tuple[int, int]]:
    # A function, not a method: Haiku has no such method, and methods show in summaries.
    if self.output_shape is None:
        return self.padding
    sizes = shape[2:] if self.channel_index == 1 else shape[1:-1]
    return tuple(
        adjusted_padding(size, out, kernel, stride, self.padding, self.module_name)  # type: ignore[arg-type]
        for size, out, kernel, stride in zip(
            sizes, self.output_shape, self.kernel_shape, self.stride, strict=True
        )
    )


class Conv1DTranspose(ConvNDTranspose):
    """A 1-D transposed convolution on `NWC` (default) or `NCW` inputs.

    See `ConvNDTranspose`.

    >>> import sonnax as hk
    >>> import jax, jax.numpy as jnp
    >>> f = hk.transform(lambda x: hk.Conv1DTranspose(output_channels=4, kernel_shape=3)(x))
    >>> params = f.init(jax.random.PRNGKey(0), jnp.ones([1, 5, 2]))
    >>> jax.tree.map(jnp.shape, params)
    {'conv1_d_transpose': {'b': (4,), 'w': (3, 4, 2)}}
    """

    def __init__(
        self,
        output_channels: int,
        kernel_shape: int | Sequence[int],
        stride: int | Sequence[int] = 1,
        output_shape: int | Sequence[int] | None = None,
        padding: str | Sequence[tuple[int, int]] = "SAME",
        with_bias: bool = True,
        w_init: Initializer | None = None,
        b_init: Initializer | None = None,
        data_format: str = "NWC",
        mask: jax.Array | None = None,
        name: str | None = None,
    ):
        """Constructs the layer.

        Args:
          output_channels: number of output channels.
          kernel_shape: kernel size, an int or a sequence of length 1.
          stride: stride, an int or a sequence of length 1 (default 1).
          output_shape: the output's spatial shape (int or sequence of length
            1), or `None` (default).
          padding: `"SAME"` (default), `"VALID"` or `(before, after)` pairs, as
            in `ConvNDTranspose`.
          with_bias: whether to add a bias `b`.
          w_init: initializer for `w` (default: truncated normal, stddev 1/sqrt(fan_in)).
          b_init: initializer for `b` (default: zeros).
          data_format: `NWC` (default) or `NCW`.
          mask: optional array of `w`'s shape that `w` is multiplied by.
          name: the module's name.
        """
        super().__init__(
            num_spatial_dims=1,
            output_channels=output_channels,
            kernel_shape=kernel_shape,
            stride=stride,
            output_shape=output_shape,
            padding=padding,
            with_bias=with_bias,
            w_init=w_init,
            b_init=b_init,
            data_format=data_format,
            mask=mask,
            name=name,
        )


class Conv2DTranspose(ConvNDTranspose):
    """A 2-D transposed convolution on `NHWC` (default) or `NCHW` inputs.

    See `ConvNDTranspose`.

    >>> import sonnax as hk
    >>> import jax, jax.numpy as jnp
    >>> f = hk.transform(lambda x: hk.Conv2DTranspose(output_channels=4, kernel_shape=3)(x))
    >>> params = f.init(jax.random.PRNGKey(0), jnp.ones([1, 5, 5, 2]))
    >>> jax.tree.map(jnp.shape, params)
    {'conv2_d_transpose': {'b': (4,), 'w': (3, 3, 4, 2)}}
    """

    def __init__(
        self,
        output_channels: int,
        kernel_shape: int | Sequence[int],
        stride: int | Sequence[int] = 1,
        output_shape: int | Sequence[int] | None = None,
        padding: str | Sequence[tuple[int, int]] = "SAME",
        with_bias: bool = True,
        w_init: Initializer | None = None,
        b_init: Initializer | None = None,
        data_format: str = "NHWC",
        mask: jax.Array | None = None,
        name: str | None = None,
    ):
        """Constructs the layer.

        Args:
          output_channels: number of output channels.
          kernel_shape: kernel size, an int or a sequence of length 2.
          stride: stride, an int or a sequence of length 2 (default 1).
          output_shape: the output's spatial shape (int or sequence of length
            2), or `None` (default).
          padding: `"SAME"` (default), `"VALID"` or `(before, after)` pairs, as
            in `ConvNDTranspose`.
          with_bias: whether to add a bias `b`.
          w_init: initializer for `w` (default: truncated normal, stddev 1/sqrt(fan_in)).
          b_init: initializer for `b` (default: zeros).
          data_format: `NHWC` (default) or `NCHW`.
          mask: optional array of `w`'s shape that `w` is multiplied by.
          name: the module's name.
        """
        super().__init__(
            num_spatial_dims=2,
            output_channels=output_channels,
            kernel_shape=kernel_shape,
            stride=stride,
            output_shape=output_shape,
            padding=padding,
            with_bias=with_bias,
            w_init=w_init,
            b_init=b_init,
            data_format=data_format,
            mask=mask,
            name=name,
        )


class Conv3DTranspose(ConvNDTranspose):
    """A 3-D transposed convolution on `NDHWC` (default) or `NCDHW` inputs.

    See `ConvNDTranspose`.

    >>> import sonnax as hk
    >>> import jax, jax.numpy as jnp
    >>> f = hk.transform(lambda x: hk.Conv3DTranspose(output_channels=4, kernel_shape=3)(x))
    >>> params = f.init(jax.random.PRNGKey(0), jnp.ones([1, 5, 5, 5, 2]))
    >>> jax.tree.map(jnp.shape, params)
    {'conv3_d_transpose': {'b': (4,), 'w': (3, 3, 3, 4, 2)}}
    """

    def __init__(
        self,
        output_channels: int,
        kernel_shape: int | Sequence[int],
        stride: int | Sequence[int] = 1,
        output_shape: int | Sequence[int] | None = None,
        padding: str | Sequence[tuple[int, int]] = "SAME",
        with_bias: bool = True,
        w_init: Initializer | None = None,
        b_init: Initializer | None = None,
        data_format: str = "NDHWC",
        mask: jax.Array | None = None,
        name: str | None = None,
    ):
        """Constructs the layer.

        Args:
          output_channels: number of output channels.
          kernel_shape: kernel size, an int or a sequence of length 3.
          stride: stride, an int or a sequence of length 3 (default 1).
          output_shape: the output's spatial shape (int or sequence of length
            3), or `None` (default).
          padding: `"SAME"` (default), `"VALID"` or `(before, after)` pairs, as
            in `ConvNDTranspose`.
          with_bias: whether to add a bias `b`.
          w_init: initializer for `w` (default: truncated normal, stddev 1/sqrt(fan_in)).
          b_init: initializer for `b` (default: zeros).
          data_format: `NDHWC` (default) or `NCDHW`.
          mask: optional array of `w`'s shape that `w` is multiplied by.
          name: the module's name.
        """
        super().__init__(
            num_spatial_dims=3,
            output_channels=output_channels,
            kernel_shape=kernel_shape,
            stride=stride,
            output_shape=output_shape,
            padding=padding,
            with_bias=with_bias,
            w_init=w_init,
            b_init=b_init,
            data_format=data_format,
            mask=mask,
            name=name,
        )
