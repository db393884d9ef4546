"""The sorted string table (LevelDB's format, as TensorFlow keeps it) inside a `.index` file.

Layout, from the end of the file: a 48-byte footer holding two block handles (the metaindex and
the index block; each handle is a varint64 offset and a varint64 size), zero padding and the
magic number. Every block is followed by a 5-byte trailer: the compression type (0 none, 1 snappy)
and the masked crc32c of the block and that type byte. A block is a run of prefix-compressed
entries (varint32 shared key bytes, varint32 unshared key bytes, varint32 value size, the unshared
key bytes, the value) and ends with an array of uint32 restart offsets and their count. The index
block maps a separator key to the handle of each data block.

Every offset and size is checked against the bytes actually present before it is used.
"""

import struct
from collections.abc import Iterator
from typing import NamedTuple

import cramjam
import google_crc32c

from sonnax.convert import errors

MAGIC = 0xDB4775248B80FB57
FOOTER_SIZE = 48
TRAILER_SIZE = 5
_NO_COMPRESSION = 0
_SNAPPY = 1
# Snappy's densest op (a 3-byte copy of 64 bytes) expands 21x; a header claiming more is corrupt,
# and checking it first keeps a corrupt header from asking for a huge buffer.
_SNAPPY_MAX_RATIO = 22
_CRC_MASK_DELTA = 0xA282EAD8


class BlockHandle(NamedTuple):
    """Where a block lies in the file: byte offset and size, trailer excluded."""

    offset: int
    size: int


def mask_crc(crc: int) -> int:
    """Masks a crc32c the way LevelDB and TensorFlow store it (rotate right 15, add a constant).

    Args:
        crc: The plain crc32c.

    Returns:
        The masked value, as stored in block trailers and `BundleEntryProto.crc32c`.

    >>> mask_crc(0)
    2726488792
    """
    rotated = ((crc >> 15) | (crc << 17)) & 0xFFFFFFFF
    return (rotated + _CRC_MASK_DELTA) & 0xFFFFFFFF


def read_varint(
    data: bytes, pos: int, limit: int, where: str, max_bits: int = 64
) -> tuple[int, int]:
    """Decodes one little-endian base-128 varint from `data[pos:limit]`.

    Args:
        data: The bytes to read from.
        pos: Where the varint starts.
        limit: The first byte it may not use.
        where: What is being read, for the error.
        max_bits: 32 or 64, the width of the encoded integer.

    Returns:
        The value and the position after it.

    Raises:
        CorruptCheckpointError: The varint runs past `limit` or is longer than `max_bits` allows.
    """
    result = 0
    shift = 0
    while True:
        if pos >= limit:
            raise errors.CorruptCheckpointError(f"{where}: varint truncated at byte {pos}")
        byte = data[pos]
        pos += 1
        result |= (byte & 0x7F) << shift
        if not byte & 0x80:
            break
        shift += 7
        if shift >= max_bits:
            raise errors.CorruptCheckpointError(
                f"{where}: varint longer than {max_bits} bits at byte {pos}"
            )
    if result >> max_bits:
        raise errors.CorruptCheckpointError(
            f"{where}: varint exceeds {max_bits} bits at byte {pos}"
        )
    return result, pos


def _read_handle(data: bytes, pos: int, limit: int, where: str) -> tuple[BlockHandle, int]:
    offset, pos = read_varint(data, pos, limit, where)
    size, pos = read_varint(data, pos, limit, where)
    return BlockHandle(offset, size), pos


def read_footer(data: bytes, path: str) -> tuple[BlockHandle, BlockHandle]:
    """Checks the magic number and decodes the footer's two block handles.

    Args:
        data: The whole table file.
        path: The file's path, for errors.

    Returns:
        The metaindex handle and the index block handle.

    Raises:
        CorruptCheckpointError: The file is too short, or the footer or magic is wrong.
    """
    if len(data) < FOOTER_SIZE:
        raise errors.CorruptCheckpointError(
            f"{path}: expected at least a {FOOTER_SIZE}-byte table footer, got {len(data)} bytes"
        )
    footer = len(data) - FOOTER_SIZE
    (magic,) = struct.unpack_from("<Q", data, len(data) - 8)
    if magic != MAGIC:
        raise errors.CorruptCheckpointError(
            f"{path}: bad table magic at byte {len(data) - 8}: expected {MAGIC:#x}, got {magic:#x}"
            " (the file is truncated or not a TensorFlow checkpoint index)"
        )
    where = f"{path}: table footer at byte {footer}"
    metaindex, pos = _read_handle(data, footer, len(data) - 8, where)
    index, _ = _read_handle(data, pos, len(data) - 8, where)
    return metaindex, index


