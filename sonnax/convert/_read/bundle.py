"""TensorFlow's tensor bundle: a `.index` table of entries and the `.data-NNNNN-of-NNNNN` shards.

The index maps each tensor's key to a `BundleEntryProto` (dtype, shape, shard, offset, size,
masked crc32c); the empty key holds the `BundleHeaderProto` (shard count, byte order). Tensors
are read on demand straight into their final numpy buffer and checked against their crc32c.
"""

import dataclasses
import io
import math
import os
import threading

import google_crc32c
import ml_dtypes
import numpy as np

from sonnax.convert import errors
from sonnax.convert._read import proto, slices, strings, table

STRING = 7
"""TensorFlow's DT_STRING enum value."""

# TensorFlow DataType enum -> numpy dtype, for every dtype whose bytes numpy can hold as they are.
DTYPES: dict[int, np.dtype] = {
    1: np.dtype(np.float32),
    2: np.dtype(np.float64),
    3: np.dtype(np.int32),
    4: np.dtype(np.uint8),
    5: np.dtype(np.int16),
    6: np.dtype(np.int8),
    8: np.dtype(np.complex64),
    9: np.dtype(np.int64),
    10: np.dtype(np.bool_),
    14: np.dtype(ml_dtypes.bfloat16),
    17: np.dtype(np.uint16),
    18: np.dtype(np.complex128),
    19: np.dtype(np.float16),
    22: np.dtype(np.uint32),
    23: np.dtype(np.uint64),
    24: np.dtype(ml_dtypes.float8_e5m2),
    25: np.dtype(ml_dtypes.float8_e4m3fn),
    26: np.dtype(ml_dtypes.float8_e4m3fnuz),
    27: np.dtype(ml_dtypes.float8_e4m3b11fnuz),
    28: np.dtype(ml_dtypes.float8_e5m2fnuz),
}
# Known TensorFlow dtypes this reader does not decode, named in its errors.
UNSUPPORTED = {
    0: "DT_INVALID",
    11: "DT_QINT8",
    12: "DT_QUINT8",
    13: "DT_QINT32",
    15: "DT_QINT16",
    16: "DT_QUINT16",
    20: "DT_RESOURCE",
    21: "DT_VARIANT",
    29: "DT_INT4",
    30: "DT_UINT4",
    31: "DT_INT2",
    32: "DT_UINT2",
    33: "DT_FLOAT4_E2M1FN",
}
_SUPPORTED = ", ".join([f"{enum} ({dtype})" for enum, dtype in DTYPES.items()] + ["7 (string)"])
_BUNDLE_VERSION = 1  # TensorFlow's kTensorBundleVersion, the bundle format this reader knows.
_MAX_RANK = 64  # numpy's limit; TensorFlow's own is higher but no real variable comes close.


@dataclasses.dataclass(frozen=True)
class Entry:
    """One decoded `BundleEntryProto`: where a tensor's bytes are and what they hold."""

    key: str
    dtype: int
    shape: tuple[int, ...]
    shard_id: int
    offset: int
    size: int
    crc32c: int
    slices: tuple[tuple[slices.Extent, ...], ...]


def data_path(prefix: str, shard_id: int, num_shards: int) -> str:
    """Returns the path of one data shard, e.g. `ckpt-1.data-00000-of-00001`.

    Args:
        prefix: The checkpoint prefix.
        shard_id: The shard's number, from 0.
        num_shards: The shard count in the header.

    Returns:
        The shard's file path.

    >>> data_path("ckpt-1", 0, 2)
    'ckpt-1.data-00000-of-00002'
    """
    return f"{prefix}.data-{shard_id:05d}-of-{num_shards:05d}"


