"""Tests for sonnax/convert/_read/table.py on bad input: the footer and blocks of an index."""

import pathlib
import struct

import numpy as np
import pytest

from sonnax.convert import errors
from sonnax.convert._read import checkpoint, table
from tests.convert import bundle_writer, small_bundle


def _index(tmp_path: pathlib.Path) -> pathlib.Path:
    return pathlib.Path(f"{small_bundle.write(tmp_path)}.index")


def test_corrupt_magic(tmp_path):
    index = _index(tmp_path)
    index.write_bytes(index.read_bytes()[:-1] + b"\x00")
    with pytest.raises(errors.CorruptCheckpointError, match=r"ckpt\.index: bad table magic"):
        checkpoint.open_checkpoint(index)


def test_truncated_index(tmp_path):
    index = _index(tmp_path)
    index.write_bytes(index.read_bytes()[:40])
    with pytest.raises(errors.CorruptCheckpointError, match="at least a 48-byte table footer"):
        checkpoint.open_checkpoint(index)


def test_corrupt_footer_handle(tmp_path):
    index = _index(tmp_path)
    data = bytearray(index.read_bytes())
    footer = len(data) - table.FOOTER_SIZE
    data[footer : footer + 40] = (bytes(3) + bundle_writer.varint(2**40)).ljust(40, b"\0")
    index.write_bytes(data)
    with pytest.raises(
        errors.CorruptCheckpointError, match="index block at byte 0.*past the footer"
    ):
        checkpoint.open_checkpoint(index)


def test_footer_handle_varint_runs_into_magic(tmp_path):
    index = _index(tmp_path)
    data = bytearray(index.read_bytes())
    data[-table.FOOTER_SIZE : -8] = b"\xff" * 40
    index.write_bytes(data)
    with pytest.raises(errors.CorruptCheckpointError, match="table footer at byte .*varint"):
        checkpoint.open_checkpoint(index)


def test_corrupt_index_block_is_a_checksum_error(tmp_path):
    index = _index(tmp_path)
    data = bytearray(index.read_bytes())
    _, handle = table.read_footer(bytes(data), "x")
    data[handle.offset + 1] ^= 0x40
    index.write_bytes(data)
    with pytest.raises(errors.ChecksumError, match=r"index block at byte \d+: block crc32c"):
        checkpoint.open_checkpoint(index)


def test_corrupt_data_block_is_a_checksum_error(tmp_path):
    index = _index(tmp_path)
    data = bytearray(index.read_bytes())
    data[3] ^= 0x01
    index.write_bytes(data)
    with pytest.raises(errors.ChecksumError, match=r"data block 0 at byte 0: block crc32c"):
        checkpoint.open_checkpoint(index)


def _block_file(contents: bytes, kind: int = 0) -> bytes:
    """A table whose index block is `contents`, stored with compression `kind`."""
    trailer = bytes([kind]) + struct.pack("<I", bundle_writer.masked_crc(contents + bytes([kind])))
    handle = bundle_writer.varint(0) + bundle_writer.varint(len(contents))
    footer = (handle + handle).ljust(40, b"\0") + struct.pack("<Q", table.MAGIC)
    return contents + trailer + footer


@pytest.mark.parametrize(
    "contents, kind, match",
    [
        (b"abc", 0, "block of 3 bytes has no restarts"),
        (struct.pack("<I", 0), 0, "0 restart points do not fit"),
        (struct.pack("<I", 9), 0, "9 restart points do not fit"),
        (b"\x00\x05\x01ab" + struct.pack("<II", 0, 1), 0, r"runs past the entries"),
        (b"\x00\xff" + struct.pack("<II", 0, 1), 0, "varint truncated"),
        (b"\x00\x80\x80\x80\x80\x80" + struct.pack("<II", 0, 1), 0, "longer than 32 bits"),
        (b"\x00\xff\xff\xff\xff\x7f" + struct.pack("<II", 0, 1), 0, "exceeds 32 bits"),
        (b"\x00\x01\x00a" + struct.pack("<II", 0, 1), 2, "unknown block compression type 2"),
        (b"\xff\xff\x03abc", 1, r"snappy header claims 65535 bytes from 6"),
        (b"\x10\x00abc", 1, "snappy block does not decompress"),
    ],
    ids=[
        "short",
        "no_restarts",
        "too_many_restarts",
        "entry_overrun",
        "varint_truncated",
        "varint_too_long",
        "varint_too_big",
        "compression",
        "snappy_bomb",
        "snappy_garbage",
    ],
)
def test_malformed_blocks(tmp_path, contents, kind, match):
    path = tmp_path / "x.index"
    path.write_bytes(_block_file(contents, kind))
    with pytest.raises(errors.CorruptCheckpointError, match=match):
        table.read_table(path.read_bytes(), str(path))


def test_unsorted_keys(tmp_path):
    rows, data = small_bundle.layout()
    rows[1], rows[2] = rows[2], rows[1]
    with pytest.raises(errors.CorruptCheckpointError, match=r"key b'a' is not after .*b'b'"):
        checkpoint.open_checkpoint(small_bundle.write(tmp_path, rows=rows, shards=[data]))


def test_snappy_index_with_many_blocks_reads(tmp_path):
    prefix = str(tmp_path / "ckpt")
    rows, data = small_bundle.layout()
    bundle_writer.write_files(prefix, rows, [data], snappy=True, block_size=1)
    with checkpoint.open_checkpoint(prefix) as ckpt:
        np.testing.assert_array_equal(ckpt.read("b"), small_bundle.TENSORS["b"])
