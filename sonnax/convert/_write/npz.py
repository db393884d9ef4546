"""Params files: an atomic, pickle-free `.npz` of `params/<module>/<name>` and `state/...` arrays.

Each array is a zip member named `<collection>/<module path>/<name>.npy`, where the collection is
`params` or `state`, the name is everything after the last `/` and the module path is everything
between (so it may hold `/` and `~`, as in `mlp/~/linear_0`). Dtypes the `.npy` format cannot
describe (bfloat16, the float8/float6/float4 and int4/int2 types of `ml_dtypes`) are stored as
their raw bits in the unsigned integer of the same width; the member `__sonnax_meta__.npy`, a uint8
array of UTF-8 JSON such as `{"format": "sonnax.params", "version": 1, "dtypes":
{"params/mlp/~/linear_0/w": "bfloat16"}}`, records their true dtype so `load` restores them bit for
bit.
"""

import collections.abc
import io
import json
import math
import os
import zipfile
from typing import IO, BinaryIO

import ml_dtypes
import numpy as np
import numpy.typing as npt

from sonnax.convert import _keys, errors
from sonnax.convert._write import atomic, zip64

META_KEY = "__sonnax_meta__"
FORMAT_NAME = "sonnax.params"
FORMAT_VERSION = 1

Tree = collections.abc.Mapping[str, collections.abc.Mapping[str, npt.ArrayLike]]
Arrays = dict[str, dict[str, np.ndarray]]

_CHUNK = 1 << 20  # Bytes per read of a member: its buffer is filled without a full-size copy.


def save(
    path: str | os.PathLike[str],
    params: Tree,
    state: Tree | None = None,
    *,
    overwrite: bool = False,
) -> None:
    """Writes `params` and `state` to a params file, atomically and without pickle.

    Args:
      path: the output `.npz` path.
      params: `{module path: {name: array}}`, e.g. the params of a transformed function.
      state: the same structure for state; `None` for none.
      overwrite: replace an existing file instead of raising `OutputError`.

    Raises:
      OutputError: the file exists (without `overwrite`), cannot be written, or a name is not
        valid Unicode (a lone surrogate); nothing is left.
      UnsupportedError: an array's dtype cannot be stored without pickle (object arrays).
      ValueError: a module path or name cannot be a key (see `entry_key`).

    >>> import os, tempfile, ml_dtypes, numpy as np
    >>> path = os.path.join(tempfile.mkdtemp(), "params.npz")
    >>> w = np.ones((2, 3), ml_dtypes.bfloat16)
    >>> save(path, {"mlp/~/linear_0": {"w": w}}, {"mlp/~/mean_ema": {"counter": np.int32(4)}})
    >>> params, state = load(path)
    >>> params["mlp/~/linear_0"]["w"].dtype, state["mlp/~/mean_ema"]["counter"]
    (dtype(bfloat16), array(4, dtype=int32))
    """
    path = os.fspath(path)
    entries = [
        (_keys.entry_key(collection, module, name), value)
        for collection, tree in zip(_keys.COLLECTIONS, (params, state or {}), strict=True)
        for module, values in tree.items()
        for name, value in values.items()
    ]
    for key, _ in entries:  # Checked before the temporary file exists.
        _check_member_name(path, key)
    arrays = ((key, np.asarray(value)) for key, value in entries)
    write_arrays(path, arrays, overwrite=overwrite)


def write_arrays(
    path: str | os.PathLike[str],
    items: collections.abc.Iterable[tuple[str, np.ndarray]],
    *,
    overwrite: bool = False,
) -> None:
    """Streams `(key, array)` pairs into a params file, one array in memory at a time.

    The file is written under a temporary name in the output's directory, flushed, fsynced and
    renamed over `path`; on any failure (including one raised by `items`) the temporary file is
    removed and `path` is untouched. The file gets the mode of the file it replaces, or else the
    mode `open` would give a new file (0o666 less the umask).

    Args:
      path: the output `.npz` path.
      items: pairs of a key (from `entry_key`) and its array; may be a lazy generator.
      overwrite: replace an existing file instead of raising `OutputError`.

    Raises:
      OutputError: the file exists (without `overwrite`), cannot be written, or a key is not
        valid Unicode.
      UnsupportedError: an array's dtype cannot be stored without pickle.
    """
    path = os.fspath(path)
    atomic.write_file(path, lambda file: _write_zip(file, path, items), overwrite=overwrite)