def _parse_entry(key: str, value: bytes, where: str) -> Entry:
    message = proto.parse(proto.BundleEntryProto, value, where)
    if message.shape.unknown_rank or len(message.shape.dim) > _MAX_RANK:
        raise errors.CorruptCheckpointError(
            f"{where}: expected a known shape of rank <= {_MAX_RANK}, got {message.shape}"
        )
    shape = tuple(dim.size for dim in message.shape.dim)
    numbers = {"shard_id": message.shard_id, "offset": message.offset, "size": message.size}
    negative = {name: number for name, number in numbers.items() if number < 0}
    if min(shape, default=0) < 0 or negative:
        raise errors.CorruptCheckpointError(
            f"{where}: negative shape {shape} or field {negative}; expected sizes >= 0"
        )
    extents = tuple(
        tuple(
            (extent.start, extent.length if extent.HasField("length") else -1)
            for extent in tensor_slice.extent
        )
        for tensor_slice in message.slices
    )
    return Entry(
        key, message.dtype, shape, message.shard_id, message.offset, message.size,
        message.crc32c, extents,
    )  # fmt: skip


def _read_index(path: str) -> tuple[tuple[int, int], dict[str, Entry], dict[bytes, Entry]]:
    """Decodes the `.index` file: (shard count, endianness), named entries, slice entries."""
    try:
        with open(path, "rb") as file:
            data = file.read()
    except OSError as error:
        raise errors.InputNotFoundError(f"{path}: cannot read the index: {error}") from None
    rows = table.read_table(data, path)
    if not rows or rows[0][0] != b"":
        raise errors.CorruptCheckpointError(
            f"{path}: expected the header entry (empty key) first, found "
            f"{rows[0][0] if rows else 'no entries'!r}"
        )
    header = proto.parse(proto.BundleHeaderProto, rows[0][1], f"{path}: header entry")
    version = header.version
    if version.min_consumer > _BUNDLE_VERSION or _BUNDLE_VERSION in version.bad_consumers:
        raise errors.UnsupportedError(
            f"{path}: written by a newer bundle format (producer {version.producer}, needs a "
            f"reader of version >= {version.min_consumer}); this reader is version "
            f"{_BUNDLE_VERSION}, as is TensorFlow 2.x's"
        )
    named: dict[str, Entry] = {}
    sliced: dict[bytes, Entry] = {}
    for raw_key, value in rows[1:]:
        # Slice keys start with the ordered-code number 0, a byte no variable name starts with.
        is_slice = raw_key.startswith(b"\x00")
        try:
            key = raw_key.decode() if not is_slice else raw_key.hex()
        except UnicodeDecodeError:
            raise errors.CorruptCheckpointError(f"{path}: key {raw_key!r} is not UTF-8") from None
        entry = _parse_entry(key, value, f"{path}, entry {key!r}")
        if is_slice:
            sliced[raw_key] = entry
        else:
            named[key] = entry
    return (header.num_shards, header.endianness), named, sliced


