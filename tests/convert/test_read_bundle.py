"""Tests for sonnax/convert/_read/bundle.py and strings.py on bad input: data shards, entries,
the header and string tensors."""

import os
import pathlib
import shutil
import struct
import tracemalloc

import numpy as np
import pytest

from sonnax.convert import errors
from sonnax.convert._read import bundle, checkpoint, proto, strings
from tests.convert import bundle_writer, small_bundle


def test_valid_base_bundle_reads(tmp_path):
    with checkpoint.open_checkpoint(small_bundle.write(tmp_path)) as ckpt:
        for key, expected in small_bundle.TENSORS.items():
            np.testing.assert_array_equal(ckpt.read(key), expected)


# --- The data shards. ---


def test_flipped_byte_in_data_is_a_checksum_error_naming_file_and_key(tmp_path):
    prefix = small_bundle.write(tmp_path)
    shard = pathlib.Path(f"{prefix}.data-00000-of-00001")
    data = bytearray(shard.read_bytes())
    data[5] ^= 0x01
    shard.write_bytes(data)
    with checkpoint.open_checkpoint(prefix) as ckpt:
        ckpt.read("b")
        with pytest.raises(
            errors.ChecksumError, match=r"ckpt\.data-00000-of-00001, tensor 'a': crc32c mismatch"
        ):
            ckpt.read("a")


def test_flipped_byte_in_tensorflow_written_shard(tf_fixtures, tmp_path):
    shutil.copytree(tf_fixtures / "sonnet", tmp_path / "sonnet")
    shard = tmp_path / "sonnet" / "ckpt-2.data-00000-of-00001"
    data = bytearray(shard.read_bytes())
    with checkpoint.open_checkpoint(tmp_path / "sonnet") as ckpt:
        info = ckpt.entries()["linear/w/.ATTRIBUTES/VARIABLE_VALUE"]
        offset = ckpt._bundle.entries[info.key].offset
        data[offset + 3] ^= 0x80
        shard.write_bytes(data)
        with pytest.raises(errors.ChecksumError, match=r"tensor 'linear/w/\.ATTRIBUTES/VAR"):
            ckpt.read(info.key)


def test_truncated_data_shard(tmp_path):
    prefix = small_bundle.write(tmp_path)
    shard = pathlib.Path(f"{prefix}.data-00000-of-00001")
    shard.write_bytes(shard.read_bytes()[:30])
    with checkpoint.open_checkpoint(prefix) as ckpt:
        ckpt.read("a")
        with pytest.raises(errors.CorruptCheckpointError, match=r"past the end of the shard \(30"):
            ckpt.read("s")


def test_shard_truncated_after_open(tmp_path):
    prefix = small_bundle.write(tmp_path)
    with checkpoint.open_checkpoint(prefix) as ckpt:
        os.truncate(f"{prefix}.data-00000-of-00001", 26)
        with pytest.raises(
            errors.CorruptCheckpointError, match=r"tensor 'b': the shard ends before byte 48"
        ):
            ckpt.read("b")


def test_shard_removed_after_open(tmp_path):
    prefix = small_bundle.write(tmp_path)
    with checkpoint.open_checkpoint(prefix) as ckpt:
        os.remove(f"{prefix}.data-00000-of-00001")
        with pytest.raises(errors.InputNotFoundError, match=r"tensor 'a': cannot be read: .*No "):
            ckpt.read("a")


def test_missing_data_shard(tmp_path):
    prefix = small_bundle.write(tmp_path)
    os.remove(f"{prefix}.data-00000-of-00001")
    with pytest.raises(errors.InputNotFoundError, match=r"data-00000-of-00001: data shard of"):
        checkpoint.open_checkpoint(prefix)


def test_offset_past_end_of_shard_allocates_nothing(tmp_path):
    prefix = small_bundle.write(
        tmp_path, a={"offset": 2**40, "shape": [2**20, 2**16], "size": 2**38}
    )
    with checkpoint.open_checkpoint(prefix) as ckpt:
        tracemalloc.start()
        try:
            with pytest.raises(errors.CorruptCheckpointError, match=r"tensor 'a': bytes 1099511"):
                ckpt.read("a")
            assert tracemalloc.get_traced_memory()[1] < 2**20
        finally:
            tracemalloc.stop()


def test_size_disagrees_with_shape(tmp_path):
    with checkpoint.open_checkpoint(small_bundle.write(tmp_path, a={"size": 12})) as ckpt:
        with pytest.raises(errors.CorruptCheckpointError, match="size 12 bytes, expected 24"):
            ckpt.read("a")


def test_shard_id_beyond_header(tmp_path):
    with pytest.raises(errors.CorruptCheckpointError, match=r"entry 'a': shard 3, expected < 1"):
        small_bundle.write_and_open(tmp_path, a={"shard_id": 3})


# --- Entries and the header. ---


def test_unknown_dtype_enum(tmp_path):
    with pytest.raises(errors.UnsupportedError, match=r"entry 'a': dtype enum 99 is not a"):
        small_bundle.write_and_open(tmp_path, a={"dtype": 99})


def test_known_dtype_without_numpy_equivalent(tmp_path):
    with small_bundle.write_and_open(tmp_path, b={"dtype": 11}) as ckpt:
        assert ckpt.entries()["b"].dtype is None
        with pytest.raises(errors.UnsupportedError, match=r"entry 'b': DT_QINT8 tensors have no"):
            ckpt.read("b")


