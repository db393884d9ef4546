"""What `restore` reads from: a checkpoint, a params file or a loaded tree, a slice at a time.

Each source lists its entries as `{(collection, module, name): (shape, dtype)}` without reading
any data, and reads one entry whole (checksums verified) or one slice of it. A slice of a
checkpoint tensor or of a stored params-file member is read through a memory map of its bytes,
so only the pages that slice covers are read; other entries (compressed members, partitioned
or string tensors) are read whole on the host, then sliced.
"""

import collections.abc
import json
import os
import zipfile
from typing import Any

import ml_dtypes
import numpy as np

from sonnax.convert import _keys
from sonnax.convert._mapping import names
from sonnax.convert._mapping import rename as renames
from sonnax.convert._read import bundle
from sonnax.convert._read import checkpoint as checkpoint_lib
from sonnax.convert._write import npz

Key = tuple[str, str, str]  # (collection, module path, name)
Index = tuple[slice, ...] | None  # None: the whole array.
_LOCAL_HEADER = 30  # Bytes of a zip local file header before its name and extra field.


class Source:
    """Entries to restore from; `read` returns a host array of the entry (or of one slice)."""

    description: str
    entries: dict[Key, tuple[tuple[int, ...], np.dtype]]

    def read(self, key: Key, index: Index) -> np.ndarray:
        raise NotImplementedError

    def close(self) -> None:
        """Releases open files; reading after it is not supported."""


def describe(key: Key) -> str:
    """`params['mlp/~/linear_0']['w']`, as the error messages name an entry."""
    collection, module, name = key
    return f"{collection}[{module!r}][{name!r}]"


class TreeSource(Source):
    """Arrays already in memory: `(params, state)`, or params alone."""

    def __init__(self, params: Any, state: Any):
        self.description = "the given tree"
        self.arrays = {
            (collection, module, name): value
            for collection, tree in (("params", params), ("state", state or {}))
            for module, values in tree.items()
            for name, value in values.items()
        }
        self.entries = {
            key: (tuple(np.shape(value)), np.dtype(value.dtype))
            for key, value in self.arrays.items()
        }

    def read(self, key: Key, index: Index) -> np.ndarray:
        value = self.arrays[key]
        return np.asarray(value if index is None else value[index])


class NpzSource(Source):
    """A params file; stored (uncompressed) members are memory-mapped."""

    def __init__(self, path: str):
        self.description = f"the params file {path!r}"
        self._path = path
        self._whole: dict[Key, np.ndarray] | None = None
        self._maps: dict[Key, tuple[int, tuple[int, ...], np.dtype]] = {}
        try:
            self._maps = _npz_members(path)
        except (OSError, ValueError, KeyError, zipfile.BadZipFile):
            self._maps = {}  # Unusual or damaged: `npz.load` reads it and reports any fault.
        if not self._maps:
            params, state = npz.load(path)
            tree = TreeSource(params, state)
            self._whole, self.entries = tree.arrays, tree.entries
        else:
            self.entries = {key: (shape, dtype) for key, (_, shape, dtype) in self._maps.items()}

    def read(self, key: Key, index: Index) -> np.ndarray:
        if self._whole is not None:
            value = self._whole[key]
            return value if index is None else value[index]
        offset, shape, dtype = self._maps[key]
        return _mapped(self._path, offset, shape, dtype, index)


def _mapped(
    path: str, offset: int, shape: tuple[int, ...], dtype: np.dtype, index: Index
) -> np.ndarray:
    """Reads `index` of a C-order array stored at `offset` of a file, through a memory map."""
    if 0 in shape or not shape:
        with open(path, "rb") as file:
            file.seek(offset)
            data = file.read(int(np.prod(shape)) * dtype.itemsize)
        whole = np.frombuffer(data, dtype).reshape(shape).copy()
        return whole if index is None else whole[index]
    mapped = np.memmap(path, dtype=dtype, mode="r", offset=offset, shape=shape)
    try:
        return np.array(mapped if index is None else mapped[index])
    finally:
        del mapped


