"""Tests for sonnax/convert/_load/restore.py and slicing.py: checked, sharded restores."""

import re

import jax
import numpy as np
import pytest
from jax.sharding import Mesh, NamedSharding, PartitionSpec

import sonnax
import sonnax.convert
from sonnax import compat
from sonnax.convert._read import checkpoint as checkpoint_lib
from sonnax.convert._read import proto
from sonnax.convert._write import npz
from tests.convert import bundle_writer

ENUMS = {"float32": 1, "int32": 3, "int64": 9}
X = np.ones((2, 8), np.float32)


def _net(x):
    hidden = compat.nets.MLP([16, 8], name="mlp")(x)
    return compat.BatchNorm(True, True, name="batch_norm")(hidden, is_training=False)


def _model():
    return sonnax.transform_with_state(_net)


def _tf1_variables(rng, hidden=16):
    """Variables of the model as a TF1 name-based checkpoint names them."""
    floats = {
        "mlp/linear_0/w": (8, hidden),
        "mlp/linear_0/b": (hidden,),
        "mlp/linear_1/w": (hidden, 8),
        "mlp/linear_1/b": (8,),
        "batch_norm/scale": (8,),
        "batch_norm/offset": (8,),
    }
    for stat in ("moving_mean", "moving_variance"):
        floats[f"batch_norm/{stat}/average"] = (1, 8)
        floats[f"batch_norm/{stat}/hidden"] = (1, 8)
    tensors = {
        name: rng.standard_normal(shape).astype(np.float32) for name, shape in floats.items()
    }
    for stat in ("moving_mean", "moving_variance"):
        tensors[f"batch_norm/{stat}/counter"] = np.array(3, np.int64)
    return tensors


def _write(prefix, tensors):
    bundle_writer.write_bundle(
        str(prefix),
        tensors,
        proto.BundleEntryProto,
        proto.BundleHeaderProto,
        lambda array: ENUMS[array.dtype.name],
    )
    return str(prefix)


@pytest.fixture(scope="module")
def tensors():
    return _tf1_variables(np.random.default_rng(0))


@pytest.fixture
def prefix(tmp_path, tensors):
    return _write(tmp_path / "ckpt", tensors)


def _flat(tree):
    return {f"{m}/{n}": v for m, values in tree.items() for n, v in values.items()}


def _assert_restored(restored, tensors):
    params, state = restored
    flat = {**_flat(params), **_flat(state)}
    expected = {name.replace("/", "/~/", name.count("/") - 1): v for name, v in tensors.items()}
    assert sorted(flat) == sorted(expected)
    for key, value in expected.items():
        assert isinstance(flat[key], jax.Array), key
        np.testing.assert_array_equal(np.asarray(flat[key]), value.astype(flat[key].dtype))
    assert state["batch_norm/~/moving_mean"]["counter"].dtype == np.int32  # int64 without x64


def test_restore_from_a_checkpoint(prefix, tensors):
    restored = sonnax.convert.restore(prefix, _model(), X)
    _assert_restored(restored, tensors)
    out, _ = _model().apply(*restored, None, X)
    assert out.shape == (2, 8)


def test_restore_from_a_params_file_and_a_tree(tmp_path, prefix, tensors):
    params, state = sonnax.convert.from_checkpoint(prefix)
    path = tmp_path / "params.npz"
    sonnax.convert.save(path, params, state)
    _assert_restored(sonnax.convert.restore(str(path), _model(), X), tensors)
    _assert_restored(sonnax.convert.restore((params, state), _model(), X), tensors)


def test_restore_without_state_returns_params_only(tmp_path):
    model = sonnax.transform(lambda x: compat.Linear(3, name="linear")(x))
    params = {"linear": {"w": np.full((8, 3), 2.0, np.float32), "b": np.zeros(3, np.float32)}}
    restored = sonnax.convert.restore(params, model, X)
    assert sorted(restored) == ["linear"]
    np.testing.assert_array_equal(model.apply(restored, None, X), np.full((2, 3), 16.0))


