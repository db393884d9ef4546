"""`jax.export` of a transformed apply: serialized, deserialized and called, it equals Haiku's."""

import functools

import haiku
import jax
import jax.numpy as jnp

import sonnax
from tests.helpers import assert_trees_close
from tests.multi_device import problem
from tests.multi_device.problem import KEY, X


def round_trip(f, *args):
    """Export `f` for `args`' shapes, serialize, deserialize; the restored `Exported`."""
    exported = jax.export.export(jax.jit(f))(*args)
    return jax.export.deserialize(exported.serialize())


def mlp(lib):
    return lib.transform(lambda x: lib.nets.MLP([problem.HIDDEN, problem.OUT])(x))


@functools.cache
def mlp_params():
    return jax.jit(mlp(sonnax).init)(KEY, X)


def test_exported_apply_equals_haiku_apply():
    params = mlp_params()
    restored = round_trip(mlp(sonnax).apply, params, None, X)
    assert_trees_close(restored.call(params, None, X), mlp(haiku).apply(params, None, X))


def test_exported_apply_with_a_symbolic_batch_size():
    params = mlp_params()
    batch = jax.export.symbolic_shape(f"b, {problem.IN}")
    restored = round_trip(mlp(sonnax).apply, params, None, jax.ShapeDtypeStruct(batch, jnp.float32))
    for size in (3, problem.BATCH):
        assert_trees_close(
            restored.call(params, None, X[:size]), mlp(haiku).apply(params, None, X[:size])
        )


def counted_batch_norm(lib):
    def f(x, is_training):
        count = lib.get_state("count", [], jnp.int32, init=jnp.zeros)
        lib.set_state("count", count + 1)
        return lib.BatchNorm(True, True, 0.9)(lib.Linear(problem.OUT)(x), is_training)

    return lib.transform_with_state(f)


def test_exported_apply_with_state_equals_haiku_apply():
    params, state = jax.jit(counted_batch_norm(sonnax).init, static_argnums=2)(KEY, X, True)
    ours, theirs = counted_batch_norm(sonnax), counted_batch_norm(haiku)
    training = round_trip(lambda p, s, x: ours.apply(p, s, None, x, True), params, state, X)
    inference = round_trip(lambda p, s, x: ours.apply(p, s, None, x, False), params, state, X)
    out, new_state = training.call(params, state, X)
    expected_out, expected_state = theirs.apply(params, state, None, X, True)
    assert_trees_close((out, new_state), (expected_out, expected_state))
    out, _ = inference.call(params, new_state, X + 1.0)
    assert_trees_close(out, theirs.apply(params, expected_state, None, X + 1.0, False)[0])
