"""fast_eval_shape gives the shapes Haiku's gives, inside and outside a transform."""

import haiku
import jax
import jax.numpy as jnp

import sonnax
from tests.helpers import assert_trees_equal


def _shapes(lib):
    f = lib.transform_with_state(lambda x: lib.nets.MLP([4, 3])(x, 0.5, lib.next_rng_key()))
    x = jnp.ones([2, 5])
    params, state = lib.experimental.fast_eval_shape(f.init, jax.random.PRNGKey(0), x)

    def inner(x):
        linear = lib.Linear(2)
        y = linear(x)
        out = lib.experimental.fast_eval_shape(lambda x: linear(x) * 2, x)
        return repr(out), y

    g = lib.transform(inner)
    inner_params = g.init(jax.random.PRNGKey(1), x)
    return params, state, g.apply(inner_params, None, x), inner_params


def test_shapes_and_params_match_haiku():
    ours, theirs = _shapes(sonnax), _shapes(haiku)
    assert jax.tree.map(repr, ours[:3]) == jax.tree.map(repr, theirs[:3])
    assert_trees_equal(ours[3], theirs[3])