def _npz_members(path: str) -> dict[Key, tuple[int, tuple[int, ...], np.dtype]]:
    """Data offset, shape and dtype of every member, or `{}` if any is not memory-mappable."""
    found = {}
    with zipfile.ZipFile(path) as archive, open(path, "rb") as file:
        members = archive.infolist()
        exotic = _exotic_dtypes(archive)
        for info in members:
            key = info.filename.removesuffix(".npy")
            if key == npz.META_KEY:
                continue
            if info.compress_type != zipfile.ZIP_STORED:
                return {}
            file.seek(info.header_offset)
            local = file.read(_LOCAL_HEADER)
            start = info.header_offset + _LOCAL_HEADER
            start += int.from_bytes(local[26:28], "little") + int.from_bytes(local[28:30], "little")
            file.seek(start)
            version = np.lib.format.read_magic(file)
            if version == (1, 0):
                shape, fortran, dtype = np.lib.format.read_array_header_1_0(file)
            else:
                shape, fortran, dtype = np.lib.format.read_array_header_2_0(file)
            if fortran or dtype.hasobject:
                return {}
            if key in exotic:
                dtype = np.dtype(getattr(ml_dtypes, exotic[key]))
            found[_keys.split_key(key)] = (file.tell(), tuple(shape), dtype)
    return found


def _exotic_dtypes(archive: zipfile.ZipFile) -> dict[str, str]:
    name = f"{npz.META_KEY}.npy"
    if name not in archive.namelist():
        return {}
    with archive.open(name) as member:
        raw = np.lib.format.read_array(member, allow_pickle=False)
    dtypes = json.loads(raw.tobytes().decode())["dtypes"]
    return {key: str(dtype) for key, dtype in dtypes.items()}


class CheckpointSource(Source):
    """A TF checkpoint or SavedModel, placed by the name rule (after `rename`)."""

    def __init__(self, path: str | os.PathLike[str], rules: renames.Rules | None):
        self._checkpoint = checkpoint_lib.open_checkpoint(path)
        self.description = f"the checkpoint {self._checkpoint.path!r}"
        try:
            entries = renames.rename_entries(self._checkpoint.entries(), rules)
            placed = names.plan(entries, names.Selection())
            self._bundle = bundle.Bundle(self._checkpoint.path)
        except BaseException:
            self._checkpoint.close()
            raise
        self._placements = {(p.collection, p.module, p.name): p.info for p in placed.placements}
        self.entries = {
            key: (info.shape, info.dtype)
            for key, info in self._placements.items()
            if info.dtype is not None
        }

    def read(self, key: Key, index: Index) -> np.ndarray:
        info = self._placements[key]
        entry = self._bundle.entries[info.key]
        dtype = info.dtype
        if index is None or entry.slices or self._bundle.big_endian or dtype is None:
            whole = self._checkpoint.read(info.key)
            return whole if index is None else whole[index]
        path = bundle.data_path(self._checkpoint.path, entry.shard_id, self._bundle.num_shards)
        return _mapped(path, entry.offset, info.shape, dtype, index)

    def close(self) -> None:
        self._bundle.close()
        self._checkpoint.close()


def open_source(source: Any, rules: renames.Rules | None) -> Source:
    """A `Source` for a path (params file or checkpoint) or a loaded tree.

    Args:
      source: a `.npz` params file, a checkpoint path, `(params, state)`, or (for a model
        without state) a params mapping.
      rules: rename rules, for a checkpoint.

    Returns:
      The source; close it when done.

    Raises:
      TypeError: `source` is none of these.
      ConvertError: the file cannot be read (see `open_checkpoint` and `load`).
    """
    if isinstance(source, str | os.PathLike):
        path = os.fspath(source)
        if os.path.isfile(path) and zipfile.is_zipfile(path):
            return NpzSource(path)
        return CheckpointSource(path, rules)
    if isinstance(source, collections.abc.Mapping):
        return TreeSource(source, {})
    if isinstance(source, tuple | list) and len(source) == 2:
        return TreeSource(*source)
    raise TypeError(
        f"restore: expected a path, a (params, state) pair or a params mapping, got "
        f"{type(source).__name__}"
    )
