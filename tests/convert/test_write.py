"""Tests for sonnax/convert/_write/npz.py: the params file format, atomic writes, safe loads."""

import errno
import json
import os
import weakref
import zipfile
import zlib

import ml_dtypes
import numpy as np
import pytest

from sonnax.convert import errors
from sonnax.convert._write import npz, zip64

NUMPY_DTYPES = [
    "bool",
    "int8",
    "int16",
    "int32",
    "int64",
    "uint8",
    "uint16",
    "uint32",
    "uint64",
    "float16",
    "float32",
    "float64",
    "complex64",
    "complex128",
    "S7",
    "U3",
]
ML_DTYPES = sorted(
    name
    for name in dir(ml_dtypes)
    if isinstance(getattr(ml_dtypes, name), type)
    and np.dtype(getattr(ml_dtypes, name)).type.__module__ == "ml_dtypes"
)


def _random(dtype: np.dtype, shape: tuple[int, ...], seed: int = 0) -> np.ndarray:
    """Random bits of `dtype` (every bit pattern, NaNs included: the round trip must be exact)."""
    rng = np.random.default_rng(seed)
    count = int(np.prod(shape))
    if dtype.kind == "b":
        return rng.integers(0, 2, shape).astype(bool)
    if dtype.kind == "U":
        return np.array(["ab", "~/", "xyz"] * count, dtype)[:count].reshape(shape)
    return np.frombuffer(rng.bytes(count * dtype.itemsize), dtype).reshape(shape).copy()


def _same_bits(a: np.ndarray, b: np.ndarray) -> bool:
    return a.dtype == b.dtype and a.shape == b.shape and a.tobytes() == b.tobytes()


@pytest.mark.parametrize("dtype_name", NUMPY_DTYPES + ML_DTYPES)
@pytest.mark.parametrize("shape", [(), (0,), (3,), (2, 3, 4)], ids=["scalar", "empty", "1d", "3d"])
def test_round_trip_is_bit_exact_for_every_dtype(tmp_path, dtype_name, shape):
    dtype = np.dtype(getattr(ml_dtypes, dtype_name, dtype_name))
    params = {"mlp/~/linear_0": {"w": _random(dtype, shape)}}
    state = {"batch_norm/~/mean_ema": {"average": _random(dtype, shape, seed=1)}}
    npz.save(tmp_path / "p.npz", params, state)
    loaded_params, loaded_state = npz.load(tmp_path / "p.npz")
    assert _same_bits(loaded_params["mlp/~/linear_0"]["w"], params["mlp/~/linear_0"]["w"])
    loaded = loaded_state["batch_norm/~/mean_ema"]["average"]
    assert _same_bits(loaded, state["batch_norm/~/mean_ema"]["average"])


def test_ml_dtypes_are_stored_as_unsigned_bits_with_their_dtype_in_the_metadata(tmp_path):
    npz.save(tmp_path / "p.npz", {"m": {"w": np.ones(3, ml_dtypes.bfloat16)}})
    with np.load(tmp_path / "p.npz", allow_pickle=False) as raw:
        assert raw["params/m/w"].dtype == np.uint16
        meta = json.loads(raw[npz.META_KEY].tobytes())
    assert meta == {
        "format": "sonnax.params",
        "version": 1,
        "dtypes": {"params/m/w": "bfloat16"},
    }


@pytest.mark.parametrize(
    "module", ["~", "mlp/~/linear_0", "encoder/~/mlp/~/linear_1", "a/b~c/~/d", "dotted.name"]
)
def test_module_paths_with_slashes_and_tildes_round_trip(tmp_path, module):
    npz.save(tmp_path / "p.npz", {module: {"w": np.arange(3.0), "b": np.zeros(2)}})
    params, state = npz.load(tmp_path / "p.npz")
    assert list(params) == [module]
    assert sorted(params[module]) == ["b", "w"]
    assert state == {}


def test_the_name_is_what_follows_the_last_slash():
    key = npz.entry_key("state", "mlp/~/linear_0", "w")
    assert key == "state/mlp/~/linear_0/w"
    assert npz.split_key(key) == ("state", "mlp/~/linear_0", "w")


@pytest.mark.parametrize(
    "collection, module, name",
    [("params", "", "w"), ("params", "m", ""), ("params", "m", "a/b"), ("params", "m\0", "w")],
)
def test_entry_key_rejects_unsplittable_entries(collection, module, name):
    with pytest.raises(ValueError, match="the module path must be non-empty"):
        npz.entry_key(collection, module, name)


