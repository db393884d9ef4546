"""A small valid tensor bundle, written without TensorFlow, for the bad-input tests to break."""

import pathlib

import numpy as np

from sonnax.convert._read import checkpoint, proto
from tests.convert import bundle_writer

ENUMS = {"float32": 1, "int64": 9, "object": 7}
TENSORS = {
    "a": np.arange(6, dtype=np.float32).reshape(2, 3),
    "b": np.array([5, -6, 7], np.int64),
    "s": np.array([b"x", b"yz"], object),
}


def _replace(message, fields: dict) -> None:
    for name, value in fields.items():
        if name == "shape":
            del message.shape.dim[:]
            for size in value:
                message.shape.dim.add(size=size)
        else:
            setattr(message, name, value)


def layout(**overrides: dict) -> tuple[list[tuple[bytes, bytes]], bytes]:
    """The index rows and data of the bundle, with fields of some entries replaced.

    Args:
        **overrides: Per key (`a`, `b`, `s`, or `header`), the fields to set, e.g.
            `a={"offset": 2**40}`; `shape` takes a list of sizes.
    """
    rows, data = bundle_writer.bundle_rows(
        TENSORS, proto.BundleEntryProto, proto.BundleHeaderProto, lambda a: ENUMS[a.dtype.name]
    )
    result = []
    for key, value in rows:
        fields = overrides.get(key.decode() or "header")
        if fields is not None:
            message_class = proto.BundleEntryProto if key else proto.BundleHeaderProto
            message = proto.parse(message_class, value, "")
            _replace(message, fields)
            value = message.SerializeToString()
        result.append((key, value))
    return result, data


def write(
    tmp_path: pathlib.Path,
    rows: list[tuple[bytes, bytes]] | None = None,
    shards: list[bytes] | None = None,
    **overrides: dict,
) -> str:
    """Writes the bundle (or the given rows and shards) at `tmp_path/ckpt`; returns the prefix."""
    prefix = str(tmp_path / "ckpt")
    base_rows, data = layout(**overrides)
    bundle_writer.write_files(prefix, rows or base_rows, shards or [data])
    return prefix


def write_and_open(tmp_path: pathlib.Path, **overrides: dict) -> checkpoint.Checkpoint:
    return checkpoint.open_checkpoint(write(tmp_path, **overrides))
