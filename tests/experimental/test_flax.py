"""Flax interop both ways gives the same params and outputs as Haiku's."""

import flax.linen as nn
import haiku
import haiku.experimental.flax
import jax
import jax.numpy as jnp

import sonnax
import sonnax.experimental.flax
from tests.helpers import assert_trees_close, assert_trees_equal


def _linen_model(lib):
    class Model(nn.Module):
        @nn.compact
        def __call__(self, x):
            x = lib.experimental.flax.Module.create(lib.nets.MLP, [4, 3])(x)
            x = nn.Dense(2)(x)
            # With `transform` (not `_with_state`) Haiku fails here: Flax freezes the field.
            inner = lib.transform_with_state(lambda x: lib.Bias()(x))
            return lib.experimental.flax.Module(inner)(x)

    return Model()


def _train_one_step(lib):
    model = _linen_model(lib)
    x = jnp.ones([2, 5])
    variables = model.init(jax.random.PRNGKey(0), x)
    loss = lambda v: jnp.sum(model.apply(v, x) ** 2)  # noqa: E731
    grads = jax.grad(loss)(variables)
    updated = jax.tree.map(lambda p, g: p - 0.1 * g, variables, grads)
    return variables, updated, model.apply(updated, x)


def test_sonnax_inside_linen_trains_like_haiku():
    ours, theirs = _train_one_step(sonnax), _train_one_step(haiku)
    assert_trees_equal(ours[0], theirs[0])
    assert_trees_close(ours[1:], theirs[1:])


def _stateful_linen():
    class Counter(nn.Module):
        @nn.compact
        def __call__(self, x, train):
            count = self.variable("counts", "n", jnp.zeros, [])
            count.value += 1
            x = nn.Dropout(0.5, deterministic=not train)(x)
            return nn.Dense(3)(x) * count.value

    return Counter()


def _lifted(lib):
    def f(x):
        x = lib.Linear(4)(x)
        y = lib.experimental.flax.lift(_stateful_linen(), name="counter")(
            x, train=True, rngs={"dropout": lib.next_rng_key()}
        )
        return lib.experimental.flax.lift(nn.Dense(2), name="dense")(y)

    f = lib.transform_with_state(f)
    x = jnp.ones([2, 5])
    params, state = f.init(jax.random.PRNGKey(0), x)
    out, new_state = f.apply(params, state, jax.random.PRNGKey(1), x)
    return params, state, out, new_state


def test_linen_inside_sonnax_matches_haiku():
    ours, theirs = _lifted(sonnax), _lifted(haiku)
    assert_trees_equal(ours[:2], theirs[:2])
    assert_trees_close(ours[2:], theirs[2:])


def test_flatten_flax_to_haiku_matches_haiku():
    tree = {"a": {"b": {"w": jnp.ones([2])}, "c": jnp.zeros([1])}, "top": jnp.ones([3])}
    assert_trees_equal(
        sonnax.experimental.flax.flatten_flax_to_haiku(tree),
        haiku.experimental.flax.flatten_flax_to_haiku(tree),
    )
