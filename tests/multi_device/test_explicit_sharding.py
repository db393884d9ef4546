"""sonnax under explicit sharding (`jax.set_mesh` with `AxisType.Explicit`) and `jax.shard_map`."""

import haiku
import jax
import jax.numpy as jnp
from jax.sharding import AxisType
from jax.sharding import PartitionSpec as P

import sonnax
from tests.helpers import assert_trees_close
from tests.multi_device import problem
from tests.multi_device.problem import KEY, X, Y

RULES = [(r"^linear/w$", P(None, "model")), (r"^linear/b$", P("model"))]


def hidden_layer(lib):
    return lib.without_apply_rng(lib.transform(lambda x: lib.Linear(problem.HIDDEN)(x)))


def test_explicit_mode_carries_shardings_in_the_types():
    mesh = jax.make_mesh((4, 2), ("data", "model"), axis_types=(AxisType.Explicit,) * 2)
    f = problem.loss_fn(sonnax)
    with jax.set_mesh(mesh):
        x, y = jax.device_put(X, P("data")), jax.device_put(Y, P("data"))
        params = sonnax.sharding.init_sharded(f.init, mesh, RULES, KEY, x, y, default=P())
        hidden = jax.jit(hidden_layer(sonnax).apply)(params, x)
        grads = jax.jit(jax.grad(f.apply))(params, x, y)
    assert jax.typeof(params["linear"]["w"]).sharding.spec == P(None, "model")
    assert jax.typeof(params["linear_1"]["w"]).sharding.spec == P(None, None)
    assert jax.typeof(hidden).sharding.spec == P("data", "model")
    assert jax.typeof(grads["linear"]["w"]).sharding.spec == P(None, "model")
    unsharded = jax.device_get(params)
    assert_trees_close(hidden, jax.jit(hidden_layer(haiku).apply)(unsharded, X))
    assert_trees_close(grads, jax.jit(jax.grad(problem.loss_fn(haiku).apply))(unsharded, X, Y))


def test_shard_map_runs_apply_on_each_batch_shard():
    mesh = problem.data_mesh()
    f = problem.loss_fn(sonnax)
    params = problem.sonnax_params()

    def per_shard(params, x, y):
        # Averaging the loss over "data" makes the gradient that of the full batch;
        # shard_map sums the gradient of the replicated params over the axis itself.
        return jax.value_and_grad(lambda p: jax.lax.pmean(f.apply(p, x, y), "data"))(params)

    sharded = jax.shard_map(
        per_shard, mesh=mesh, in_specs=(P(), P("data"), P("data")), out_specs=P()
    )
    value, grads = jax.jit(sharded)(params, X, Y)
    expected = jax.jit(jax.value_and_grad(problem.loss_fn(haiku).apply))(params, X, Y)
    assert_trees_close((value, grads), expected)


def test_shard_map_apply_with_per_shard_outputs():
    mesh = problem.data_mesh()
    f = hidden_layer(sonnax)
    params = jax.jit(f.init)(KEY, X)
    per_shard_sums = jax.shard_map(
        lambda params, x: jnp.sum(f.apply(params, x), axis=0, keepdims=True),
        mesh=mesh,
        in_specs=(P(), P("data")),
        out_specs=P("data"),
    )
    sums = jax.jit(per_shard_sums)(params, X)
    expected = hidden_layer(haiku).apply(params, X).reshape([problem.NUM_DEVICES, -1, 8]).sum(1)
    assert sums.shape == (problem.NUM_DEVICES, problem.HIDDEN)
    assert_trees_close(sums, expected, rtol=1e-5, atol=1e-5)
