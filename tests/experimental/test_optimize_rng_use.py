"""optimize_rng_use reserves the same keys as Haiku's, so params are identical."""

import haiku
import jax
import jax.numpy as jnp
import pytest

import sonnax
from tests.helpers import assert_trees_equal


def _dropout_mlp(lib, x):
    x = lib.nets.MLP([4, 3])(x)
    with lib.with_rng(jax.random.PRNGKey(7)):
        x = lib.dropout(lib.next_rng_key(), 0.5, x)
    return lib.dropout(lib.next_rng_key(), 0.5, x)


def _run(lib, reserve_size):
    def f(x):
        y = lib.experimental.optimize_rng_use(lambda x: _dropout_mlp(lib, x))(x)
        return y + jax.random.uniform(lib.next_rng_key(), y.shape)

    previous = lib.experimental.rng_reserve_size(reserve_size)
    try:
        f = lib.transform(f)
        x = jnp.ones([2, 5])
        params = f.init(jax.random.PRNGKey(1), x)
        return params, f.apply(params, jax.random.PRNGKey(2), x)
    finally:
        lib.experimental.rng_reserve_size(previous)


@pytest.mark.parametrize("reserve_size", [1, 3])
def test_params_and_outputs_match_haiku(reserve_size):
    assert_trees_equal(_run(sonnax, reserve_size), _run(haiku, reserve_size))


def test_outside_transform_raises_like_haiku():
    for lib in (haiku, sonnax):
        with pytest.raises(ValueError, match="must be used as part of an `hk.transform`"):
            lib.experimental.optimize_rng_use(lambda: None)()
