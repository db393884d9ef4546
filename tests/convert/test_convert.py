"""Tests for sonnax/convert/_convert.py and `to_params`: the API on checkpoints TensorFlow wrote."""

import errno
import os
import threading

import ml_dtypes
import numpy as np
import pytest

import sonnax.convert as snx_convert
from sonnax.convert._mapping import names
from sonnax.convert._write import npz
from tests.convert import fixtures


def _oracle_array(oracle: fixtures.Oracle, key: str) -> np.ndarray:
    record = oracle.tensors[key]
    return np.frombuffer(oracle.value(key), record["dtype"]).reshape(record["shape"])


def test_to_params_places_and_reads_every_sonnet_variable(tf_fixtures):
    oracle = fixtures.load(tf_fixtures, "sonnet")
    with snx_convert.open_checkpoint(oracle.path) as ckpt:
        result = snx_convert.to_params(ckpt)
    assert sorted(result.params) == [
        "batch_norm", "conv2_d", "embed", "linear", "lstm",
        "mlp/~/linear_0", "mlp/~/linear_1", "mlp/~/linear_2", "~",
    ]  # fmt: skip
    assert sorted(result.state) == ["batch_norm/~/moving_mean", "batch_norm/~/moving_variance"]
    assert sorted(result.state["batch_norm/~/moving_mean"]) == ["average", "counter", "hidden"]
    np.testing.assert_array_equal(
        result.params["lstm"]["w_h"], _oracle_array(oracle, "lstm/_w_h/.ATTRIBUTES/VARIABLE_VALUE")
    )
    assert result.notes == []
    assert result.skipped == {
        "save_counter/.ATTRIBUTES/VARIABLE_VALUE": (
            "save counter (include_save_counter=True / --include-save-counter)"
        )
    }


def test_to_params_slots_and_save_counter_on_request(tf_fixtures):
    oracle = fixtures.load(tf_fixtures, "optimizer")
    with snx_convert.open_checkpoint(oracle.path) as ckpt:
        default = snx_convert.to_params(ckpt)
        everything = snx_convert.to_params(ckpt, include_slots=True, include_save_counter=True)
    assert sorted(default.params) == ["mlp/~/linear_0", "mlp/~/linear_1"]
    assert default.state == {}
    assert sorted(everything.params) == ["mlp/~/linear_0", "mlp/~/linear_1"]
    assert sorted(everything.state["mlp/~/linear_0/~/w"]) == ["Adam", "Adam_1"]
    assert sorted(everything.state["adam/~/m/~/mlp/~/linear_1"]) == ["b", "w"]
    assert sorted(everything.state["~"]) == ["beta1_power", "beta2_power", "save_counter"]
    assert list(everything.skipped.values()) == ["not a variable (kind 'other')"]


def _by_variable_name(tree: dict) -> dict[str, np.ndarray]:
    """`{module: {name: array}}` keyed back by variable name (`net/~/w`, `Adam` -> `net/w/Adam`)."""
    return {
        "/".join([*(part for part in module.split("/~/") if part != "~"), leaf]): array
        for module, leaves in tree.items()
        for leaf, array in leaves.items()
    }


@pytest.mark.parametrize("name", ["keras_adam", "tf1_optimizers"])
def test_optimizer_state_is_converted_only_on_request_and_into_state(tf_fixtures, name):
    oracle = fixtures.load(tf_fixtures, name)
    roles = fixtures.roles(tf_fixtures, name)
    with snx_convert.open_checkpoint(oracle.path) as ckpt:
        default = snx_convert.to_params(ckpt)
        with_slots = snx_convert.to_params(ckpt, include_slots=True)
        keys = {names.variable_name(info): key for key, info in ckpt.entries().items()}
    assert sorted(_by_variable_name(default.params)) == roles["params"]
    assert sorted(_by_variable_name(default.state)) == roles["state"]
    assert _by_variable_name(with_slots.params).keys() == _by_variable_name(default.params).keys()
    state = _by_variable_name(with_slots.state)
    assert sorted(state) == sorted(roles["state"] + roles["optimizer"])
    for variable in roles["optimizer"]:
        assert state[variable].tobytes() == oracle.value(keys[variable]), variable


def test_dict_entries_and_modules_that_share_a_name_stay_apart(tf_fixtures):
    oracle = fixtures.load(tf_fixtures, "collisions")
    with snx_convert.open_checkpoint(oracle.path) as ckpt:
        result = snx_convert.to_params(ckpt)
    assert sorted((module, leaf) for module in result.params for leaf in result.params[module]) == [
        ("a", "b"), ("a", "w"), ("b", "b"), ("b", "w"),
        ("holder/~/vs/~/g", "w"), ("holder/~/vs/~/h", "w"),
    ]  # fmt: skip
    for module, key in [("holder/~/vs/~/g", "holder/vs/g"), ("holder/~/vs/~/h", "holder/vs/h")]:
        value = oracle.value(f"{key}/.ATTRIBUTES/VARIABLE_VALUE")
        assert result.params[module]["w"].tobytes() == value
    assert len(result.notes) == 6 and all("by its object path" in n for n in result.notes)


