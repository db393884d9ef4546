"""Tests for sonnax/convert/_write/npz.py: the params file format, bit-exact round trips."""

import json
import os
import weakref
import zipfile

import ml_dtypes
import numpy as np
import pytest

from sonnax.convert import errors
from sonnax.convert._write import npz

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


def test_object_arrays_are_refused_on_save(tmp_path):
    with pytest.raises(errors.UnsupportedError, match="has dtype object, which .npy stores only"):
        npz.save(tmp_path / "p.npz", {"m": {"w": np.array([{}], dtype=object)}})
    assert os.listdir(tmp_path) == []


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


def test_a_name_that_is_not_unicode_text_is_refused_before_any_file_exists(tmp_path, monkeypatch):
    def never(*args, **kwargs):
        raise AssertionError("the temporary file must not be created")

    monkeypatch.setattr(npz.atomic, "write_file", never)
    with pytest.raises(
        errors.OutputError,
        match=r"p\.npz: entry 'params/m/\\udc80' cannot be stored: character 9 is '\\udc80'",
    ):
        npz.save(tmp_path / "p.npz", {"m": {"w": np.zeros(2), "\udc80": np.ones(2)}})
    assert os.listdir(tmp_path) == []


def test_a_streamed_key_that_is_not_unicode_text_is_an_output_error(tmp_path):
    items = [("params/m/w", np.zeros(2)), ("params/\ud800/w", np.ones(2))]
    with pytest.raises(errors.OutputError, match=r"entry 'params/\\ud800/w' cannot be stored"):
        npz.write_arrays(tmp_path / "p.npz", items)
    assert os.listdir(tmp_path) == []
