"""String tensors as TensorFlow's bundle writer lays them out.

The bytes are: each element's length as a varint64, then a uint32 holding the masked crc32c of
the lengths, then the elements' bytes back to back. TensorFlow computes both checksums over each
length as a 4-byte integer (8 bytes past 4 GiB), not over the varints it writes, so the entry's
crc32c covers (lengths as integers, length checksum, string bytes), not the bytes on disk.
"""

import math
import struct

import google_crc32c
import numpy as np

from sonnax.convert import errors
from sonnax.convert._read import table

_UINT32_MAX = 0xFFFFFFFF


def _lengths_as_integers(lengths: list[int], order: str) -> bytes:
    """The lengths as TensorFlow checksums them: 4 bytes each, or 8 for one over 4 GiB."""
    if max(lengths, default=0) <= _UINT32_MAX:
        return struct.pack(f"{order}{len(lengths)}I", *lengths)
    return b"".join(struct.pack(f"{order}{'I' if n <= _UINT32_MAX else 'Q'}", n) for n in lengths)


def decode(
    raw: bytes, shape: tuple[int, ...], crc32c: int, big_endian: bool, where: str
) -> np.ndarray:
    """Splits a string tensor's bytes into its elements, verifying both checksums.

    Args:
        raw: The tensor's bytes.
        shape: The tensor's shape.
        crc32c: The entry's masked crc32c.
        big_endian: Whether the bundle's header says big-endian (for the 4-byte integers).
        where: The file and key, for errors.

    Returns:
        An object array of `bytes`, of the given shape.

    Raises:
        CorruptCheckpointError: The lengths do not add up to the bytes present.
        ChecksumError: The length checksum or the entry's crc32c does not match.
    """
    count = math.prod(shape)
    if count > len(raw):
        raise errors.CorruptCheckpointError(
            f"{where}: {count} strings cannot fit in {len(raw)} bytes (shape {shape})"
        )
    lengths = []
    pos = 0
    for _ in range(count):
        length, pos = table.read_varint(raw, pos, len(raw), f"{where}: string lengths")
        lengths.append(length)
    if pos + 4 > len(raw):
        raise errors.CorruptCheckpointError(f"{where}: string tensor ends before its checksum")
    order = ">" if big_endian else "<"
    (stored,) = struct.unpack_from(f"{order}I", raw, pos)
    crc = google_crc32c.value(_lengths_as_integers(lengths, order))
    if stored != table.mask_crc(crc):
        raise errors.ChecksumError(
            f"{where}: string length crc32c mismatch: stored {stored:#010x}, "
            f"computed {table.mask_crc(crc):#010x}"
        )
    crc = google_crc32c.extend(crc, raw[pos:])
    if table.mask_crc(crc) != crc32c:
        raise errors.ChecksumError(
            f"{where}: crc32c mismatch: stored {crc32c:#010x}, computed {table.mask_crc(crc):#010x}"
        )
    pos += 4
    if pos + sum(lengths) != len(raw):
        raise errors.CorruptCheckpointError(
            f"{where}: string lengths add up to {sum(lengths)} bytes, but {len(raw) - pos} follow"
        )
    result = np.empty(count, dtype=object)
    for index, length in enumerate(lengths):
        result[index] = raw[pos : pos + length]
        pos += length
    return result.reshape(shape)