def test_to_params_include_exclude_and_dtype(tf_fixtures):
    oracle = fixtures.load(tf_fixtures, "sonnet")
    with snx_convert.open_checkpoint(oracle.path) as ckpt:
        result = snx_convert.to_params(
            ckpt, include=["^linear/", "^batch_norm"], exclude=["hidden"], dtype="float16"
        )
    assert sorted(result.params) == ["batch_norm", "linear"]
    w = result.params["linear"]["w"]
    expected = _oracle_array(oracle, "linear/w/.ATTRIBUTES/VARIABLE_VALUE").astype(np.float16)
    assert w.dtype == np.float16
    np.testing.assert_array_equal(w, expected)
    assert sorted(result.state["batch_norm/~/moving_mean"]) == ["average", "counter"]
    assert result.state["batch_norm/~/moving_mean"]["counter"].dtype == np.int64


def test_to_params_refuses_a_non_floating_dtype(tf_fixtures):
    with snx_convert.open_checkpoint(tf_fixtures / "tf1") as ckpt:
        with pytest.raises(ValueError, match="dtype 'int32' is int32; expected a floating-point"):
            snx_convert.to_params(ckpt, dtype="int32")


@pytest.mark.parametrize("name", fixtures.NAMES)
def test_convert_then_load_equals_to_params(tf_fixtures, tmp_path, name):
    path = fixtures.load(tf_fixtures, name).path
    summary = snx_convert.convert(path, tmp_path / "p.npz", dtype="bfloat16")
    with snx_convert.open_checkpoint(path) as ckpt:
        result = snx_convert.to_params(ckpt, dtype="bfloat16")
    params, state = snx_convert.load(tmp_path / "p.npz")
    for loaded, expected in [(params, result.params), (state, result.state)]:
        assert loaded.keys() == expected.keys()
        for module in expected:
            for leaf, array in expected[module].items():
                assert loaded[module][leaf].dtype == array.dtype
                assert loaded[module][leaf].tobytes() == array.tobytes()
    assert summary.skipped == result.skipped
    assert summary.tensors == sum(len(tree) for tree in [*params.values(), *state.values()])


def test_summary_and_progress(tf_fixtures, tmp_path):
    calls = []
    summary = snx_convert.convert(
        tf_fixtures / "sonnet", tmp_path / "p.npz", progress=lambda *args: calls.append(args)
    )
    assert summary.tensors == 23 == len(calls)
    assert summary.nbytes == calls[-1][0] == calls[-1][1] == 1484
    assert [done for done, _ in calls] == sorted(done for done, _ in calls)
    assert summary.output == os.fspath(tmp_path / "p.npz")
    assert summary.line().startswith(f"wrote {tmp_path / 'p.npz'}: 23 tensors, 0.0 MB in ")
    assert summary.line().endswith(" GB/s); 1 skipped")


def test_selecting_nothing_writes_an_empty_file_with_a_note(tf_fixtures, tmp_path):
    summary = snx_convert.convert(tf_fixtures / "tf1", tmp_path / "p.npz", include=["nothing"])
    assert summary.tensors == 0
    assert summary.notes == ["no tensor was selected: the params file holds no arrays"]
    assert snx_convert.load(tmp_path / "p.npz") == ({}, {})


def test_a_failed_read_mid_conversion_leaves_no_output(tf_fixtures, tmp_path, monkeypatch):
    reads = []

    def fail_third(self, key):
        reads.append(key)
        if len(reads) == 3:
            raise snx_convert.ChecksumError(f"{key}: crc32c mismatch (simulated)")
        return real_read(self, key)

    real_read = snx_convert.Checkpoint.read
    monkeypatch.setattr(snx_convert.Checkpoint, "read", fail_third)
    with pytest.raises(snx_convert.ChecksumError, match="crc32c mismatch"):
        snx_convert.convert(tf_fixtures / "sonnet", tmp_path / "p.npz")
    assert os.listdir(tmp_path) == []


def test_bfloat16_survives_the_round_trip(tf_fixtures, tmp_path):
    snx_convert.convert(tf_fixtures / "tf1", tmp_path / "p.npz", dtype=ml_dtypes.bfloat16)
    params, _ = snx_convert.load(tmp_path / "p.npz")
    assert params["net"]["w"].dtype == ml_dtypes.bfloat16
    assert params["net"]["b"].dtype == ml_dtypes.bfloat16


def test_a_failed_write_stops_the_read_ahead_and_leaves_no_output(
    tf_fixtures, tmp_path, monkeypatch
):
    def no_space(archive, key, array):
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(npz, "_write_member", no_space)
    with pytest.raises(snx_convert.OutputError, match=r"p\.npz: writing entry .* \(ENOSPC\)"):
        snx_convert.convert(tf_fixtures / "sonnet", tmp_path / "p.npz")
    assert os.listdir(tmp_path) == []
    assert not [t.name for t in threading.enumerate() if t.name.startswith("sonnax-")]
