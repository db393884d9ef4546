"""Writes a TensorFlow tensor bundle: the `.index` table and one `.data-00000-of-00001` shard.

The inverse of `sonnax.convert._read.bundle`, laid out as TensorFlow's `BundleWriter` lays it
out: tensors in key order, little-endian, back to back in the data file; the index holds the
header under the empty key, then one `BundleEntryProto` per key. Both files are staged beside
their targets and renamed into place only once both are complete.
"""

import collections.abc
import contextlib
import os
import struct
import uuid
from typing import BinaryIO

import google_crc32c
import numpy as np

from sonnax.convert import errors
from sonnax.convert._read import bundle as read_bundle
from sonnax.convert._read import proto
from sonnax.convert._read import table as read_table
from sonnax.convert._write import atomic, table

_ENUMS = {dtype: enum for enum, dtype in read_bundle.DTYPES.items()}
_PRODUCER = 1  # TensorFlow's kTensorBundleVersion; its readers accept it.


def dtype_enum(dtype: np.dtype, where: str) -> int:
    """Returns TensorFlow's DataType enum value for a numpy dtype (object arrays: DT_STRING).

    Args:
        dtype: The array's dtype.
        where: The tensor's key, for the error.

    Returns:
        The enum value, e.g. 1 for float32.

    Raises:
        UnsupportedError: TensorFlow has no such dtype.

    >>> dtype_enum(np.dtype("float32"), "w")
    1
    """
    if dtype.hasobject:
        return read_bundle.STRING
    if dtype.newbyteorder("=") in _ENUMS:
        return _ENUMS[dtype.newbyteorder("=")]
    supported = ", ".join(sorted(str(d) for d in _ENUMS))
    raise errors.UnsupportedError(
        f"{where}: dtype {dtype} has no TensorFlow equivalent; supported: {supported} and bytes"
    )


def encode(array: np.ndarray, where: str) -> tuple[bytes, int]:
    """Lays out one tensor's bytes as TensorFlow does; returns them and their masked crc32c.

    Args:
        array: A numeric array, or an object array of `bytes` (a string tensor).
        where: The tensor's key, for the error.

    Returns:
        The bytes for the data file and the entry's crc32c.

    Raises:
        UnsupportedError: A string tensor holds something other than `bytes`.
    """
    if not array.dtype.hasobject:
        raw = np.ascontiguousarray(array, array.dtype.newbyteorder("<")).tobytes()
        return raw, read_table.mask_crc(google_crc32c.value(raw))
    items = list(array.reshape(-1))
    if not all(isinstance(item, bytes) for item in items):
        kinds = sorted({type(item).__name__ for item in items})
        raise errors.UnsupportedError(
            f"{where}: a string tensor must hold bytes; found {kinds} (encode str with .encode())"
        )
    # The checksums cover each length as a 4-byte integer, as TensorFlow computes them (see
    # `sonnax.convert._read.strings`), not the varints written.
    as_integers = struct.pack(f"<{len(items)}I", *(len(item) for item in items))
    length_crc = struct.pack("<I", read_table.mask_crc(google_crc32c.value(as_integers)))
    joined = b"".join(items)
    crc = google_crc32c.extend(google_crc32c.value(as_integers), length_crc + joined)
    lengths = b"".join(table.varint(len(item)) for item in items)
    return lengths + length_crc + joined, read_table.mask_crc(crc)


def _entry(array: np.ndarray, offset: int, raw: bytes, crc: int, key: str) -> bytes:
    entry = proto.BundleEntryProto(
        dtype=dtype_enum(array.dtype, key), offset=offset, size=len(raw), crc32c=crc
    )
    for size in array.shape:
        entry.shape.dim.add(size=size)
    return entry.SerializeToString()


def _write_data(file: BinaryIO, tensors: collections.abc.Mapping[str, np.ndarray]) -> bytes:
    """Writes the tensors into `file` in key order; returns the index file's bytes."""
    header = proto.BundleHeaderProto(num_shards=1, endianness=0)
    header.version.producer = _PRODUCER
    rows = [(b"", header.SerializeToString())]
    offset = 0
    for key in sorted(tensors):
        array = np.asarray(tensors[key])
        raw, crc = encode(array, key)
        file.write(raw)
        rows.append((key.encode(), _entry(array, offset, raw, crc, key)))
        offset += len(raw)
    file.flush()
    os.fsync(file.fileno())
    return table.encode(rows)


def _write_bytes(data: bytes) -> collections.abc.Callable[[BinaryIO], None]:
    def write(file: BinaryIO) -> None:
        file.write(data)
        file.flush()
        os.fsync(file.fileno())

    return write


def _rename_all(staged: list[str], targets: list[str]) -> None:
    """Renames each staged file over its target; on a failure, removes the new files renamed
    so far (a data shard without its index is a partial checkpoint), unless they replaced
    files that were there before."""
    existed = [os.path.lexists(target) for target in targets]
    done: list[str] = []
    try:
        for source, target in zip(staged, targets, strict=True):
            try:
                os.replace(source, target)
            except OSError as error:
                raise atomic.output_error(target, "cannot rename the staged file", error) from error
            done.append(target)
    except BaseException:
        for target, was_there in zip(done, existed, strict=False):
            if not was_there:
                with contextlib.suppress(FileNotFoundError):
                    os.unlink(target)
        raise


def write(
    prefix: str, tensors: collections.abc.Mapping[str, np.ndarray], *, overwrite: bool
) -> None:
    """Writes `tensors` as a one-shard bundle at `prefix`; nothing is left on failure.

    Each file is written atomically to a staging name beside its target; both are renamed into
    place only after both are complete (the data shard first, then the index that names it).

    Args:
        prefix: The checkpoint prefix; `{prefix}.index` and `{prefix}.data-00000-of-00001`
            are written.
        tensors: Arrays by key; object arrays of `bytes` are string tensors.
        overwrite: Replace existing files instead of raising `OutputError`.

    Raises:
        OutputError: A file exists (without `overwrite`) or cannot be written.
        UnsupportedError: An array's dtype has no TensorFlow equivalent.
    """
    targets = [read_bundle.data_path(prefix, 0, 1), f"{prefix}.index"]
    for target in targets:
        atomic.check_target(target, overwrite)
    staged = [
        f"{os.path.dirname(t) or '.'}/.{os.path.basename(t)}.{uuid.uuid4().hex}" for t in targets
    ]
    index: list[bytes] = []
    try:
        atomic.write_file(
            staged[0], lambda file: index.append(_write_data(file, tensors)), overwrite=False
        )
        atomic.write_file(staged[1], _write_bytes(index[0]), overwrite=False)
        for target in targets:
            atomic.check_target(target, overwrite)
        _rename_all(staged, targets)
    finally:
        for path in staged:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(path)
