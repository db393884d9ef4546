"""Encodes a sorted string table (LevelDB's format) as TensorFlow keeps a bundle's `.index`.

The inverse of `sonnax.convert._read.table`: prefix-compressed entries in data blocks of about
`block_size` bytes, each block followed by its type byte (0, uncompressed) and masked crc32c, then
an empty metaindex block, the index block (one entry per data block: its last key and its
handle) and the 48-byte footer.
"""

import struct

import google_crc32c

from sonnax.convert._read import table as read_table

# TensorFlow's own writer restarts prefix compression every 16 entries (LevelDB's default), and
# every entry in the index block.
_RESTART_INTERVAL = 16
_UNCOMPRESSED = b"\0"


def varint(value: int) -> bytes:
    """Encodes a non-negative integer as a little-endian base-128 varint.

    Args:
        value: The integer, >= 0.

    Returns:
        Its varint bytes.

    >>> varint(300)
    b'\\xac\\x02'
    """
    out = bytearray()
    while value >= 0x80:
        out.append(value & 0x7F | 0x80)
        value >>= 7
    out.append(value)
    return bytes(out)


def _block(rows: list[tuple[bytes, bytes]], restart_interval: int) -> bytes:
    """Encodes sorted rows as one block's contents, restart array included."""
    out = bytearray()
    restarts = []
    previous = b""
    for number, (key, value) in enumerate(rows):
        shared = 0
        if number % restart_interval:
            limit = min(len(key), len(previous))
            while shared < limit and key[shared] == previous[shared]:
                shared += 1
        else:
            restarts.append(len(out))
        out += varint(shared) + varint(len(key) - shared) + varint(len(value))
        out += key[shared:] + value
        previous = key
    restarts = restarts or [0]
    out += struct.pack(f"<{len(restarts)}I", *restarts) + struct.pack("<I", len(restarts))
    return bytes(out)


def _append_block(out: bytearray, contents: bytes) -> bytes:
    """Appends a block and its trailer to `out`; returns the block's encoded handle."""
    handle = varint(len(out)) + varint(len(contents))
    crc = read_table.mask_crc(google_crc32c.value(contents + _UNCOMPRESSED))
    out += contents + _UNCOMPRESSED + struct.pack("<I", crc)
    return handle


def encode(rows: list[tuple[bytes, bytes]], block_size: int = 4096) -> bytes:
    """Encodes rows as a whole table file.

    Args:
        rows: (key, value) pairs, sorted by key, keys distinct.
        block_size: A data block is closed once its entries reach this many bytes.

    Returns:
        The file's bytes.

    Raises:
        ValueError: The keys are not sorted and distinct.

    >>> rows = [(b"a", b"1"), (b"b", b"2")]
    >>> read_table.read_table(encode(rows), "example.index") == rows
    True
    """
    for (before, _), (after, _) in zip(rows, rows[1:], strict=False):
        if before >= after:
            raise ValueError(f"table keys must be sorted and distinct: {before!r} >= {after!r}")
    out = bytearray()
    index_rows = []
    pending: list[tuple[bytes, bytes]] = []
    pending_size = 0
    for number, row in enumerate(rows):
        pending.append(row)
        pending_size += len(row[0]) + len(row[1])
        if pending_size >= block_size or number == len(rows) - 1:
            handle = _append_block(out, _block(pending, _RESTART_INTERVAL))
            index_rows.append((pending[-1][0], handle))
            pending, pending_size = [], 0
    metaindex = _append_block(out, _block([], _RESTART_INTERVAL))
    index = _append_block(out, _block(index_rows, 1))
    padding = read_table.FOOTER_SIZE - 8
    return (
        bytes(out) + (metaindex + index).ljust(padding, b"\0") + struct.pack("<Q", read_table.MAGIC)
    )