def test_entry_key_rejects_unknown_collections():
    with pytest.raises(ValueError, match=r"collection must be one of \('params', 'state'\)"):
        npz.entry_key("opt_state", "m", "w")


@pytest.mark.parametrize("key", ["params/w", "other/m/w", "params//"])
def test_split_key_rejects_keys_without_collection_module_and_name(key):
    with pytest.raises(ValueError, match="is not of the form"):
        npz.split_key(key)


def test_same_input_gives_identical_bytes(tmp_path):
    params = {"m": {"w": np.arange(6.0).reshape(2, 3)}}
    npz.save(tmp_path / "a.npz", params)
    npz.save(tmp_path / "b.npz", params)
    assert (tmp_path / "a.npz").read_bytes() == (tmp_path / "b.npz").read_bytes()


def test_non_contiguous_arrays_are_written_in_c_order(tmp_path):
    array = np.arange(12.0).reshape(3, 4)
    npz.save(tmp_path / "p.npz", {"m": {"t": array.T, "s": array[:, ::2]}})
    params, _ = npz.load(tmp_path / "p.npz")
    np.testing.assert_array_equal(params["m"]["t"], array.T)
    np.testing.assert_array_equal(params["m"]["s"], array[:, ::2])


def test_arrays_are_streamed_one_at_a_time(tmp_path):
    alive = []

    def items():
        for index in range(4):
            # The writer must have dropped every earlier array before it asks for the next.
            assert all(ref() is None for ref in alive)
            array = np.full(1000, index, np.float32)
            alive.append(weakref.ref(array))
            yield f"params/m/a{index}", array
            del array

    npz.write_arrays(tmp_path / "p.npz", items())
    params, _ = npz.load(tmp_path / "p.npz")
    assert [params["m"][f"a{i}"][0] for i in range(4)] == [0, 1, 2, 3]


def test_a_key_given_twice_is_refused_and_leaves_nothing(tmp_path):
    items = [("params/m/w", np.zeros(2)), ("params/m/w", np.ones(2))]
    with pytest.raises(ValueError, match="entry 'params/m/w' given twice; each key must be unique"):
        npz.write_arrays(tmp_path / "p.npz", items)
    assert os.listdir(tmp_path) == []


def test_disk_full_mid_write_leaves_nothing(tmp_path, monkeypatch):
    real_write = npz._write_member
    calls = []

    def write_then_fail(archive, key, array):
        calls.append(key)
        if len(calls) > 1:
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        real_write(archive, key, array)

    monkeypatch.setattr(npz, "_write_member", write_then_fail)
    params = {"m": {"a": np.zeros(10), "b": np.ones(10), "c": np.ones(3)}}
    with pytest.raises(
        errors.OutputError,
        match=r"p\.npz: writing entry 'params/m/b' failed: "
        r"No space left on device \(ENOSPC\)",
    ):
        npz.save(tmp_path / "p.npz", params)
    assert calls == ["params/m/a", "params/m/b"]
    assert os.listdir(tmp_path) == []


def test_a_failure_of_the_input_propagates_unchanged_and_leaves_nothing(tmp_path):
    def items():
        yield "params/m/a", np.zeros(3)
        raise errors.ChecksumError("ckpt.data-00000-of-00001: entry 'm/b': crc32c mismatch")

    with pytest.raises(errors.ChecksumError, match="crc32c mismatch"):
        npz.write_arrays(tmp_path / "p.npz", items())
    assert os.listdir(tmp_path) == []


def test_a_failed_fsync_leaves_nothing(tmp_path, monkeypatch):
    def failing_fsync(handle):
        raise OSError(errno.EIO, os.strerror(errno.EIO))

    monkeypatch.setattr(npz.os, "fsync", failing_fsync)
    with pytest.raises(
        errors.OutputError, match=r"cannot finish it and flush it to disk: .* \(EIO\)"
    ):
        npz.save(tmp_path / "p.npz", {"m": {"w": np.zeros(2)}})
    assert os.listdir(tmp_path) == []


def test_output_directory_that_is_a_file_is_an_output_error(tmp_path):
    (tmp_path / "file").write_text("")
    with pytest.raises(errors.OutputError, match=r"cannot create a temporary file beside it"):
        npz.save(tmp_path / "file" / "p.npz", {"m": {"w": np.zeros(2)}})


