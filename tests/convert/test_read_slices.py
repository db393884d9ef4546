"""Tests for sonnax/convert/_read/slices.py: partitioned variables, good and bad."""

import pathlib

import numpy as np
import pytest

from sonnax.convert import errors
from sonnax.convert._read import checkpoint, proto, slices
from tests.convert import bundle_writer


def _sliced(
    tmp_path: pathlib.Path,
    extents: list,
    dtype: int = 1,
    add_parts: bool = True,
    same_bytes: bool = False,
    shape: tuple[int, int] = (4, 2),
) -> str:
    """A float32 variable `v` saved in the given slices, each slice's data all ones;
    `same_bytes` points every slice entry at the first slice's bytes."""
    rows, data = [], bytearray()
    full = proto.BundleEntryProto(dtype=dtype)
    for size in shape:
        full.shape.dim.add(size=size)
    for slice_extents in extents:
        message = full.slices.add()
        sizes = []
        for (start, length), dim in zip(slice_extents, shape, strict=False):
            extent = message.extent.add(start=start)
            if length != -1:
                extent.length = length
            sizes.append(dim if length == -1 else length)
        raw, crc = bundle_writer.encode_tensor(np.ones(sizes, np.float32), False)
        offset = 0 if same_bytes else len(data)
        part = proto.BundleEntryProto(dtype=1, offset=offset, size=len(raw), crc32c=crc)
        for size in sizes:
            part.shape.dim.add(size=size)
        if add_parts:
            rows.append((slices.slice_key("v", tuple(slice_extents)), part.SerializeToString()))
        data += b"" if same_bytes and data else raw
    rows.append((b"v", full.SerializeToString()))
    header = proto.BundleHeaderProto(num_shards=1).SerializeToString()
    prefix = str(tmp_path / "ckpt")
    bundle_writer.write_files(prefix, sorted([(b"", header), *rows]), [bytes(data)])
    return prefix


def test_slices_reassemble(tmp_path):
    prefix = _sliced(tmp_path, [[(0, 1), (0, -1)], [(1, 3), (0, 1)], [(1, 3), (1, 1)]])
    with checkpoint.open_checkpoint(prefix) as ckpt:
        assert list(ckpt.entries()) == ["v"]
        np.testing.assert_array_equal(ckpt.read("v"), np.ones((4, 2), np.float32))


@pytest.mark.parametrize(
    "extents, match",
    [
        ([[(0, 2), (0, -1)]], r"entry 'v': its 1 slices hold 4 elements, expected 8"),
        ([[(0, 3), (0, -1)], [(1, 1), (0, -1)]], "overlap"),
        ([[(0, 5), (0, -1)]], r"slice extent \(start 0, length 5\) is outside"),
        ([[(0, -1)]], "slice of rank 1, expected rank 2"),
    ],
    ids=["gap", "overlap", "outside", "rank"],
)
def test_bad_slices(tmp_path, extents, match):
    with checkpoint.open_checkpoint(_sliced(tmp_path, extents)) as ckpt:
        with pytest.raises(errors.CorruptCheckpointError, match=match):
            ckpt.read("v")


def test_many_slices(tmp_path):
    rows = [[(row, 1), (0, -1)] for row in range(100)]
    with checkpoint.open_checkpoint(_sliced(tmp_path, rows, shape=(100, 2))) as ckpt:
        np.testing.assert_array_equal(ckpt.read("v"), np.ones((100, 2), np.float32))


def test_many_slices_overlapping(tmp_path):
    rows = [[(row, 1), (0, -1)] for row in range(64)] + [[(63, 2), (0, -1)]]
    with checkpoint.open_checkpoint(_sliced(tmp_path, rows, shape=(66, 2))) as ckpt:
        with pytest.raises(errors.CorruptCheckpointError, match=r"slice .*63, 65.* overlaps"):
            ckpt.read("v")


def test_missing_slice_entry(tmp_path):
    prefix = _sliced(tmp_path, [[(0, -1), (0, -1)]], add_parts=False)
    with checkpoint.open_checkpoint(prefix) as ckpt:
        with pytest.raises(errors.CorruptCheckpointError, match="expected a slice entry"):
            ckpt.read("v")


def test_sliced_strings_unsupported(tmp_path):
    with checkpoint.open_checkpoint(_sliced(tmp_path, [[(0, -1), (0, -1)]], dtype=7)) as ckpt:
        with pytest.raises(errors.UnsupportedError, match="partitioned tensors of dtype enum 7"):
            ckpt.read("v")


def test_slices_sharing_bytes(tmp_path):
    extents = [[(row, 1), (0, -1)] for row in range(4)]
    with checkpoint.open_checkpoint(_sliced(tmp_path, extents, same_bytes=True)) as ckpt:
        with pytest.raises(
            errors.CorruptCheckpointError, match="use 32 bytes of shard 0, which holds 8"
        ):
            ckpt.read("v")
