"""Writes tensor bundles byte by byte, for tests: table layouts TensorFlow itself never writes
(snappy blocks, tiny blocks, big-endian data) and well-checksummed but invalid entries.

`make_fixtures.py` uses it with TensorFlow's own protobuf classes and checks that TensorFlow
reads the result; the reader's tests use it with sonnax's classes to build bad inputs.
"""

import struct
from collections.abc import Callable

import cramjam
import google_crc32c
import numpy as np

MAGIC = 0xDB4775248B80FB57


def masked_crc(data: bytes, crc: int = 0) -> int:
    crc = google_crc32c.extend(crc, data)
    return ((((crc >> 15) | (crc << 17)) & 0xFFFFFFFF) + 0xA282EAD8) & 0xFFFFFFFF


def varint(value: int) -> bytes:
    out = bytearray()
    while value >= 0x80:
        out.append(value & 0x7F | 0x80)
        value >>= 7
    out.append(value)
    return bytes(out)


def block(rows: list[tuple[bytes, bytes]], restart_interval: int = 16) -> bytes:
    """Encodes sorted rows as one block: prefix-compressed entries, then the restart array."""
    out = bytearray()
    restarts = []
    previous = b""
    for number, (key, value) in enumerate(rows):
        shared = 0
        if number % restart_interval:
            while shared < min(len(key), len(previous)) and key[shared] == previous[shared]:
                shared += 1
        else:
            restarts.append(len(out))
        out += varint(shared) + varint(len(key) - shared) + varint(len(value))
        out += key[shared:] + value
        previous = key
    restarts = restarts or [0]
    return (
        bytes(out) + struct.pack(f"<{len(restarts)}I", *restarts) + struct.pack("<I", len(restarts))
    )


BlockMutator = Callable[[int, bytes], bytes]
"""Changes a block's stored bytes (given its number: data blocks, metaindex, index) before its
trailer is checksummed, to reach the parsers behind the checksum."""


def _append_block(
    out: bytearray, contents: bytes, snappy: bool, mutate: BlockMutator | None, number: int
) -> bytes:
    """Appends a block and its trailer; returns its encoded handle."""
    kind = 0
    if snappy:
        contents = bytes(cramjam.snappy.compress_raw(contents))
        kind = 1
    if mutate is not None:
        contents = mutate(number, contents)
    handle = varint(len(out)) + varint(len(contents))
    out += contents + bytes([kind]) + struct.pack("<I", masked_crc(contents + bytes([kind])))
    return handle


def table(
    rows: list[tuple[bytes, bytes]],
    block_size: int = 4096,
    snappy: bool = False,
    mutate: BlockMutator | None = None,
) -> bytes:
    """Encodes sorted rows as a LevelDB table with data blocks of about `block_size` bytes."""
    out = bytearray()
    index_rows = []
    pending: list[tuple[bytes, bytes]] = []
    for number, row in enumerate(rows):
        pending.append(row)
        if sum(len(k) + len(v) for k, v in pending) >= block_size or number == len(rows) - 1:
            handle = _append_block(out, block(pending), snappy, mutate, len(index_rows))
            index_rows.append((pending[-1][0], handle))
            pending = []
    count = len(index_rows)
    metaindex = _append_block(out, block([]), False, mutate, count)
    index = _append_block(out, block(index_rows, restart_interval=1), False, mutate, count + 1)
    footer = (metaindex + index).ljust(40, b"\0") + struct.pack("<Q", MAGIC)
    return bytes(out + footer)


def encode_tensor(array: np.ndarray, big_endian: bool) -> tuple[bytes, int]:
    """Returns a tensor's bytes as TensorFlow's bundle writer lays them out, and their crc32c."""
    order = ">" if big_endian else "<"
    if array.dtype == object:
        items = [bytes(item) for item in array.reshape(-1)]
        lengths = b"".join(varint(len(item)) for item in items)
        as_u32 = struct.pack(f"{order}{len(items)}I", *(len(item) for item in items))
        checksum = struct.pack(f"{order}I", masked_crc(as_u32))
        crc = google_crc32c.extend(google_crc32c.value(as_u32), checksum + b"".join(items))
        masked = masked_crc(b"", crc)
        return lengths + checksum + b"".join(items), masked
    data = np.ascontiguousarray(array)
    if big_endian:
        data = data.byteswap()
    raw = data.tobytes()
    return raw, masked_crc(raw)


def bundle_rows(
    tensors: dict[str, np.ndarray],
    entry_class: type,
    header_class: type,
    dtype_enum: Callable[[np.ndarray], int],
    big_endian: bool = False,
) -> tuple[list[tuple[bytes, bytes]], bytes]:
    """Lays `tensors` out as one data shard; returns the index rows and the shard's bytes.

    Args:
        tensors: Arrays by key; object arrays of bytes are string tensors.
        entry_class: A `BundleEntryProto` message class.
        header_class: A `BundleHeaderProto` message class.
        dtype_enum: Gives each array's TensorFlow DataType enum value.
        big_endian: Write the data big-endian and say so in the header.
    """
    data = bytearray()
    rows = [(b"", header_class(num_shards=1, endianness=int(big_endian)).SerializeToString())]
    for key in sorted(tensors):
        array = np.asarray(tensors[key])
        raw, crc = encode_tensor(array, big_endian)
        entry = entry_class(dtype=dtype_enum(array), offset=len(data), size=len(raw), crc32c=crc)
        for size in array.shape:
            entry.shape.dim.add(size=size)
        rows.append((key.encode(), entry.SerializeToString()))
        data += raw
    return rows, bytes(data)


def write_files(
    prefix: str,
    rows: list[tuple[bytes, bytes]],
    shards: list[bytes],
    snappy: bool = False,
    block_size: int = 4096,
    mutate: BlockMutator | None = None,
) -> None:
    """Writes `{prefix}.index` from sorted rows and one `{prefix}.data-*` file per shard."""
    for number, data in enumerate(shards):
        with open(f"{prefix}.data-{number:05d}-of-{len(shards):05d}", "wb") as file:
            file.write(data)
    with open(f"{prefix}.index", "wb") as file:
        file.write(table(rows, block_size, snappy, mutate))


def write_bundle(
    prefix: str,
    tensors: dict[str, np.ndarray],
    entry_class: type,
    header_class: type,
    dtype_enum: Callable[[np.ndarray], int],
    big_endian: bool = False,
    snappy: bool = False,
    block_size: int = 4096,
) -> None:
    """Writes `tensors` as a one-shard bundle at `prefix` (arguments as `bundle_rows`, plus
    `snappy` and `block_size` for the index's data blocks)."""
    rows, data = bundle_rows(tensors, entry_class, header_class, dtype_enum, big_endian)
    write_files(prefix, rows, [data], snappy, block_size)
