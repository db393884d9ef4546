"""fast_eval_shape gives the shapes Haiku's gives, inside and outside a transform."""

import haiku
import jax
import jax.numpy as jnp

import sonnax


def _shapes(lib):
    f = lib.transform_with_state(lambda x: lib.nets.MLP([4, 3])(x, 0.5, lib.next_rng_key()))
    x = jnp.ones([2, 5])
    params, state = lib.experimental.fast_eval_shape(f.init, jax.random.PRNGKey(0), x)

    def inner(x):
        out = lib.experimental.fast_eval_shape(lib.Linear(6), x)
        return out.shape, lib.Linear(2)(x)

    g = lib.transform(inner)
    inner_params = g.init(jax.random.PRNGKey(1), x)
    return params, state, g.apply(inner_params, None, x)[0], inner_params


def test_shapes_and_params_match_haiku():
    ours, theirs = _shapes(sonnax), _shapes(haiku)
    assert jax.tree.map(repr, ours[:3]) == jax.tree.map(repr, theirs[:3])
    assert jax.tree.map(jnp.shape, ours[3]) == jax.tree.map(jnp.shape, theirs[3])
