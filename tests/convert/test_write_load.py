"""Tests for `load` in sonnax/convert/_write/npz.py: bad, foreign and hostile params files end
in the reader's own errors, without pickle and without allocating what the file does not hold."""

import errno
import io
import json
import os
import tracemalloc
import zipfile

import numpy as np
import pytest

from sonnax.convert import errors
from sonnax.convert._write import npz


def test_pickled_content_is_refused_on_load(tmp_path):
    np.savez(tmp_path / "p.npz", **{"params/m/w": np.array([{"evil": 1}], dtype=object)})
    with pytest.raises(errors.UnsupportedError, match=r"'params/m/w' holds pickled objects"):
        npz.load(tmp_path / "p.npz")


def test_a_plain_npz_with_params_keys_loads(tmp_path):
    np.savez(tmp_path / "p.npz", **{"params/m/w": np.arange(3), "state/m/s": np.ones(1)})
    params, state = npz.load(tmp_path / "p.npz")
    np.testing.assert_array_equal(params["m"]["w"], np.arange(3))
    np.testing.assert_array_equal(state["m"]["s"], np.ones(1))


def test_load_of_a_missing_file_is_input_not_found(tmp_path):
    with pytest.raises(errors.InputNotFoundError, match=r"nope\.npz: no such params file"):
        npz.load(tmp_path / "nope.npz")


def test_load_of_a_directory_is_not_a_checkpoint(tmp_path):
    with pytest.raises(errors.NotACheckpointError, match="is a directory; expected a .npz"):
        npz.load(tmp_path)


def test_load_of_a_non_zip_is_not_a_checkpoint(tmp_path):
    (tmp_path / "p.npz").write_bytes(b"not a zip at all")
    with pytest.raises(errors.NotACheckpointError, match="not a zip archive"):
        npz.load(tmp_path / "p.npz")


def test_load_of_foreign_keys_is_not_a_checkpoint(tmp_path):
    np.savez(tmp_path / "p.npz", weights=np.zeros(2))
    with pytest.raises(errors.NotACheckpointError, match="entry 'weights' is not a params entry"):
        npz.load(tmp_path / "p.npz")


def test_load_of_a_non_npy_member_is_not_a_checkpoint(tmp_path):
    with zipfile.ZipFile(tmp_path / "p.npz", "w") as archive:
        archive.writestr("params/m/w.txt", "hello")
    with pytest.raises(errors.NotACheckpointError, match=r"is not a .npy member"):
        npz.load(tmp_path / "p.npz")


def test_a_flipped_data_byte_is_a_checksum_error(tmp_path):
    npz.save(tmp_path / "p.npz", {"m": {"w": np.zeros(1000, np.float32)}})
    data = bytearray((tmp_path / "p.npz").read_bytes())
    data[data.index(b"\0" * 4000) + 2000] ^= 0xFF
    (tmp_path / "p.npz").write_bytes(bytes(data))
    with pytest.raises(errors.ChecksumError, match=r"entry 'params/m/w': Bad CRC-32"):
        npz.load(tmp_path / "p.npz")


def test_a_malformed_npy_header_is_corrupt(tmp_path):
    with zipfile.ZipFile(tmp_path / "p.npz", "w") as archive:
        archive.writestr("params/m/w.npy", b"\x93NUMPY\x01\x00garbage")
    with pytest.raises(errors.CorruptCheckpointError, match="entry 'params/m/w'"):
        npz.load(tmp_path / "p.npz")


def _write_meta(path, meta: bytes, **arrays) -> None:
    np.savez(path, **{npz.META_KEY: np.frombuffer(meta, np.uint8)}, **arrays)


def test_a_newer_format_version_is_unsupported(tmp_path):
    _write_meta(tmp_path / "p.npz", json.dumps({"version": 2, "dtypes": {}}).encode())
    with pytest.raises(errors.UnsupportedError, match="params format version 2; .* upgrade"):
        npz.load(tmp_path / "p.npz")


@pytest.mark.parametrize("meta", [b"{not json", b"[]", b'{"version": 1}'])
def test_unreadable_metadata_is_corrupt(tmp_path, meta):
    _write_meta(tmp_path / "p.npz", meta)
    with pytest.raises(errors.CorruptCheckpointError, match="is not the JSON object sonnax"):
        npz.load(tmp_path / "p.npz")


def test_metadata_dtypes_must_be_a_mapping(tmp_path):
    _write_meta(tmp_path / "p.npz", b'{"version": 1, "dtypes": ["bfloat16"]}')
    with pytest.raises(errors.CorruptCheckpointError, match="'dtypes' must map keys to dtype"):
        npz.load(tmp_path / "p.npz")


@pytest.mark.parametrize(
    "dtype_name, stored",
    [("bfloat16", np.uint8), ("float32", np.uint32), ("finfo", np.uint8), ("object", np.uint8)],
)
def test_a_recorded_dtype_that_does_not_fit_the_bits_is_corrupt(tmp_path, dtype_name, stored):
    meta = json.dumps({"version": 1, "dtypes": {"params/m/w": dtype_name}}).encode()
    _write_meta(tmp_path / "p.npz", meta, **{"params/m/w": np.zeros(2, stored)})
    with pytest.raises(errors.CorruptCheckpointError, match=f"recorded as dtype '{dtype_name}'"):
        npz.load(tmp_path / "p.npz")


