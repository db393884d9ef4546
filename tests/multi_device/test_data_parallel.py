"""Data- and model-parallel training of a sonnax model equals dm-haiku's on one device."""

import haiku
import jax
import jax.numpy as jnp
import numpy as np
from jax.sharding import NamedSharding
from jax.sharding import PartitionSpec as P

import sonnax
from tests.helpers import assert_trees_close
from tests.multi_device import problem
from tests.multi_device.problem import KEY, NUM_DEVICES, STEPS, X, Y

# Megatron-style: the first layer split over its outputs, the second over its inputs.
MODEL_RULES = [
    (r"^linear/w$", P(None, "model")),
    (r"^linear/b$", P("model")),
    (r"^linear_1/w$", P("model", None)),
    (r"^linear_1/b$", P()),
]


def test_pmap_with_averaged_grads_equals_full_batch_training():
    f = problem.loss_fn(sonnax)

    def step(params, x, y):
        value, grads = jax.value_and_grad(f.apply)(params, x, y)
        grads = jax.lax.pmean(grads, axis_name="batch")
        return problem.sgd(params, grads), jax.lax.pmean(value, axis_name="batch")

    params = problem.sonnax_params()
    replicated = jax.tree.map(lambda p: jnp.broadcast_to(p, (NUM_DEVICES, *p.shape)), params)
    xs, ys = (a.reshape([NUM_DEVICES, -1, a.shape[-1]]) for a in (X, Y))
    parallel_step = jax.pmap(step, axis_name="batch")
    losses = []
    for _ in range(STEPS):
        replicated, value = parallel_step(replicated, xs, ys)
        losses.append(value[0])
    expected_params, expected_losses = problem.haiku_training()
    for device in range(NUM_DEVICES):
        assert_trees_close(jax.tree.map(lambda p, d=device: p[d], replicated), expected_params)
    np.testing.assert_allclose(losses, expected_losses, rtol=1e-5)


def train_with_jit(params, x, y):
    """`STEPS` SGD steps under `jax.jit`, placement left to the inputs' shardings."""
    f = problem.loss_fn(sonnax)

    @jax.jit
    def step(params, x, y):
        value, grads = jax.value_and_grad(f.apply)(params, x, y)
        return problem.sgd(params, grads), value

    losses = []
    for _ in range(STEPS):
        params, value = step(params, x, y)
        losses.append(value)
    return params, losses


def assert_placed(tree, shardings):
    for leaf, sharding in zip(jax.tree.leaves(tree), jax.tree.leaves(shardings), strict=True):
        assert leaf.sharding.is_equivalent_to(sharding, leaf.ndim), (leaf.sharding, sharding)


def test_jit_with_batch_sharded_and_params_replicated():
    mesh = problem.data_mesh()
    params = problem.sonnax_params()
    replicated = sonnax.sharding.named_shardings(params, mesh, [], default=P())
    batch = NamedSharding(mesh, P("data"))
    params, losses = train_with_jit(
        jax.device_put(params, replicated), jax.device_put(X, batch), jax.device_put(Y, batch)
    )
    assert_placed(params, replicated)
    assert losses[-1].sharding.is_fully_replicated
    expected_params, expected_losses = problem.haiku_training()
    assert_trees_close(params, expected_params)
    np.testing.assert_allclose(losses, expected_losses, rtol=1e-5)


def test_jit_with_params_sharded_along_model_axis():
    mesh = problem.data_model_mesh()
    f = problem.loss_fn(sonnax)
    params = sonnax.sharding.init_sharded(f.init, mesh, MODEL_RULES, KEY, X, Y)
    shardings = sonnax.sharding.named_shardings(params, mesh, MODEL_RULES)
    assert_placed(params, shardings)
    assert params["linear"]["w"].sharding.shard_shape(params["linear"]["w"].shape) == (6, 4)
    batch = NamedSharding(mesh, P("data"))
    params, losses = train_with_jit(params, jax.device_put(X, batch), jax.device_put(Y, batch))
    assert_placed(params, shardings)
    expected_params, expected_losses = problem.haiku_training()
    assert_trees_close(params, expected_params)
    np.testing.assert_allclose(losses, expected_losses, rtol=1e-5)


def forward(lib):
    def f(x):
        hidden = jax.nn.relu(lib.Linear(problem.HIDDEN)(x))
        return lib.Linear(problem.OUT)(hidden)

    return lib.without_apply_rng(lib.transform(f))


def test_sharded_apply_output_is_batch_sharded():
    mesh = problem.data_model_mesh()
    f = forward(sonnax)
    params = sonnax.sharding.init_sharded(f.init, mesh, MODEL_RULES, KEY, X)
    out = jax.jit(f.apply)(params, jax.device_put(X, NamedSharding(mesh, P("data"))))
    assert out.sharding.is_equivalent_to(NamedSharding(mesh, P("data")), out.ndim)
    expected = forward(haiku).apply(jax.device_get(params), X)
    assert_trees_close(out, expected)
