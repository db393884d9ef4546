"""Every catalogue module under jit, grad, vmap, pmap, sharded jit and bfloat16.

Nearly all of the time here is XLA compiling: every eager op, and every eager `lax.scan` (a
fresh body each call), is one compile. So each entry's model, its eager float32 init and
apply, and its jitted apply are made once per process and shared by the checks below; what
each check compares is unchanged.
"""

import functools

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


@functools.cache
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


@functools.cache
def _eager(entry):
    """sonnax's eager `(params, state, apply output)` on the float32 input, made once."""
    return _run(sonnax, entry, catalogue.inputs(entry))


@functools.cache
def _jitted_apply(entry):
    """`jax.jit` of sonnax's apply: one function, so one compile per input shape."""
    return jax.jit(_model(sonnax, entry).apply)


@pytest.mark.parametrize("entry", ENTRIES)
def test_init_and_apply_match_haiku(entry):
    ours, theirs = _eager(entry), _run(haiku, entry, catalogue.inputs(entry))
    assert jax.tree.structure(ours) == jax.tree.structure(theirs)
    jax.tree.map(np.testing.assert_array_equal, ours, theirs)


@pytest.mark.parametrize("entry", ENTRIES)
def test_jit_and_grad_equal_eager(entry):
    x = catalogue.inputs(entry)
    model = _model(sonnax, entry)
    params, state, eager = _eager(entry)
    _assert_close(_jitted_apply(entry)(params, state, _apply_key(entry), x), eager)
    loss = _scalar_loss(model, entry, state)
    grads = jax.grad(loss)(params, x)
    _assert_close(jax.jit(jax.grad(loss))(params, x), grads)
    assert jax.tree.map(jnp.shape, grads) == jax.tree.map(jnp.shape, params)


@pytest.mark.parametrize("entry", ENTRIES)
def test_vmap_over_batch_equals_per_example(entry):
    x = catalogue.inputs(entry)
    model = _model(sonnax, entry)
    params, state, _ = _eager(entry)
    apply = lambda xi: model.apply(params, state, _apply_key(entry), xi[None])
    # The reference runs each example alone, jitted: eager, each call of an unroll's scan
    # would compile anew (jit equals eager is checked above).
    per_example = [_jitted_apply(entry)(params, state, _apply_key(entry), xi[None]) for xi in x]
    _assert_close(jax.jit(jax.vmap(apply))(x), _stack(per_example))


@pytest.mark.parametrize("entry", ENTRIES)
def test_pmap_over_devices_equals_single_device(entry):
    devices = jax.local_devices()
    x = catalogue.inputs(entry)
    model = _model(sonnax, entry)
    params, state, _ = _eager(entry)
    shards = x.reshape((len(devices), -1) + x.shape[1:])
    apply = lambda p, s, xi: model.apply(p, s, _apply_key(entry), xi)
    out = jax.pmap(apply, in_axes=(None, None, 0))(params, state, shards)
    # The reference: each shard alone on one device, jitted as in the vmap check above.
    single = [_jitted_apply(entry)(params, state, _apply_key(entry), xi) for xi in shards]
    _assert_close(out, _stack(single))


@pytest.mark.parametrize("entry", ENTRIES)
def test_sharded_jit_equals_unsharded(entry):
    mesh = Mesh(np.array(jax.devices()), ("data",))
    x = catalogue.inputs(entry)
    model = _model(sonnax, entry)
    params, state, unsharded = _eager(entry)
    batch = jax.device_put(x, NamedSharding(mesh, PartitionSpec("data")))
    replicated = jax.device_put((params, state), NamedSharding(mesh, PartitionSpec()))
    out = jax.jit(model.apply)(*replicated, _apply_key(entry), batch)
    _assert_close(out, unsharded)


@pytest.mark.parametrize("entry", ENTRIES)
def test_bfloat16_matches_haiku(entry):
    x = catalogue.inputs(entry, jnp.bfloat16)
    ours, theirs = _run(sonnax, entry, x), _run(haiku, entry, x)
    assert jax.tree.map(jnp.result_type, ours) == jax.tree.map(jnp.result_type, theirs)
    jax.tree.map(np.testing.assert_array_equal, ours, theirs)
    out_dtypes = {leaf.dtype for leaf in jax.tree.leaves(ours[2][0])}
    assert jnp.dtype(jnp.bfloat16) in out_dtypes