def test_restore_renames_checkpoint_names(tmp_path, tensors):
    prefix = _write(tmp_path / "old", {f"model/{k}": v for k, v in tensors.items()})
    restored = sonnax.convert.restore(prefix, _model(), X, rename=[(r"^model/", "")])
    _assert_restored(restored, tensors)


def test_mismatches_are_listed_in_one_error(tmp_path, tensors):
    changed = dict(tensors)
    del changed["mlp/linear_1/b"]
    changed["mlp/linear_9/w"] = np.zeros((2, 2), np.float32)
    changed["mlp/linear_0/w"] = np.zeros((8, 4), np.float32)
    changed["batch_norm/scale"] = np.zeros(8, np.int32)
    prefix = _write(tmp_path / "bad", changed)
    with pytest.raises(sonnax.convert.MismatchError, match=r"does not fit the model") as caught:
        sonnax.convert.restore(prefix, _model(), X)
    message = str(caught.value)
    assert "(4 problems)" in message, message
    assert "params['mlp/~/linear_1']['b']: expected shape (8,) float32" in message
    assert "params['mlp/~/linear_9']['w']: found shape (2, 2) float32" in message
    assert (
        "params['mlp/~/linear_0']['w']: expected shape (8, 16) float32, found shape (8, 4) float32"
    ) in message
    assert "params['batch_norm']['scale']: expected shape (8,) float32, found shape (8,) int32" in (
        message
    )
    assert "--list" in message
    error = caught.value
    assert (len(error.missing), len(error.unexpected), len(error.mismatched)) == (1, 1, 2)
    assert error.exit_code == 8


def test_restore_rejects_what_is_not_a_source():
    with pytest.raises(TypeError, match=r"restore: expected a path, a \(params, state\) pair"):
        sonnax.convert.restore(42, _model(), X)


RULES = [
    (r"linear_\d+/w$", PartitionSpec("data", "model")),
    (r"linear_\d+/b$", PartitionSpec("model")),
    (r"batch_norm/(scale|offset)$", PartitionSpec("data")),
]


@pytest.fixture(scope="module")
def mesh():
    assert len(jax.devices()) == 8, "tests/conftest.py asks for 8 CPU devices"
    return Mesh(np.array(jax.devices()).reshape(4, 2), ("data", "model"))


def _assert_sharded(restored, mesh, tensors):
    _assert_restored(restored, tensors)
    params, state = restored
    for key, array in {**_flat(params), **_flat(state)}.items():
        spec = next((s for p, s in RULES if re.search(p, key.replace("/~", ""))), None)
        expected = NamedSharding(mesh, spec or PartitionSpec())
        assert array.sharding == expected, key
    w = params["mlp/~/linear_0"]["w"]
    assert {shard.data.shape for shard in w.addressable_shards} == {(2, 8)}


def test_rules_place_each_array_reading_only_slices(prefix, tensors, mesh, monkeypatch):
    real_read = checkpoint_lib.Checkpoint.read
    whole_reads = []

    def spy(self, key):
        whole_reads.append(key)
        return real_read(self, key)

    monkeypatch.setattr(checkpoint_lib.Checkpoint, "read", spy)
    restored = sonnax.convert.restore(prefix, _model(), X, shardings=RULES, mesh=mesh)
    _assert_sharded(restored, mesh, tensors)
    # Sharded arrays are read a slice at a time; only the replicated EMA entries whole.
    assert all("moving_" in key for key in whole_reads), whole_reads
    assert len(whole_reads) == len(set(whole_reads)) == 6  # Once each, not once per device.


def test_rules_place_params_file_members(tmp_path, prefix, tensors, mesh, monkeypatch):
    path = tmp_path / "params.npz"
    sonnax.convert.save(path, *sonnax.convert.from_checkpoint(prefix))

    def refuse(path):
        raise AssertionError("a stored params file is memory-mapped, not loaded whole")

    monkeypatch.setattr(npz, "load", refuse)
    restored = sonnax.convert.restore(str(path), _model(), X, shardings=RULES, mesh=mesh)
    _assert_sharded(restored, mesh, tensors)


