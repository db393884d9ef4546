"""Partitioned variables: the keys TensorFlow stores their slices under, and where slices go.

A variable saved in parts (a TF1 `PartitionedVariable`, or a TF2 checkpoint sharded by size) has
one entry under its own name that lists its slices, and one entry per slice under a key made with
TensorFlow's "ordered code" (`EncodeTensorNameSlice`): the number 0, the escaped name, the rank,
then each dimension's start and length as order-preserving signed numbers (length -1 for a
dimension taken whole).
"""

import math
import re

import numpy as np

from sonnax.convert import errors

Extent = tuple[int, int]
"""One dimension of a slice: start and length; length -1 means the whole dimension."""

_FULL = -1
_PAIRWISE_LIMIT = 64
_ESCAPES = {b"\x00": b"\x00\xff", b"\xff": b"\xff\x00"}


def _number(value: int) -> bytes:
    """Encodes a non-negative number: its byte count, then its big-endian bytes."""
    body = value.to_bytes((value.bit_length() + 7) // 8, "big")
    return bytes([len(body)]) + body


def _string(text: bytes) -> bytes:
    """Encodes a string: 0x00 and 0xff escaped, then the terminator 0x00 0x01."""
    return re.sub(rb"[\x00\xff]", lambda match: _ESCAPES[match.group()], text) + b"\x00\x01"


def _signed(value: int) -> bytes:
    """Encodes a signed number in n bytes: n leading header bits, then 7n bits two's complement."""
    magnitude = ~value if value < 0 else value
    length = magnitude.bit_length() // 7 + 1
    header = ((1 << length) - 1) << (7 * length)
    return ((value % (1 << (8 * length))) ^ header).to_bytes(length, "big")


def slice_key(name: str, extents: tuple[Extent, ...]) -> bytes:
    """Returns the key TensorFlow stores one slice of variable `name` under.

    Args:
        name: The variable's key.
        extents: (start, length) per dimension, length -1 for a whole dimension.

    Returns:
        The ordered-code key.

    >>> slice_key("w", ((0, 2), (100, -1)))
    b'\\x00w\\x00\\x01\\x01\\x02\\x80\\x82\\xc0d\\x7f'
    """
    parts = [_number(0), _string(name.encode()), _number(len(extents))]
    parts += [_signed(start) + _signed(length) for start, length in extents]
    return b"".join(parts)


def bounds(extents: tuple[Extent, ...], shape: tuple[int, ...], where: str) -> tuple[slice, ...]:
    """Checks a slice's extents against the full shape and returns them as index slices.

    Args:
        extents: (start, length) per dimension, length -1 for a whole dimension.
        shape: The full variable's shape.
        where: The file and key, for errors.

    Returns:
        One `slice` per dimension, to index the full array with.

    Raises:
        CorruptCheckpointError: The rank differs or an extent falls outside the shape.
    """
    if len(extents) != len(shape):
        raise errors.CorruptCheckpointError(
            f"{where}: slice of rank {len(extents)}, expected rank {len(shape)} (shape {shape})"
        )
    result = []
    for (start, length), size in zip(extents, shape, strict=True):
        stop = size if length == _FULL else start + length
        if not 0 <= start <= stop <= size:
            raise errors.CorruptCheckpointError(
                f"{where}: slice extent (start {start}, length {length}) is outside a dimension "
                f"of size {size} (shape {shape})"
            )
        result.append(slice(start, stop))
    return tuple(result)


def check_cover(parts: list[tuple[slice, ...]], shape: tuple[int, ...], where: str) -> None:
    """Checks that slices tile the full shape exactly: no gaps, no overlaps.

    A few slices are compared pairwise; many are painted onto a mask of one byte per element,
    which the caller has bounded by the size of the data shards.

    Args:
        parts: The index slices of every part, from `bounds`.
        shape: The full variable's shape.
        where: The file and key, for errors.

    Raises:
        CorruptCheckpointError: The slices overlap or leave part of the variable out.
    """
    volume = sum(math.prod(s.stop - s.start for s in part) for part in parts)
    if volume != math.prod(shape):
        raise errors.CorruptCheckpointError(
            f"{where}: its {len(parts)} slices hold {volume} elements, expected "
            f"{math.prod(shape)} for shape {shape}"
        )
    if len(parts) > _PAIRWISE_LIMIT:
        mask = np.zeros(shape, np.bool_)
        for part in parts:
            if mask[part].any():
                raise errors.CorruptCheckpointError(f"{where}: slice {part} overlaps another")
            mask[part] = True
        return
    for i, first in enumerate(parts):
        for second in parts[i + 1 :]:
            if all(
                a.start < b.stop and b.start < a.stop for a, b in zip(first, second, strict=True)
            ):
                raise errors.CorruptCheckpointError(f"{where}: slices {first} and {second} overlap")