def read_block(data: bytes, handle: BlockHandle, path: str, what: str) -> bytes:
    """Returns a block's contents, its trailer's checksum verified and snappy undone.

    Args:
        data: The whole table file.
        handle: Where the block is.
        path: The file's path, for errors.
        what: Which block, for errors (`index block`, `data block 3`).

    Returns:
        The uncompressed block.

    Raises:
        CorruptCheckpointError: The block lies outside the file or cannot be decompressed.
        ChecksumError: The trailer's crc32c does not match.
    """
    where = f"{path}: {what} at byte {handle.offset}"
    end = handle.offset + handle.size
    if end + TRAILER_SIZE > len(data) - FOOTER_SIZE:
        raise errors.CorruptCheckpointError(
            f"{where}: {handle.size} bytes plus trailer end at byte {end + TRAILER_SIZE}, past "
            f"the footer at byte {len(data) - FOOTER_SIZE} (truncated or corrupt handle)"
        )
    contents = data[handle.offset : end + 1]
    compression = data[end]
    (stored,) = struct.unpack_from("<I", data, end + 1)
    actual = mask_crc(google_crc32c.value(contents))
    if actual != stored:
        raise errors.ChecksumError(
            f"{where}: block crc32c mismatch: stored {stored:#010x}, computed {actual:#010x}"
        )
    if compression == _NO_COMPRESSION:
        return contents[:-1]
    if compression == _SNAPPY:
        return _unsnappy(contents[:-1], where)
    raise errors.CorruptCheckpointError(
        f"{where}: unknown block compression type {compression} (expected 0 none or 1 snappy)"
    )


def _unsnappy(compressed: bytes, where: str) -> bytes:
    size, _ = read_varint(compressed, 0, len(compressed), f"{where}: snappy header", max_bits=32)
    if size > _SNAPPY_MAX_RATIO * len(compressed):
        raise errors.CorruptCheckpointError(
            f"{where}: snappy header claims {size} bytes from {len(compressed)} compressed bytes"
        )
    output = bytearray(size)
    try:
        # cramjam checks that the stream fills exactly the size its header gives.
        cramjam.snappy.decompress_raw_into(compressed, output)
    except cramjam.DecompressionError as error:
        raise errors.CorruptCheckpointError(
            f"{where}: snappy block does not decompress: {error}"
        ) from None
    return bytes(output)


def iter_block(block: bytes, where: str) -> Iterator[tuple[bytes, bytes]]:
    """Yields the (key, value) entries of an uncompressed block, in order.

    Args:
        block: The block contents, trailer excluded.
        where: The file and block, for errors.

    Yields:
        Each entry's full key and its value.

    Raises:
        CorruptCheckpointError: The restart array or an entry runs out of bounds.
    """
    if len(block) < 4:
        raise errors.CorruptCheckpointError(f"{where}: block of {len(block)} bytes has no restarts")
    (num_restarts,) = struct.unpack_from("<I", block, len(block) - 4)
    limit = len(block) - 4 * (num_restarts + 1)
    if num_restarts == 0 or limit < 0:
        raise errors.CorruptCheckpointError(
            f"{where}: {num_restarts} restart points do not fit a block of {len(block)} bytes"
        )
    key = b""
    pos = 0
    while pos < limit:
        shared, pos = read_varint(block, pos, limit, where, max_bits=32)
        unshared, pos = read_varint(block, pos, limit, where, max_bits=32)
        value_size, pos = read_varint(block, pos, limit, where, max_bits=32)
        if shared > len(key) or pos + unshared + value_size > limit:
            raise errors.CorruptCheckpointError(
                f"{where}: entry at byte {pos} (shared {shared}, unshared {unshared}, value "
                f"{value_size}) runs past the entries, which end at byte {limit}"
            )
        key = key[:shared] + block[pos : pos + unshared]
        pos += unshared
        yield key, block[pos : pos + value_size]
        pos += value_size


def read_table(data: bytes, path: str) -> list[tuple[bytes, bytes]]:
    """Decodes every entry of a table file.

    Args:
        data: The whole file.
        path: The file's path, for errors.

    Returns:
        The (key, value) entries in key order.

    Raises:
        CorruptCheckpointError: Any part of the table is malformed or out of order.
    """
    _, index_handle = read_footer(data, path)
    index = read_block(data, index_handle, path, "index block")
    entries: list[tuple[bytes, bytes]] = []
    for number, (_, handle_bytes) in enumerate(iter_block(index, f"{path}: index block")):
        what = f"data block {number}"
        handle, _ = _read_handle(handle_bytes, 0, len(handle_bytes), f"{path}: handle of {what}")
        block = read_block(data, handle, path, what)
        for key, value in iter_block(block, f"{path}: {what}"):
            if entries and key <= entries[-1][0]:
                raise errors.CorruptCheckpointError(
                    f"{path}: {what}: key {key!r} is not after the previous key "
                    f"{entries[-1][0]!r}; the table must be sorted"
                )
            entries.append((key, value))
    return entries