@pytest.mark.parametrize(
    "fields, match",
    [
        ({"shape": [-1, 3]}, r"entry 'a': negative shape \(-1, 3\)"),
        ({"offset": -5}, r"entry 'a': negative .*'offset': -5"),
        ({"shape": [1] * 65}, r"entry 'a': expected a known shape of rank <= 64"),
    ],
    ids=["negative_dim", "negative_offset", "rank_65"],
)
def test_invalid_entry_fields(tmp_path, fields, match):
    with pytest.raises(errors.CorruptCheckpointError, match=match):
        small_bundle.write_and_open(tmp_path, a=fields)


def test_unknown_rank(tmp_path):
    rows, data = small_bundle.layout()
    entry = proto.parse(proto.BundleEntryProto, rows[1][1], "")
    entry.shape.unknown_rank = True
    rows[1] = (rows[1][0], entry.SerializeToString())
    with pytest.raises(errors.CorruptCheckpointError, match="expected a known shape"):
        checkpoint.open_checkpoint(small_bundle.write(tmp_path, rows=rows, shards=[data]))


def test_unrepresentable_empty_shape(tmp_path):
    with small_bundle.write_and_open(tmp_path, a={"shape": [2**62, 0], "size": 0}) as ckpt:
        with pytest.raises(errors.CorruptCheckpointError, match="is not representable"):
            ckpt.read("a")


def test_entry_that_does_not_decode(tmp_path):
    rows, data = small_bundle.layout()
    rows[1] = (rows[1][0], b"\x0a\xff\xff")
    with pytest.raises(errors.CorruptCheckpointError, match=r"entry 'a'.*does not decode"):
        checkpoint.open_checkpoint(small_bundle.write(tmp_path, rows=rows, shards=[data]))


def test_key_that_is_not_utf8(tmp_path):
    rows, data = small_bundle.layout()
    rows.append((b"\xff\xfe", rows[1][1]))
    with pytest.raises(errors.CorruptCheckpointError, match=r"key b'\\xff\\xfe' is not UTF-8"):
        checkpoint.open_checkpoint(small_bundle.write(tmp_path, rows=rows, shards=[data]))


def test_missing_header(tmp_path):
    rows, data = small_bundle.layout()
    with pytest.raises(errors.CorruptCheckpointError, match="expected the header entry"):
        checkpoint.open_checkpoint(small_bundle.write(tmp_path, rows=rows[1:], shards=[data]))


@pytest.mark.parametrize("fields", [{"num_shards": 0}, {"endianness": 7}], ids=["shards", "order"])
def test_invalid_header(tmp_path, fields):
    with pytest.raises(errors.CorruptCheckpointError, match=r"ckpt\.index: header has"):
        small_bundle.write_and_open(tmp_path, header=fields)


@pytest.mark.parametrize(
    "version",
    [{"producer": 2, "min_consumer": 2}, {"producer": 1, "bad_consumers": [1]}],
    ids=["min_consumer", "bad_consumer"],
)
def test_newer_bundle_version(tmp_path, version):
    rows, data = small_bundle.layout()
    rows[0] = (b"", proto.BundleHeaderProto(num_shards=1, version=version).SerializeToString())
    with pytest.raises(errors.UnsupportedError, match=r"ckpt\.index: written by a newer bundle"):
        checkpoint.open_checkpoint(small_bundle.write(tmp_path, rows=rows, shards=[data]))


def test_index_that_cannot_be_read(tmp_path):
    (tmp_path / "ckpt.index").mkdir()
    with pytest.raises(errors.InputNotFoundError, match="cannot read the index"):
        bundle.Bundle(str(tmp_path / "ckpt"))


# --- String tensors. ---


def _string_bytes(items: list[bytes]) -> tuple[bytes, int]:
    return bundle_writer.encode_tensor(np.array(items, object), big_endian=False)


def test_string_checksums():
    raw, crc = _string_bytes([b"ab", b"c"])
    np.testing.assert_array_equal(strings.decode(raw, (2,), crc, False, "w"), [b"ab", b"c"])
    with pytest.raises(errors.ChecksumError, match="w: string length crc32c mismatch"):
        strings.decode(raw[:2] + b"\0\0\0\0" + raw[6:], (2,), crc, False, "w")
    corrupt = raw[:-1] + b"d"
    with pytest.raises(errors.ChecksumError, match=r"w: crc32c mismatch: stored"):
        strings.decode(corrupt, (2,), crc, False, "w")


@pytest.mark.parametrize(
    "shape, cut, match",
    [
        ((100,), 0, "100 strings cannot fit in 9 bytes"),
        ((2,), 3, "ends before its checksum"),
        ((2,), 8, "lengths add up to 3 bytes, but 2 follow"),
    ],
    ids=["count", "checksum", "lengths"],
)
def test_malformed_strings(shape, cut, match):
    raw, _ = _string_bytes([b"ab", b"c"])
    raw = raw[:cut] if cut else raw
    # The crc32c TensorFlow would store for these bytes, so only the structure is wrong.
    crc = bundle_writer.masked_crc(struct.pack("<2I", 2, 1) + raw[2:])
    with pytest.raises(errors.CorruptCheckpointError, match=match):
        strings.decode(raw, shape, crc, False, "w")