def _write_zip(
    file: BinaryIO, path: str, items: collections.abc.Iterable[tuple[str, np.ndarray]]
) -> None:
    """Writes every array, then the metadata member and the directory, then syncs to disk."""
    exotic: dict[str, str] = {}
    written: set[str] = set()
    with zip64.ZipWriter(file) as archive:
        # Pulling from `items` stays outside the OSError handlers: the reader's own errors must
        # reach the caller unchanged, not be reported as output problems.
        for key, array in items:
            if key in written:
                raise ValueError(f"{path}: entry {key!r} given twice; each key must be unique")
            written.add(key)
            _check_member_name(path, key)
            stored = _storable(path, key, array)
            if stored.dtype != array.dtype:
                exotic[key] = array.dtype.name
            _write_or_raise(archive, path, key, stored)
            del array, stored  # Hold one tensor at a time, not two, while the next is read.
        meta = {"format": FORMAT_NAME, "version": FORMAT_VERSION, "dtypes": exotic}
        meta_bytes = np.frombuffer(json.dumps(meta, sort_keys=True).encode(), np.uint8)
        _write_or_raise(archive, path, META_KEY, meta_bytes)
        try:
            archive.finish()
            os.fsync(file.fileno())
        except OSError as error:
            raise atomic.output_error(
                path, "cannot finish it and flush it to disk", error
            ) from error


def _write_or_raise(archive: zip64.ZipWriter, path: str, key: str, array: np.ndarray) -> None:
    try:
        _write_member(archive, key, array)
    except OSError as error:
        raise atomic.output_error(path, f"writing entry {key!r} failed", error) from error


def _write_member(archive: zip64.ZipWriter, key: str, array: np.ndarray) -> None:
    """Writes one array as the member `<key>.npy`: its `.npy` header, then its buffer as is.

    Args:
      archive: the archive being written.
      key: the member name without `.npy`.
      array: the array, of a dtype the `.npy` format describes.
    """
    if not array.flags.c_contiguous:
        array = array.copy(order="C")  # `np.ascontiguousarray` would turn 0-d into 1-d.
    header = io.BytesIO()
    np.lib.format.write_array_header_1_0(header, np.lib.format.header_data_from_array_1_0(array))
    archive.add(f"{key}.npy", header.getvalue(), array.reshape(-1).view(np.uint8).data)


def _storable(path: str, key: str, array: np.ndarray) -> np.ndarray:
    """Returns `array`, or a same-width unsigned-integer view of its bits for exotic dtypes."""
    if array.dtype.hasobject:
        raise errors.UnsupportedError(
            f"{path}: entry {key!r} has dtype {array.dtype}, which .npy stores only by pickling; "
            "expected a numeric, bool or fixed-width bytes/str dtype"
        )
    if not _is_exotic(array.dtype):
        return array
    if not array.flags.c_contiguous:
        array = array.copy(order="C")
    return array.view(f"u{array.dtype.itemsize}")


def _is_exotic(dtype: np.dtype) -> bool:
    """Whether `dtype` is an `ml_dtypes` type, which `.npy` headers would record as raw void."""
    return dtype.type.__module__ == "ml_dtypes"


def load(path: str | os.PathLike[str]) -> tuple[Arrays, Arrays]:
    """Reads a params file written by `save` (or `convert`), refusing pickled content.

    Args:
      path: the `.npz` path.

    Returns:
      `(params, state)`, each `{module path: {name: numpy array}}` with the saved dtypes.

    Raises:
      InputNotFoundError: `path` does not exist or cannot be opened or read.
      NotACheckpointError: the file is not a zip archive of params.
      CorruptCheckpointError: a member is malformed; `ChecksumError` if its crc32 is wrong.
      UnsupportedError: a member needs pickle, or the file is from a newer format version.
    """
    path = os.fspath(path)
    trees: tuple[Arrays, Arrays] = ({}, {})
    with _open_archive(path) as archive:
        names = archive.namelist()
        meta = _read_meta(archive, path, names)
        for member in names:
            key = member.removesuffix(".npy")
            if key == META_KEY:
                continue
            collection, module, name = _split_member(path, key)
            array = _read_member(archive, path, key)
            if key in meta:
                array = _restore(path, key, array, meta[key])
            trees[_keys.COLLECTIONS.index(collection)].setdefault(module, {})[name] = array
    return trees


def _open_archive(path: str) -> zipfile.ZipFile:
    try:
        return zipfile.ZipFile(path, "r")
    except FileNotFoundError as error:
        raise errors.InputNotFoundError(f"{path}: no such params file") from error
    except IsADirectoryError as error:
        raise errors.NotACheckpointError(
            f"{path}: is a directory; expected a .npz params file"
        ) from error
    except zipfile.BadZipFile as error:
        raise errors.NotACheckpointError(
            f"{path}: not a zip archive ({error}); expected a .npz params file"
        ) from error
    except OSError as error:
        raise errors.InputNotFoundError(f"{path}: cannot open ({error.strerror})") from error


def _split_member(path: str, key: str) -> tuple[str, str, str]:
    try:
        return _keys.split_key(key)
    except ValueError as error:
        raise errors.NotACheckpointError(
            f"{path}: entry {key!r} is not a params entry; expected "
            "'params/<module path>/<name>' or 'state/<module path>/<name>'"
        ) from error


