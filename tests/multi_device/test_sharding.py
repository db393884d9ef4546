"""`sonnax.sharding`: specs from path rules, and initialization straight into shards."""

import functools

import haiku
import jax
import jax.numpy as jnp
import numpy as np
import pytest
from jax.sharding import NamedSharding
from jax.sharding import PartitionSpec as P

import sonnax
from tests.helpers import assert_trees_equal
from tests.multi_device import problem
from tests.multi_device.problem import KEY, X


def mlp(lib):
    return lib.transform(lambda x: lib.nets.MLP([8, 16, 4])(x))


def shapes():
    return jax.eval_shape(mlp(haiku).init, KEY, X)


def test_first_matching_rule_wins_and_paths_join_module_and_param_names():
    rules = [(r"linear_1/w$", P("model", None)), (r"/w$", P(None, "model")), (r"linear_0", P())]
    specs = sonnax.sharding.partition_specs(shapes(), rules, default=P("model"))
    assert specs == {
        "mlp/~/linear_0": {"w": P(None, "model"), "b": P()},
        "mlp/~/linear_1": {"w": P("model", None), "b": P("model")},
        "mlp/~/linear_2": {"w": P(None, "model"), "b": P("model")},
    }


def test_unmatched_parameter_without_default_names_its_path():
    with pytest.raises(ValueError, match=r"no rule matches parameter 'mlp/~/linear_0/b'.*\(8,\)"):
        sonnax.sharding.partition_specs(shapes(), [(r"/w$", P())])


def test_spec_longer_than_the_parameter_rank_is_refused():
    message = r"P\(None, 'model'\) for parameter 'mlp/~/linear_0/b'.*shape \(8,\) \(rank 1\)"
    with pytest.raises(ValueError, match=message):
        sonnax.sharding.partition_specs(shapes(), [(r".", P(None, "model"))])


def test_named_shardings_put_each_spec_on_the_mesh():
    mesh = problem.data_model_mesh()
    shardings = sonnax.sharding.named_shardings(shapes(), mesh, [(r"/w$", P(None, "model"))], P())
    assert shardings["mlp/~/linear_1"]["w"] == NamedSharding(mesh, P(None, "model"))
    assert shardings["mlp/~/linear_1"]["b"] == NamedSharding(mesh, P())


RULES = [(r"/w$", P(None, "model")), (r"/b$", P("model"))]


@functools.cache
def sharded_mlp_params():
    return sonnax.sharding.init_sharded(mlp(sonnax).init, problem.data_model_mesh(), RULES, KEY, X)


def test_init_sharded_places_each_parameter_by_its_rule_with_haiku_values():
    mesh = problem.data_model_mesh()
    params = sharded_mlp_params()
    for name, leaf in jax.tree_util.tree_flatten_with_path(params)[0]:
        spec = RULES[0][1] if name[-1].key == "w" else RULES[1][1]
        assert leaf.sharding == NamedSharding(mesh, spec)
    assert_trees_equal(jax.device_get(params), jax.jit(mlp(haiku).init)(KEY, X))


def test_init_sharded_keeps_only_a_shard_on_each_device():
    w = sharded_mlp_params()["mlp/~/linear_1"]["w"]
    assert w.shape == (8, 16)
    shards = w.addressable_shards
    assert len(shards) == problem.NUM_DEVICES
    assert {shard.data.shape for shard in shards} == {(8, 8)}
    halves = {shard.index[1].start: np.asarray(shard.data) for shard in shards}
    np.testing.assert_array_equal(np.concatenate([halves[0], halves[8]], 1), np.asarray(w))


def test_init_sharded_never_builds_a_whole_parameter(monkeypatch):
    # The compiled, partitioned init must only ever hold the (64, 16) shard of the
    # (64, 128) weight: each device draws its own slice of the random numbers.
    compiled = []
    real_jit = jax.jit

    def recording_jit(fun, **kwargs):
        jitted = real_jit(fun, **kwargs)

        def call(*args):
            compiled.append(jitted.lower(*args).compile().as_text())
            return jitted(*args)

        return call

    monkeypatch.setattr(jax, "jit", recording_jit)
    mesh = jax.sharding.Mesh(np.array(jax.devices()).reshape([1, 8]), ("data", "model"))
    f = sonnax.transform(lambda x: sonnax.Linear(128)(x))
    params = sonnax.sharding.init_sharded(f.init, mesh, RULES, KEY, jnp.ones([2, 64]))
    assert params["linear"]["w"].sharding.shard_shape((64, 128)) == (64, 16)
    assert len(compiled) == 1
    assert "f32[64,16]" in compiled[0]
    assert "f32[64,128]" not in compiled[0]


def with_state(lib):
    def f(x, is_training):
        return lib.BatchNorm(True, True, 0.9)(lib.Linear(4)(x), is_training)

    return lib.transform_with_state(f)


def test_init_sharded_with_state_and_a_static_python_argument():
    mesh = problem.data_model_mesh()
    rules = [(r"^linear/w$", P(None, "model")), (r"mean_ema/(average|hidden)$", P(None, "model"))]
    params, state = sonnax.sharding.init_sharded(
        with_state(sonnax).init, mesh, rules, KEY, X, is_training=True, default=P()
    )
    assert params["linear"]["w"].sharding.spec == P(None, "model")
    assert params["batch_norm"]["scale"].sharding.spec == P()
    assert state["batch_norm/~/mean_ema"]["average"].sharding.spec == P(None, "model")
    assert state["batch_norm/~/var_ema"]["average"].sharding.spec == P()
    expected = jax.jit(with_state(haiku).init, static_argnums=2)(KEY, X, True)
    assert_trees_equal(jax.device_get((params, state)), expected)
