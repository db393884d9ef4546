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
    return lib.transform_with_state(lambda x: entry.build(lib)(x))


def _apply_key(entry):
    return APPLY_KEY if entry.needs_rng else None


def _init(model, x):
    return model.init(INIT_KEY, x)


def _scalar_loss(model, entry, state):
    def loss(params, x):
        out, _ = model.apply(params, state, _apply_key(entry), x)
        floats = [leaf for leaf in jax.tree.leaves(out) if jnp.issubdtype(leaf.dtype, jnp.floating)]
        return sum(jnp.sum(leaf.astype(jnp.float32)) for leaf in floats)

    return loss


def _assert_close(actual, expected):
    assert jax.tree.structure(actual) == jax.tree.structure(expected)
    jax.tree.map(
        lambda a, b: np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6), actual, expected
    )


def _stack(trees):
    return jax.tree.map(lambda *leaves: jnp.stack(leaves), *trees)


def _run(lib, entry, x):
    model = _model(lib, entry)
    params, state = _init(model, x)
    return params, state, model.apply(params, state, _apply_key(entry), x)


@pytest.mark.parametrize("entry", ENTRIES)
def test_init_and_apply_match_haiku(entry):
    x = catalogue.inputs(entry)
    ours, theirs = _run(sonnax, entry, x), _run(haiku, entry, x)
    assert jax.tree.structure(ours) == jax.tree.structure(theirs)
    jax.tree.map(np.testing.assert_array_equal, ours, theirs)


@pytest.mark.parametrize("entry", ENTRIES)
def test_jit_and_grad_equal_eager(entry):
    x = catalogue.inputs(entry)
    model = _model(sonnax, entry)
    params, state = _init(model, x)
    eager = model.apply(params, state, _apply_key(entry), x)
    _assert_close(jax.jit(model.apply)(params, state, _apply_key(entry), x), eager)
    loss = _scalar_loss(model, entry, state)
    grads = jax.grad(loss)(params, x)
    _assert_close(jax.jit(jax.grad(loss))(params, x), grads)
    assert jax.tree.map(jnp.shape, grads) == jax.tree.map(jnp.shape, params)


@pytest.mark.parametrize("entry", ENTRIES)
def test_vmap_over_batch_equals_per_example(entry):
    x = catalogue.inputs(entry)
    model = _model(sonnax, entry)
    params, state = _init(model, x)
    apply = lambda xi: model.apply(params, state, _apply_key(entry), xi[None])
    _assert_close(jax.vmap(apply)(x), _stack([apply(xi) for xi in x]))


@pytest.mark.parametrize("entry", ENTRIES)
def test_pmap_over_devices_equals_single_device(entry):
    devices = jax.local_devices()
    x = catalogue.inputs(entry)
    model = _model(sonnax, entry)
    params, state = _init(model, x)
    shards = x.reshape((len(devices), -1) + x.shape[1:])
    apply = lambda p, s, xi: model.apply(p, s, _apply_key(entry), xi)
    out = jax.pmap(apply, in_axes=(None, None, 0))(params, state, shards)
    _assert_close(out, _stack([apply(params, state, xi) for xi in shards]))


@pytest.mark.parametrize("entry", ENTRIES)
def test_sharded_jit_equals_unsharded(entry):
    mesh = Mesh(np.array(jax.devices()), ("data",))
    x = catalogue.inputs(entry)
    model = _model(sonnax, entry)
    params, state = _init(model, x)
    batch = jax.device_put(x, NamedSharding(mesh, PartitionSpec("data")))
    replicated = jax.device_put((params, state), NamedSharding(mesh, PartitionSpec()))
    out = jax.jit(model.apply)(*replicated, _apply_key(entry), batch)
    _assert_close(out, model.apply(params, state, _apply_key(entry), x))


@pytest.mark.parametrize("entry", ENTRIES)
def test_bfloat16_matches_haiku(entry):
    x = catalogue.inputs(entry, jnp.bfloat16)
    ours, theirs = _run(sonnax, entry, x), _run(haiku, entry, x)
    assert jax.tree.map(jnp.result_type, ours) == jax.tree.map(jnp.result_type, theirs)
    jax.tree.map(np.testing.assert_array_equal, ours, theirs)
    out_dtypes = {leaf.dtype for leaf in jax.tree.leaves(ours[2][0])}
    assert jnp.dtype(jnp.bfloat16) in out_dtypes