def test_missing_output_directory_is_an_output_error(tmp_path):
    with pytest.raises(errors.OutputError, match=r"No such file or directory \(ENOENT\)"):
        npz.save(tmp_path / "missing" / "p.npz", {"m": {"w": np.zeros(2)}})


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes to read-only directories")
def test_read_only_directory_is_an_output_error(tmp_path):
    tmp_path.chmod(0o500)
    try:
        with pytest.raises(errors.OutputError, match=r"Permission denied \(EACCES\)"):
            npz.save(tmp_path / "p.npz", {"m": {"w": np.zeros(2)}})
    finally:
        tmp_path.chmod(0o700)
    assert os.listdir(tmp_path) == []


def test_existing_output_is_kept_without_overwrite(tmp_path):
    (tmp_path / "p.npz").write_bytes(b"precious")
    with pytest.raises(errors.OutputError, match=r"p\.npz: already exists; pass overwrite=True"):
        npz.save(tmp_path / "p.npz", {"m": {"w": np.zeros(2)}})
    assert (tmp_path / "p.npz").read_bytes() == b"precious"
    assert os.listdir(tmp_path) == ["p.npz"]


def test_existing_output_is_replaced_with_overwrite(tmp_path):
    (tmp_path / "p.npz").write_bytes(b"old")
    npz.save(tmp_path / "p.npz", {"m": {"w": np.zeros(2)}}, overwrite=True)
    assert npz.load(tmp_path / "p.npz")[0]["m"]["w"].shape == (2,)


def test_output_that_is_a_directory_is_an_output_error(tmp_path):
    with pytest.raises(errors.OutputError, match="is a directory; expected a file path"):
        npz.save(tmp_path, {"m": {"w": np.zeros(2)}}, overwrite=True)


def test_object_arrays_are_refused_on_save(tmp_path):
    with pytest.raises(errors.UnsupportedError, match="has dtype object, which .npy stores only"):
        npz.save(tmp_path / "p.npz", {"m": {"w": np.array([{}], dtype=object)}})
    assert os.listdir(tmp_path) == []


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


def test_archives_pass_zipfile_crc_checks_and_np_load(tmp_path):
    params = {"mlp/~/linear_0": {"w": np.arange(12.0).reshape(3, 4), "b": np.ones(4, np.int8)}}
    npz.save(tmp_path / "p.npz", params, {"m": {"s": np.zeros((), np.float16)}})
    with zipfile.ZipFile(tmp_path / "p.npz") as archive:
        assert archive.testzip() is None
        assert archive.namelist() == [
            "params/mlp/~/linear_0/w.npy",
            "params/mlp/~/linear_0/b.npy",
            "state/m/s.npy",
            f"{npz.META_KEY}.npy",
        ]
    with np.load(tmp_path / "p.npz", allow_pickle=False) as loaded:
        np.testing.assert_array_equal(
            loaded["params/mlp/~/linear_0/w"], params["mlp/~/linear_0"]["w"]
        )
        assert loaded["state/m/s"].shape == ()


class _TrickleFile:
    """A raw file that writes at most `limit` bytes per call, as raw files may."""

    def __init__(self, path, limit):
        self._file = open(path, "wb", buffering=0)
        self._limit = limit

    def write(self, data):
        return self._file.write(memoryview(data)[: self._limit]) if self._limit else 0

    def fileno(self):
        return self._file.fileno()

    def close(self):
        self._file.close()


def test_zip_writer_completes_short_writes(tmp_path):
    file = _TrickleFile(tmp_path / "a.zip", limit=7)
    with zip64.ZipWriter(file) as writer:
        writer.add("x.bin", b"head", memoryview(bytes(range(200))))
        writer.finish()
    file.close()
    with zipfile.ZipFile(tmp_path / "a.zip") as archive:
        assert archive.read("x.bin") == b"head" + bytes(range(200))


def test_zip_writer_raises_when_nothing_is_written(tmp_path):
    file = _TrickleFile(tmp_path / "a.zip", limit=0)
    with pytest.raises(OSError, match="write returned 0 at byte 0"):
        with zip64.ZipWriter(file) as writer:
            writer.add("x.bin", b"head", memoryview(b"data"))
    file.close()


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


def test_the_zip_crc32_is_zlibs_checksum():
    data = np.random.default_rng(0).bytes(1 << 20)
    assert zip64.crc32(data) == zlib.crc32(data)
    assert zip64.crc32(data[7:], zip64.crc32(data[:7])) == zlib.crc32(data)