def test_a_tree_of_shardings_and_a_single_sharding(prefix, mesh):
    shapes = jax.eval_shape(_model().init, jax.random.PRNGKey(0), X)
    tree = jax.tree.map(lambda _: NamedSharding(mesh, PartitionSpec()), shapes)
    tree[0]["mlp/~/linear_1"]["w"] = NamedSharding(mesh, PartitionSpec(None, "data"))
    params, state = sonnax.convert.restore(prefix, _model(), X, shardings=tree)
    assert params["mlp/~/linear_1"]["w"].sharding == tree[0]["mlp/~/linear_1"]["w"]
    assert params["mlp/~/linear_0"]["w"].sharding == NamedSharding(mesh, PartitionSpec())
    single = jax.sharding.SingleDeviceSharding(jax.devices()[3])
    params, _ = sonnax.convert.restore(prefix, _model(), X, shardings=single)
    assert params["batch_norm"]["scale"].sharding == single


def test_sharding_errors_name_the_problem(prefix, mesh):
    with pytest.raises(ValueError, match=r"sharding rules need the mesh"):
        sonnax.convert.restore(prefix, _model(), X, shardings=RULES)
    with pytest.raises(ValueError, match=r"one jax.sharding.Sharding per entry .*missing \["):
        sonnax.convert.restore(prefix, _model(), X, shardings=({}, {}))
    rank_three = [(r"linear_1/b$", PartitionSpec("data", "model", None))]
    with pytest.raises(ValueError, match=r"params\['mlp/~/linear_1'\]\['b'\] of shape \(8,\)"):
        sonnax.convert.restore(prefix, _model(), X, shardings=rank_three, mesh=mesh)
    indivisible = [(r"linear_1/b$", PartitionSpec(None)), (r"mean/average", PartitionSpec("data"))]
    with pytest.raises(ValueError, match=r"moving_mean'\]\['average'\] of shape \(1, 8\).*divide"):
        sonnax.convert.restore(prefix, _model(), X, shardings=indivisible, mesh=mesh)


def test_an_entry_in_the_other_collection_moves_to_the_models():
    # A checkpoint does not record trainability: a frozen Embed's table arrives as params.
    def forward(ids):
        return compat.Embed(existing_vocab=np.zeros((3, 2), np.float32), trainable=False)(ids)

    model = sonnax.transform_with_state(forward)
    ids = np.array([0, 2])
    table = np.arange(6, dtype=np.float32).reshape(3, 2)
    params, state = sonnax.convert.restore(({"embed": {"embeddings": table}}, {}), model, ids)
    assert params == {}
    np.testing.assert_array_equal(state["embed"]["embeddings"], table)
    np.testing.assert_array_equal(model.apply(params, state, None, ids)[0], table[[0, 2]])


def test_a_compressed_params_file_is_read_whole(tmp_path, tensors, mesh):
    params, state = sonnax.convert.from_checkpoint(_write(tmp_path / "ckpt", tensors))
    path = tmp_path / "compressed.npz"
    members = {f"params/{k}": v for k, v in _flat(params).items()}
    members.update({f"state/{k}": v for k, v in _flat(state).items()})
    np.savez_compressed(path, **members)
    restored = sonnax.convert.restore(str(path), _model(), X, shardings=RULES, mesh=mesh)
    _assert_sharded(restored, mesh, tensors)


def test_bfloat16_members_are_memory_mapped_with_their_dtype(tmp_path, mesh):
    model = sonnax.transform(lambda x: compat.Linear(8, name="linear_0")(x))
    w = np.random.default_rng(2).standard_normal((8, 8)).astype(jax.numpy.bfloat16)
    path = tmp_path / "bf16.npz"
    sonnax.convert.save(path, {"linear_0": {"w": w, "b": np.ones(8, jax.numpy.bfloat16)}})
    x = X.astype(jax.numpy.bfloat16)
    params = sonnax.convert.restore(str(path), model, x, shardings=RULES, mesh=mesh)
    assert params["linear_0"]["w"].dtype == jax.numpy.bfloat16
    assert params["linear_0"]["w"].sharding == NamedSharding(mesh, PartitionSpec("data", "model"))
    np.testing.assert_array_equal(np.asarray(params["linear_0"]["w"]), w)