def test_load_through_a_file_is_input_not_found(tmp_path):
    (tmp_path / "file").write_text("")
    with pytest.raises(errors.InputNotFoundError, match=r"p\.npz: cannot open \(Not a directory\)"):
        npz.load(tmp_path / "file" / "p.npz")


def test_a_broken_member_header_is_corrupt(tmp_path):
    npz.save(tmp_path / "p.npz", {"m": {"w": np.zeros(3)}})
    data = bytearray((tmp_path / "p.npz").read_bytes())
    data[0:4] = b"XXXX"  # The first member's local-header signature.
    (tmp_path / "p.npz").write_bytes(bytes(data))
    with pytest.raises(errors.CorruptCheckpointError, match="entry 'params/m/w': Bad magic number"):
        npz.load(tmp_path / "p.npz")


def test_an_io_error_while_reading_is_unreadable_input(tmp_path, monkeypatch):
    npz.save(tmp_path / "p.npz", {"m": {"w": np.zeros(3)}})

    def failing_open(*args, **kwargs):
        raise OSError(errno.EIO, os.strerror(errno.EIO))

    monkeypatch.setattr(zipfile.ZipFile, "open", failing_open)
    with pytest.raises(
        errors.InputNotFoundError,
        match="entry '__sonnax_meta__' cannot be read: Input/output error",
    ):
        npz.load(tmp_path / "p.npz")


def _npy_header(shape: tuple[int, ...], dtype: str = "<f4") -> bytes:
    header = io.BytesIO()
    fields = {"descr": dtype, "fortran_order": False, "shape": shape}
    np.lib.format.write_array_header_1_0(header, fields)
    return header.getvalue()


def test_a_header_claiming_more_than_the_member_holds_allocates_nothing(tmp_path):
    with zipfile.ZipFile(tmp_path / "p.npz", "w") as archive:
        archive.writestr("params/m/w.npy", _npy_header((2**40,)) + bytes(16))
    tracemalloc.start()
    try:
        with pytest.raises(
            errors.CorruptCheckpointError,
            match=r"p\.npz: entry 'params/m/w': its \.npy header declares shape \(1099511627776,\) "
            r"of float32 \(4398046511104 bytes\), but only 16 bytes follow the header",
        ):
            npz.load(tmp_path / "p.npz")
        assert tracemalloc.get_traced_memory()[1] < 2**20
    finally:
        tracemalloc.stop()


def test_a_member_that_ends_before_its_recorded_size_is_corrupt(tmp_path):
    data = _npy_header((6,)) + np.arange(4, dtype=np.float32).tobytes()
    with zipfile.ZipFile(tmp_path / "p.npz", "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("params/m/w.npy", data)
    raw = bytearray((tmp_path / "p.npz").read_bytes())
    central = raw.index(b"PK\x01\x02")
    raw[central + 24 : central + 28] = (len(data) + 8).to_bytes(4, "little")  # Uncompressed size.
    (tmp_path / "p.npz").write_bytes(bytes(raw))
    with pytest.raises(
        errors.CorruptCheckpointError,
        match=r"entry 'params/m/w': the member ends 8 bytes before its data does",
    ):
        npz.load(tmp_path / "p.npz")


def test_npy_format_version_3_is_unsupported(tmp_path):
    with zipfile.ZipFile(tmp_path / "p.npz", "w") as archive:
        archive.writestr("params/m/w.npy", b"\x93NUMPY\x03\x00" + bytes(8))
    with pytest.raises(
        errors.UnsupportedError, match=r"entry 'params/m/w' is \.npy format version \(3, 0\)"
    ):
        npz.load(tmp_path / "p.npz")


def test_fortran_order_and_version_2_members_load(tmp_path):
    array = np.asfortranarray(np.arange(12.0).reshape(3, 4))
    np.savez(tmp_path / "p.npz", **{"params/m/f": array})
    with zipfile.ZipFile(tmp_path / "p.npz", "a") as archive:
        member = io.BytesIO()
        np.lib.format.write_array(member, np.arange(5, dtype=np.int16), version=(2, 0))
        archive.writestr("params/m/v2.npy", member.getvalue())
    params, _ = npz.load(tmp_path / "p.npz")
    np.testing.assert_array_equal(params["m"]["f"], array)
    np.testing.assert_array_equal(params["m"]["v2"], np.arange(5, dtype=np.int16))


@pytest.mark.parametrize("version", ["true", '"1"', "1.0", "null"])
def test_the_format_version_must_be_an_integer(tmp_path, version):
    _write_meta(tmp_path / "p.npz", f'{{"version": {version}, "dtypes": {{}}}}'.encode())
    with pytest.raises(
        errors.CorruptCheckpointError, match=f"'version' must be an integer, got {version}"
    ):
        npz.load(tmp_path / "p.npz")
