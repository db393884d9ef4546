"""Every catalogue module under jit, grad, vmap, pmap, sharded jit and bfloat16."""

import haiku
import jax
import jax.numpy as jnp
import numpy as np
import pytest
from jax.sharding import Mesh, NamedSharding, PartitionSpec

import sonnax
from tests import catalogue

ENTRIES = [pytest.param(entry, id=entry.name) for entry in catalogue.ENTRIES]
INIT_KEY, APPLY_KEY = jax.random.PRNGKey(0), jax.random.PRNGKey(7)


def _model(lib, entry):
    return lib.transform(lambda x: entry.build(lib)(x))


def _apply_key(entry):
    return APPLY_KEY if entry.needs_rng else None


def _scalar_loss(model, entry):
    return lambda params, x: jnp.sum(model.apply(params, _apply_key(entry), x).astype(jnp.float32))


@pytest.mark.parametrize("entry", ENTRIES)
def test_init_and_apply_match_haiku(entry):
    x = catalogue.inputs(entry)
    results = {}
    for lib in (haiku, sonnax):
        model = _model(lib, entry)
        params = model.init(INIT_KEY, x)
        results[lib.__name__] = (params, model.apply(params, _apply_key(entry), x))
    assert jax.tree.structure(results["sonnax"]) == jax.tree.structure(results["haiku"])
    jax.tree.map(np.testing.assert_array_equal, results["sonnax"], results["haiku"])


@pytest.mark.parametrize("entry", ENTRIES)
def test_jit_and_grad_equal_eager(entry):
    x = catalogue.inputs(entry)
    model = _model(sonnax, entry)
    params = model.init(INIT_KEY, x)
    eager = model.apply(params, _apply_key(entry), x)
    np.testing.assert_allclose(jax.jit(model.apply)(params, _apply_key(entry), x), eager, rtol=1e-5)
    loss = _scalar_loss(model, entry)
    grads = jax.grad(loss)(params, x)
    jax.tree.map(
        lambda a, b: np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6),
        jax.jit(jax.grad(loss))(params, x),
        grads,
    )
    assert jax.tree.map(jnp.shape, grads) == jax.tree.map(jnp.shape, params)


@pytest.mark.parametrize("entry", ENTRIES)
def test_vmap_over_batch_equals_per_example(entry):
    x = catalogue.inputs(entry)
    model = _model(sonnax, entry)
    params = model.init(INIT_KEY, x)
    batched = jax.vmap(lambda xi: model.apply(params, _apply_key(entry), xi[None]))(x)
    one_by_one = jnp.stack([model.apply(params, _apply_key(entry), xi[None]) for xi in x])
    np.testing.assert_allclose(batched, one_by_one, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("entry", ENTRIES)
def test_pmap_over_devices_equals_single_device(entry):
    devices = jax.local_devices()
    x = catalogue.inputs(entry)
    model = _model(sonnax, entry)
    params = model.init(INIT_KEY, x)
    shards = x.reshape((len(devices), -1) + x.shape[1:])
    apply = jax.pmap(lambda p, xi: model.apply(p, _apply_key(entry), xi), in_axes=(None, 0))
    out = apply(params, shards)
    expected = jnp.stack([model.apply(params, _apply_key(entry), xi) for xi in shards])
    np.testing.assert_allclose(out, expected, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("entry", ENTRIES)
def test_sharded_jit_equals_unsharded(entry):
    mesh = Mesh(np.array(jax.devices()), ("data",))
    x = catalogue.inputs(entry)
    model = _model(sonnax, entry)
    params = model.init(INIT_KEY, x)
    batch = jax.device_put(x, NamedSharding(mesh, PartitionSpec("data")))
    replicated = jax.device_put(params, NamedSharding(mesh, PartitionSpec()))
    out = jax.jit(model.apply)(replicated, _apply_key(entry), batch)
    np.testing.assert_allclose(out, model.apply(params, _apply_key(entry), x), rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("entry", ENTRIES)
def test_bfloat16_matches_haiku(entry):
    x = catalogue.inputs(entry, jnp.bfloat16)
    results = {}
    for lib in (haiku, sonnax):
        model = _model(lib, entry)
        params = model.init(INIT_KEY, x)
        results[lib.__name__] = (params, model.apply(params, _apply_key(entry), x))
    jax.tree.map(np.testing.assert_array_equal, results["sonnax"], results["haiku"])
    assert results["sonnax"][1].dtype == jnp.bfloat16