def _read_member(archive: zipfile.ZipFile, path: str, key: str) -> np.ndarray:
    """Reads one `.npy` member without pickle, mapping failures to ConvertErrors."""
    try:
        info = archive.getinfo(f"{key}.npy")
        with archive.open(info) as member:
            return _read_npy(member, info.file_size, path, key)
    except KeyError as error:
        raise errors.NotACheckpointError(
            f"{path}: entry {key!r} is not a .npy member; expected '{key}.npy'"
        ) from error
    except (zipfile.BadZipFile, EOFError) as error:
        if "CRC" in str(error):
            raise errors.ChecksumError(f"{path}: entry {key!r}: {error}") from error
        raise errors.CorruptCheckpointError(f"{path}: entry {key!r}: {error}") from error
    except ValueError as error:
        raise errors.CorruptCheckpointError(f"{path}: entry {key!r}: {error}") from error
    except OSError as error:
        raise errors.InputNotFoundError(
            f"{path}: entry {key!r} cannot be read: {error.strerror or error}"
        ) from error


def _read_npy(member: IO[bytes], size: int, path: str, key: str) -> np.ndarray:
    """Decodes a `.npy` member of `size` bytes, checking its header against `size` first.

    The header's shape is checked against the bytes that follow it before anything is
    allocated, so a crafted header cannot make `load` allocate more than the file holds.
    """
    version = np.lib.format.read_magic(member)
    if version == (1, 0):
        shape, fortran_order, dtype = np.lib.format.read_array_header_1_0(member)
    elif version == (2, 0):
        shape, fortran_order, dtype = np.lib.format.read_array_header_2_0(member)
    else:
        raise errors.UnsupportedError(
            f"{path}: entry {key!r} is .npy format version {version}; expected 1.0 or 2.0, "
            "the versions numpy writes for numeric arrays"
        )
    if dtype.hasobject:
        raise errors.UnsupportedError(
            f"{path}: entry {key!r} holds pickled objects; params files never need pickle "
            "and sonnax refuses to unpickle (allow_pickle=False)"
        )
    available = size - member.tell()
    needed = math.prod(shape) * dtype.itemsize
    if needed > available:
        raise errors.CorruptCheckpointError(
            f"{path}: entry {key!r}: its .npy header declares shape {shape} of {dtype} "
            f"({needed} bytes), but only {available} bytes follow the header"
        )
    array = np.empty(shape[::-1] if fortran_order else shape, dtype)
    buffer, done = array.reshape(-1).view(np.uint8), 0
    while done < needed:
        chunk = member.read(min(_CHUNK, needed - done))
        if not chunk:
            raise EOFError(f"the member ends {needed - done} bytes before its data does")
        buffer[done : done + len(chunk)] = np.frombuffer(chunk, np.uint8)
        done += len(chunk)
    while member.read(_CHUNK):
        pass  # Reading to the end makes zipfile check the member's crc32.
    return array.transpose() if fortran_order else array


def _read_meta(archive: zipfile.ZipFile, path: str, names: list[str]) -> dict[str, str]:
    """Returns `{key: true dtype name}` from the metadata member; `{}` for a plain npz."""
    if f"{META_KEY}.npy" not in names:
        return {}
    raw = _read_member(archive, path, META_KEY)
    try:
        meta = json.loads(raw.tobytes().decode())
        version, dtypes = meta["version"], meta["dtypes"]
    except (ValueError, KeyError, TypeError) as error:
        raise errors.CorruptCheckpointError(
            f"{path}: entry {META_KEY!r} is not the JSON object sonnax writes ({error!r})"
        ) from error
    if isinstance(version, bool) or not isinstance(version, int):
        raise errors.CorruptCheckpointError(
            f"{path}: entry {META_KEY!r}: 'version' must be an integer, got {json.dumps(version)}"
        )
    if version > FORMAT_VERSION:
        raise errors.UnsupportedError(
            f"{path}: params format version {version!r}; this sonnax reads versions up to "
            f"{FORMAT_VERSION}: upgrade sonnax"
        )
    if not isinstance(dtypes, dict):
        raise errors.CorruptCheckpointError(
            f"{path}: entry {META_KEY!r}: 'dtypes' must map keys to dtype names, got {dtypes!r}"
        )
    return dtypes


def _restore(path: str, key: str, array: np.ndarray, dtype_name: object) -> np.ndarray:
    """Reinterprets stored unsigned-integer bits as their recorded `ml_dtypes` dtype."""
    candidate = getattr(ml_dtypes, str(dtype_name), None)
    dtype = np.dtype(candidate) if isinstance(candidate, type) else None
    if dtype is None or not _is_exotic(dtype) or array.dtype != f"u{dtype.itemsize}":
        raise errors.CorruptCheckpointError(
            f"{path}: entry {key!r} is recorded as dtype {dtype_name!r} but stored as "
            f"{array.dtype}; expected an ml_dtypes name whose width matches the stored bits"
        )
    return array.view(dtype)


def _check_member_name(path: str, key: str) -> None:
    """Checks that `key` can be a zip member's (UTF-8) name."""
    try:
        key.encode()
    except UnicodeEncodeError as error:
        raise errors.OutputError(
            f"{path}: entry {key!r} cannot be stored: character {error.start} is "
            f"{error.object[error.start]!r}, which UTF-8 cannot encode ({error.reason}); "
            "module paths and names must be valid Unicode text"
        ) from None
