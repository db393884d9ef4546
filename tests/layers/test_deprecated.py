"""Tests for sonnax/_src/layers/deprecated.py, with dm-haiku 0.0.17 as the oracle.

Both functions return integer or one-hot values, so there is no gradient to compare.
"""

import haiku
import jax
import jax.numpy as jnp
import pytest

import sonnax
from tests import helpers

KEY = jax.random.PRNGKey(3)
INDICES = {
    "scalar": jnp.asarray(2),
    "vector": jnp.arange(4),
    "matrix": jnp.asarray([[0, 3], [1, 1], [2, 0]]),
    "out_of_range": jnp.asarray([-1, 4, 9]),
}
DTYPES = {"default": None, "int32": jnp.int32, "bf16": jnp.bfloat16}


@pytest.mark.parametrize("dtype", DTYPES.values(), ids=DTYPES.keys())
@pytest.mark.parametrize("x", INDICES.values(), ids=INDICES.keys())
def test_one_hot_matches_haiku(x, dtype):
    kwargs = {} if dtype is None else {"dtype": dtype}
    expected = haiku.one_hot(x, 5, **kwargs)
    helpers.assert_trees_equal(sonnax.one_hot(x, 5, **kwargs), expected)


def test_one_hot_jit_and_vmap():
    x = INDICES["matrix"]
    jitted = jax.jit(sonnax.one_hot, static_argnums=1)
    helpers.assert_trees_equal(jitted(x, 4), haiku.one_hot(x, 4))
    vmapped = jax.vmap(lambda row: sonnax.one_hot(row, 4))
    helpers.assert_trees_equal(vmapped(x), jax.vmap(lambda row: haiku.one_hot(row, 4))(x))


LOGITS = {
    "rank_1": jnp.log(jnp.asarray([0.1, 0.2, 0.7])),
    "rank_2": jax.random.normal(jax.random.PRNGKey(0), [4, 6]),
    "rank_3": jax.random.normal(jax.random.PRNGKey(1), [2, 3, 5]),
}


@pytest.mark.parametrize("num_samples", [1, 3], ids=["one_sample", "three_samples"])
@pytest.mark.parametrize("logits", LOGITS.values(), ids=LOGITS.keys())
def test_multinomial_matches_haiku(logits, num_samples):
    expected = haiku.multinomial(KEY, logits, num_samples)
    actual = sonnax.multinomial(KEY, logits, num_samples)
    assert actual.shape == logits.shape[:-1] + (num_samples,)
    helpers.assert_trees_equal(actual, expected)


@pytest.mark.parametrize("num_samples", [1, 3], ids=["one_sample", "three_samples"])
def test_multinomial_jit_and_vmap(num_samples):
    logits = LOGITS["rank_2"]
    jitted = jax.jit(sonnax.multinomial, static_argnums=2)
    expected = haiku.multinomial(KEY, logits, num_samples)
    helpers.assert_trees_equal(jitted(KEY, logits, num_samples), expected)
    keys = jax.random.split(KEY, 3)

    def vmapped(lib):
        return jax.vmap(lambda key: lib.multinomial(key, logits, num_samples))(keys)

    helpers.assert_trees_equal(vmapped(sonnax), vmapped(haiku))