class Bundle:
    """An open tensor bundle: the index decoded at once, the data shards read on demand.

    Args:
        prefix: The checkpoint prefix; `{prefix}.index` must exist.

    Raises:
        CorruptCheckpointError: The index is malformed.
        InputNotFoundError: A data shard it uses is missing or cannot be read.
    """

    def __init__(self, prefix: str):
        self.prefix = prefix
        self.index_path = f"{prefix}.index"
        (self.num_shards, endianness), self.entries, self._slices = _read_index(self.index_path)
        if endianness not in (0, 1) or self.num_shards < 1:
            raise errors.CorruptCheckpointError(
                f"{self.index_path}: header has {self.num_shards} shards and endianness "
                f"{endianness}; expected >= 1 shard and 0 (little) or 1 (big)"
            )
        self.big_endian = endianness == 1
        self._files: dict[int, io.FileIO] = {}
        self._sizes: dict[int, int] = {}
        self._lock = threading.Lock()
        for entry in [*self.entries.values(), *self._slices.values()]:
            if entry.size or not entry.slices:
                self._shard_size(entry)

    def _shard_size(self, entry: Entry) -> int:
        """Returns the size of the entry's shard, checking the shard exists."""
        if entry.shard_id not in self._sizes:
            if entry.shard_id >= self.num_shards:
                raise errors.CorruptCheckpointError(
                    f"{self.index_path}, entry {entry.key!r}: shard {entry.shard_id}, expected "
                    f"< {self.num_shards} (the header's shard count)"
                )
            path = data_path(self.prefix, entry.shard_id, self.num_shards)
            try:
                self._sizes[entry.shard_id] = os.stat(path).st_size
            except OSError as error:
                raise errors.InputNotFoundError(
                    f"{path}: data shard of entry {entry.key!r} cannot be opened: {error}"
                ) from None
        return self._sizes[entry.shard_id]

    def _where(self, entry: Entry) -> str:
        return f"{data_path(self.prefix, entry.shard_id, self.num_shards)}, tensor {entry.key!r}"

    def _read_into(self, entry: Entry, buffer: np.ndarray, verify: bool = True) -> None:
        """Fills `buffer` (uint8, `entry.size` long) from the shard, then checks its crc32c."""
        shard_size = self._shard_size(entry)
        where = self._where(entry)
        with self._lock:
            try:
                self._fill(entry, buffer.data)
            except OSError as error:
                # Missing or unreadable, not malformed: the file is not what is wrong.
                raise errors.InputNotFoundError(f"{where}: cannot be read: {error}") from None
            except EOFError:
                raise errors.CorruptCheckpointError(
                    f"{where}: the shard ends before byte {entry.offset + entry.size}, where "
                    f"this tensor ends (it had {shard_size} bytes when opened)"
                ) from None
        if not verify:
            return
        buffer.flags.writeable = False
        actual = table.mask_crc(google_crc32c.value(buffer))
        if actual != entry.crc32c:
            raise errors.ChecksumError(
                f"{where}: crc32c mismatch: stored {entry.crc32c:#010x}, computed {actual:#010x} "
                f"over {entry.size} bytes at byte {entry.offset}; the data file is corrupt"
            )

    def _fill(self, entry: Entry, view: memoryview) -> None:
        """Reads `entry`'s bytes into `view`, opening its shard if needed; holds the lock."""
        file = self._files.get(entry.shard_id)
        if file is None:
            file = io.FileIO(data_path(self.prefix, entry.shard_id, self.num_shards))
            self._files[entry.shard_id] = file
        file.seek(entry.offset)
        while view.nbytes:
            count = file.readinto(view)
            if not count:
                raise EOFError
            view = view[count:]

    def _check_extent(self, entry: Entry, expected: int | None) -> None:
        """Checks, before anything is allocated, that the bytes lie inside the shard."""
        shard_size = self._shard_size(entry)
        if expected is not None and entry.size != expected:
            raise errors.CorruptCheckpointError(
                f"{self._where(entry)}: size {entry.size} bytes, expected {expected} for shape "
                f"{entry.shape} of {DTYPES[entry.dtype]}"
            )
        if entry.offset + entry.size > shard_size:
            raise errors.CorruptCheckpointError(
                f"{self._where(entry)}: bytes {entry.offset}..{entry.offset + entry.size} lie "
                f"past the end of the shard ({shard_size} bytes); it is truncated or corrupt"
            )

    def dtype(self, entry: Entry) -> np.dtype | None:
        """Returns the entry's numpy dtype; None for strings and TensorFlow-only dtypes.

        Raises:
            UnsupportedError: The dtype enum is not a TensorFlow dtype (a newer or corrupt file).
        """
        if entry.dtype in DTYPES:
            return DTYPES[entry.dtype]
        if entry.dtype == STRING or entry.dtype in UNSUPPORTED:
            return None
        raise errors.UnsupportedError(
            f"{self.index_path}, entry {entry.key!r}: dtype enum {entry.dtype} is not a "
            f"TensorFlow dtype this reader knows; supported: {_SUPPORTED}"
        )

    def read(self, key: str) -> np.ndarray:
        """Reads one tensor, verified; string tensors come back as an object array of bytes.

        Args:
            key: The entry's key.

        Returns:
            A new array of the entry's dtype and shape.

        Raises:
            KeyError: No entry has this key.
            ConvertError: The bytes are missing, out of bounds or corrupt, or the dtype unknown.
        """
        entry = self.entries[key]
        if entry.slices:
            return self._read_sliced(entry)
        return self._read_entry(entry)

    def _read_entry(self, entry: Entry) -> np.ndarray:
        dtype = self.dtype(entry)
        if entry.dtype in UNSUPPORTED:
            raise errors.UnsupportedError(
                f"{self.index_path}, entry {entry.key!r}: {UNSUPPORTED[entry.dtype]} tensors have "
                f"no numpy equivalent; leave this entry out. Supported: {_SUPPORTED}"
            )
        if dtype is None:
            self._check_extent(entry, None)
            raw = np.empty(entry.size, np.uint8)
            self._read_into(entry, raw, verify=False)
            return strings.decode(
                raw.tobytes(), entry.shape, entry.crc32c, self.big_endian, self._where(entry)
            )
        self._check_extent(entry, math.prod(entry.shape) * dtype.itemsize)
        array = _empty(entry.shape, dtype, self._where(entry))
        self._read_into(entry, array.reshape(-1).view(np.uint8))
        if self.big_endian and dtype.itemsize > 1:
            array.byteswap(inplace=True)
        return array

    def _read_sliced(self, entry: Entry) -> np.ndarray:
        """Assembles a partitioned variable from its slice entries."""
        where = f"{self.index_path}, entry {entry.key!r}"
        dtype = self.dtype(entry)
        if dtype is None:
            raise errors.UnsupportedError(
                f"{where}: partitioned tensors of dtype enum {entry.dtype} are not supported"
            )
        indices = [slices.bounds(extents, entry.shape, where) for extents in entry.slices]
        parts = [
            self._slice_entry(entry, extents, index)
            for extents, index in zip(entry.slices, indices, strict=True)
        ]
        used: dict[int, int] = {}
        for part in parts:
            used[part.shard_id] = used.get(part.shard_id, 0) + part.size
        for shard_id, size in used.items():
            if size > self._sizes[shard_id]:
                raise errors.CorruptCheckpointError(
                    f"{where}: its slices use {size} bytes of shard {shard_id}, which holds "
                    f"{self._sizes[shard_id]}; slices must not share bytes"
                )
        slices.check_cover(indices, entry.shape, where)
        array = _empty(entry.shape, dtype, where)
        for part, index in zip(parts, indices, strict=True):
            array[index] = self._read_entry(part)
        return array

    def _slice_entry(
        self, entry: Entry, extents: tuple[slices.Extent, ...], index: tuple[slice, ...]
    ) -> Entry:
        """Finds and checks the entry holding one slice of `entry`."""
        key = slices.slice_key(entry.key, extents)
        part = self._slices.get(key)
        shape = tuple(s.stop - s.start for s in index)
        if part is None or part.dtype != entry.dtype or part.shape != shape or part.slices:
            found = part and (part.dtype, part.shape)
            raise errors.CorruptCheckpointError(
                f"{self.index_path}, entry {entry.key!r}: expected a slice entry {key!r} of dtype "
                f"{entry.dtype} and shape {shape}, found {found or 'none'}"
            )
        spec = ",".join(f"{s.start}:{s.stop}" for s in index)
        part = dataclasses.replace(part, key=f"{entry.key}[{spec}]")
        self._check_extent(part, math.prod(shape) * DTYPES[part.dtype].itemsize)
        return part

    def close(self) -> None:
        """Closes the data shards opened so far."""
        with self._lock:
            for file in self._files.values():
                file.close()
            self._files.clear()


def _empty(shape: tuple[int, ...], dtype: np.dtype, where: str) -> np.ndarray:
    try:
        return np.empty(shape, dtype)
    except ValueError as error:
        raise errors.CorruptCheckpointError(
            f"{where}: shape {shape} is not representable: {error}"
        ) from None
