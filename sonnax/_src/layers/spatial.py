"""The spatial layout of convolution inputs: data formats, channel index, per-dimension sizes."""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import TypeVar

from jax import lax

T = TypeVar("T")

# The shapes of data format Haiku recognises, beside "channels_first"/"channels_last".
_CHANNELS_FIRST = re.compile(r"^NC[^C]*$")  # NCHW, NCW, NCDHW, NC...
_CHANNELS_LAST = re.compile(r"^N[^C]*C$")  # NHWC, NWC, NDHWC, N...C
_SEQUENCE = re.compile(r"^(BT|TB)[^D]*D$")  # BTD, TBHWD: features last

_FORMATS_HELP = (
    "Valid data formats are spatial (e.g.`NCHW`), sequential (e.g. `BTHWD`), "
    "`channels_first` and `channels_last`)."
)


def get_channel_index(data_format: str) -> int:
    """The axis of the channels in inputs of `data_format`: `1` or `-1`.

    >>> import sonnax as hk
    >>> hk.get_channel_index("NCHW"), hk.get_channel_index("channels_last")
    (1, -1)

    Args:
      data_format: `channels_first`, `channels_last`, a spatial format such as
        `NHWC` or `NCW` (channels second or last), or a sequence format such as
        `BTHWD` (features last).

    Returns:
      `1` for channels-first formats, `-1` for the others.

    Raises:
      ValueError: `data_format` is none of these.
    """
    if data_format == "channels_first" or _CHANNELS_FIRST.match(data_format):
        return 1
    if data_format == "channels_last" or _CHANNELS_LAST.match(data_format):
        return -1
    if _SEQUENCE.match(data_format):
        return -1
    raise ValueError(f"Unable to extract channel information from {data_format!r}. {_FORMATS_HELP}")


def channel_index_of(data_format: str, module_name: str) -> int:
    """`get_channel_index`, with an error that names the module being built.

    Args:
      data_format: the module's `data_format` argument.
      module_name: the module's path, for the error message.

    Returns:
      `1` or `-1`, as `get_channel_index`.

    Raises:
      ValueError: `data_format` is not recognised.
    """
    try:
        return get_channel_index(data_format)
    except ValueError as error:
        raise ValueError(
            f"Unable to extract channel information from data_format={data_format!r} of "
            f"module {module_name!r}. {_FORMATS_HELP}"
        ) from error


def replicate(value: T | Sequence[T], count: int, name: str, where: str = "") -> tuple[T, ...]:
    """One value per spatial dimension from a scalar or a sequence of length 1 or `count`.

    Args:
      value: a scalar (strings count as scalars) or a sequence.
      count: the number of spatial dimensions.
      name: the argument's name, for the error message.
      where: the module or function, for the error message.

    Returns:
      A tuple of `count` values.

    Raises:
      TypeError: `value` is a sequence of another length.
    """
    if isinstance(value, str | bytes) or not isinstance(value, Sequence):
        return (value,) * count
    if len(value) == 1:
        return tuple(value) * count
    if len(value) == count:
        return tuple(value)
    place = f" (in {where})" if where else ""
    raise TypeError(
        f"{name} must be a scalar or sequence of length 1 or sequence of length {count}"
        f"{place}, got {name}={value!r} of length {len(value)}."
    )


def conv_dimension_numbers(
    num_spatial_dims: int, channels_last: bool, transpose: bool
) -> lax.ConvDimensionNumbers:
    """The `lax` dimension numbers of a convolution on this layout.

    Kernels are stored spatial dimensions first, then `[in, out]` channels
    (`[out, in]` for transposed convolutions), whatever the input layout.

    Args:
      num_spatial_dims: the number of spatial dimensions.
      channels_last: whether inputs are `N...C` (else `NC...`).
      transpose: whether the kernel is for a transposed convolution.

    Returns:
      `lax.ConvDimensionNumbers` for inputs, kernel and outputs.
    """
    spatial = tuple(range(num_spatial_dims))
    if channels_last:
        image = (0, num_spatial_dims + 1, *(d + 1 for d in spatial))
    else:
        image = (0, 1, *(d + 2 for d in spatial))
    in_axis, out_axis = num_spatial_dims, num_spatial_dims + 1
    if transpose:
        in_axis, out_axis = out_axis, in_axis
    kernel = (out_axis, in_axis, *spatial)
    return lax.ConvDimensionNumbers(lhs_spec=image, rhs_spec=kernel, out_spec=image)
