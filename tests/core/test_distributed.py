"""Transformed functions under JAX transforms: jit, grad, vmap, pmap and sharded jit.

`init` and `apply` are pure, so each JAX transform must give what the plain call gives
(and, for gradients, what dm-haiku gives for the same params).
"""

import haiku
import jax
import jax.numpy as jnp
import numpy as np
import pytest
from jax.sharding import Mesh, NamedSharding
from jax.sharding import PartitionSpec as P

import sonnax as hk

NUM_DEVICES = 8
BATCH, IN, HIDDEN, OUT = 16, 6, 8, 4


def mlp(lib):
    def f(x):
        h = jax.nn.relu(lib.Linear(HIDDEN)(x))
        return lib.Linear(OUT)(h)

    return f


def loss(lib):
    def f(x, y):
        return jnp.mean((mlp(lib)(x) - y) ** 2)

    return f


MODEL = hk.transform(mlp(hk))
X = jax.random.normal(jax.random.PRNGKey(1), [BATCH, IN])
Y = jax.random.normal(jax.random.PRNGKey(2), [BATCH, OUT])


def assert_trees_close(actual, expected, rtol=1e-6, atol=1e-6):
    assert jax.tree.structure(actual) == jax.tree.structure(expected)
    jax.tree.map(
        lambda a, e: np.testing.assert_allclose(a, e, rtol=rtol, atol=atol), actual, expected
    )


@pytest.fixture
def params(key):
    return MODEL.init(key, X)


def test_eight_devices():
    assert jax.local_device_count() == NUM_DEVICES


def test_jit(key, params):
    assert_trees_close(jax.jit(MODEL.init)(key, X), params)
    assert_trees_close(jax.jit(MODEL.apply)(params, None, X), MODEL.apply(params, None, X))


def test_grad_matches_haiku(key):
    f, g = hk.transform(loss(hk)), haiku.transform(loss(haiku))
    params = f.init(key, X, Y)
    grads = jax.grad(f.apply)(params, None, X, Y)
    assert_trees_close(grads, jax.grad(g.apply)(params, None, X, Y))
    assert_trees_close(jax.jit(jax.grad(f.apply))(params, None, X, Y), grads, rtol=1e-5)


def test_value_and_grad_wrt_inputs(params):
    def out_sum(x):
        return MODEL.apply(params, None, x).sum()

    value, grad = jax.value_and_grad(out_sum)(X)
    np.testing.assert_allclose(value, out_sum(X), rtol=1e-6)
    assert grad.shape == X.shape


def test_vmap_over_inputs_with_params_broadcast(params):
    out = jax.vmap(MODEL.apply, in_axes=(None, None, 0))(params, None, X)
    expected = jnp.stack([MODEL.apply(params, None, x) for x in X])
    assert_trees_close(out, expected)


def test_vmap_over_init_keys(key):
    keys = jax.random.split(key, 2)
    stacked = jax.vmap(MODEL.init, in_axes=(0, None))(keys, X)
    for i, k in enumerate(keys):
        assert_trees_close(jax.tree.map(lambda p, i=i: p[i], stacked), MODEL.init(k, X))
    w = stacked["linear"]["w"]
    assert w.shape == (2, IN, HIDDEN)
    assert not np.array_equal(w[0], w[1])


def test_pmap_apply(params):
    xs = X.reshape([NUM_DEVICES, BATCH // NUM_DEVICES, IN])
    out = jax.pmap(MODEL.apply, in_axes=(None, None, 0))(params, None, xs)
    assert out.shape == (NUM_DEVICES, BATCH // NUM_DEVICES, OUT)
    assert_trees_close(out.reshape([BATCH, OUT]), MODEL.apply(params, None, X))


def test_pmap_init_with_a_key_per_device(key):
    keys = jax.random.split(key, NUM_DEVICES)
    per_device = jax.pmap(MODEL.init, in_axes=(0, None))(keys, X)
    for i in (0, NUM_DEVICES - 1):
        assert_trees_close(jax.tree.map(lambda p, i=i: p[i], per_device), MODEL.init(keys[i], X))


def test_pmap_replicated_params_give_equal_replicas(params):
    replicated = jax.tree.map(lambda p: jnp.stack([p] * NUM_DEVICES), params)
    out = jax.pmap(MODEL.apply, in_axes=(0, None, None))(replicated, None, X)
    for replica in out:
        np.testing.assert_array_equal(replica, out[0])
    assert_trees_close(out[0], MODEL.apply(params, None, X))


def data_mesh():
    return Mesh(np.array(jax.devices()), ("data",))


def data_model_mesh():
    return Mesh(np.array(jax.devices()).reshape([4, 2]), ("data", "model"))


def test_jit_with_batch_sharded_and_params_replicated(params):
    mesh = data_mesh()
    x = jax.device_put(X, NamedSharding(mesh, P("data")))
    replicated = jax.device_put(params, NamedSharding(mesh, P()))
    out = jax.jit(MODEL.apply)(replicated, None, x)
    assert out.sharding.is_equivalent_to(NamedSharding(mesh, P("data")), out.ndim)
    assert_trees_close(out, MODEL.apply(params, None, X))


def model_parallel_shardings(mesh, params):
    # The first layer's `w` and `b` are split over their output features along "model".
    spec = {"linear": {"w": P(None, "model"), "b": P("model")}}
    return {
        module: {name: NamedSharding(mesh, spec.get(module, {}).get(name, P())) for name in values}
        for module, values in params.items()
    }


def test_jit_with_w_sharded_along_model_axis(params):
    mesh = data_model_mesh()
    shardings = model_parallel_shardings(mesh, params)
    sharded = jax.device_put(params, shardings)
    assert sharded["linear"]["w"].sharding.shard_shape((IN, HIDDEN)) == (IN, HIDDEN // 2)
    x = jax.device_put(X, NamedSharding(mesh, P("data")))
    out = jax.jit(MODEL.apply)(sharded, None, x)
    assert_trees_close(out, MODEL.apply(params, None, X))


def test_grad_with_w_sharded_along_model_axis(key):
    f = hk.transform(loss(hk))
    params = f.init(key, X, Y)
    mesh = data_model_mesh()
    sharded = jax.device_put(params, model_parallel_shardings(mesh, params))
    x = jax.device_put(X, NamedSharding(mesh, P("data")))
    y = jax.device_put(Y, NamedSharding(mesh, P("data")))
    grads = jax.jit(jax.grad(f.apply))(sharded, None, x, y)
    assert_trees_close(grads, jax.grad(f.apply)(params, None, X, Y), rtol=1e-5)


def test_init_with_out_shardings_gives_sharded_params(key, params):
    mesh = data_model_mesh()
    shapes = jax.eval_shape(MODEL.init, key, X)
    shardings = model_parallel_shardings(mesh, shapes)
    sharded = jax.jit(MODEL.init, out_shardings=shardings)(key, X)
    assert sharded["linear"]["w"].sharding == shardings["linear"]["w"]
    assert sharded["linear"]["w"].sharding.shard_shape((IN, HIDDEN)) == (IN, HIDDEN // 2)
    assert sharded["linear_1"]["w"].sharding.is_fully_replicated
    assert_trees_close(sharded, params)
