"""Checks shared by compat modules (Sonnet keeps them in its `utils.py`)."""

from __future__ import annotations

import collections.abc
import re
from typing import Any

import jax


def assert_minimum_rank(inputs: jax.Array, rank: int, module: Any) -> None:
    """Raises a `ValueError` naming `module` unless `inputs` has at least `rank` axes.

    Args:
      inputs: the array given to the module.
      rank: the smallest number of axes allowed.
      module: the module checking its input (named in the message).
    """
    if inputs.ndim < rank:
        raise ValueError(
            f"{type(module).__name__} {module.module_name!r}: input has rank {inputs.ndim} "
            f"(shape {tuple(inputs.shape)}), expected rank >= {rank}."
        )


def assert_rank(inputs: jax.Array, rank: int, module: Any) -> None:
    """Raises a `ValueError` naming `module` unless `inputs` has exactly `rank` axes.

    Args:
      inputs: the array given to the module.
      rank: the number of axes required.
      module: the module checking its input (named in the message).
    """
    if inputs.ndim != rank:
        raise ValueError(
            f"{type(module).__name__} {module.module_name!r}: input has rank {inputs.ndim} "
            f"(shape {tuple(inputs.shape)}), expected rank {rank}."
        )


_CHANNELS_FIRST = re.compile("^NC[^C]*$")
_CHANNELS_LAST = re.compile("^N[^C]*C$")
_TIME_MAJOR_OR_BATCH_MAJOR = re.compile("^((BT)|(TB))[^D]*D$")


def replicate(element: Any, num_times: int, name: str) -> tuple[Any, ...]:
    """`element` as a tuple of `num_times` entries (a scalar or a length-1 sequence is repeated).

    Args:
      element: a scalar, or a sequence of length 1 or `num_times`.
      num_times: the length wanted.
      name: the argument's name, for the error message.

    Returns:
      A tuple of length `num_times`.

    Raises:
      TypeError: if `element` is a sequence of another length.
    """
    if not isinstance(element, collections.abc.Sequence):
        return (element,) * num_times
    if len(element) == 1:
        return tuple(element) * num_times
    if len(element) == num_times:
        return tuple(element)
    raise TypeError(
        f"{name} must be a scalar or sequence of length 1 or sequence of length {num_times}, "
        f"got {element!r}."
    )


def get_channel_index(data_format: str) -> int:
    """The channel axis of `data_format`: 1 for `NC...`/`channels_first`, -1 otherwise.

    Args:
      data_format: a spatial format (`NHWC`, `NCW`, ...), a sequential one (`BTHWD`), or
        `channels_first` / `channels_last`.

    Returns:
      1 or -1.

    Raises:
      ValueError: if the format is not recognised.
    """
    if data_format == "channels_first":
        return 1
    if data_format == "channels_last":
        return -1
    if isinstance(data_format, str):
        if _CHANNELS_FIRST.match(data_format):
            return 1
        if _CHANNELS_LAST.match(data_format) or _TIME_MAJOR_OR_BATCH_MAJOR.match(data_format):
            return -1
    raise ValueError(
        f"Unable to extract channel information from {data_format!r}. Valid data formats are "
        "spatial (e.g.`NCHW`), sequential (e.g. `BTHWD`), `channels_first` and `channels_last`)."
    )
