"""Tests for sonnax/_src/layers/dropout.py, with dm-haiku 0.0.17 as the oracle."""

import haiku
import jax
import jax.numpy as jnp
import numpy as np
import pytest

import sonnax
from tests import helpers

KEY = jax.random.PRNGKey(7)
X = jax.random.normal(jax.random.PRNGKey(0), [4, 5, 6])

RATES = {
    "zero": 0.0,
    "small": 0.1,
    "half": 0.5,
    "large": 0.9,
    "float16": np.float16(0.3),
    "array": jnp.asarray(0.25),
}
BROADCAST_DIMS = {"none": (), "first": (0,), "middle": (1,), "two": (0, 2), "last_negative": (-1,)}
DTYPES = {"f32": jnp.float32, "bf16": jnp.bfloat16, "f16": jnp.float16}


@pytest.mark.parametrize("dtype", DTYPES.values(), ids=DTYPES.keys())
@pytest.mark.parametrize("broadcast_dims", BROADCAST_DIMS.values(), ids=BROADCAST_DIMS.keys())
@pytest.mark.parametrize("rate", RATES.values(), ids=RATES.keys())
def test_bit_identical_to_haiku(rate, broadcast_dims, dtype):
    x = X.astype(dtype)
    expected = haiku.dropout(KEY, rate, x, broadcast_dims=broadcast_dims)
    helpers.assert_trees_equal(
        sonnax.dropout(KEY, rate, x, broadcast_dims=broadcast_dims), expected
    )


def test_rate_zero_returns_the_input_itself():
    assert sonnax.dropout(KEY, 0.0, X) is X
    assert haiku.dropout(KEY, 0.0, X) is X


def test_in_a_transform_with_next_rng_key():
    def build(lib, x):
        return lib.dropout(lib.next_rng_key(), 0.5, lib.Linear(3)(x))

    helpers.assert_matches_haiku(build, X, apply_key=jax.random.PRNGKey(3))


@pytest.mark.parametrize("rate", [0.0, 0.5], ids=["zero", "half"])
def test_jit_with_traced_rate(rate):
    def run(lib):
        return jax.jit(lambda key, rate, x: lib.dropout(key, rate, x, broadcast_dims=(1,)))

    helpers.assert_trees_equal(run(sonnax)(KEY, rate, X), run(haiku)(KEY, rate, X))


def test_grad():
    def grad(lib):
        return jax.grad(lambda x: jnp.sum(jnp.sin(lib.dropout(KEY, 0.4, x))))(X)

    helpers.assert_trees_close(grad(sonnax), grad(haiku))


def test_vmap_over_keys_and_inputs():
    keys = jax.random.split(KEY, 3)
    xs = jnp.stack([X, 2 * X, X + 1])

    def run(lib):
        return jax.vmap(lambda key, x: lib.dropout(key, 0.5, x))(keys, xs)

    helpers.assert_trees_equal(run(sonnax), run(haiku))


@pytest.mark.parametrize("rate", [-0.1, 1.0, 1.5], ids=["negative", "one", "above_one"])
def test_rate_out_of_range(rate):
    helpers.assert_raises_like_haiku(
        ValueError,
        r"rate must be in \[0, 1\)",
        rf"`hk.dropout` got rate={rate}",
        lambda lib: lib.dropout(KEY, rate, X),
    )


def test_broadcast_dim_beyond_rank():
    helpers.assert_raises_like_haiku(
        ValueError,
        r"Broadcast dimension does not exist. Got dimension 5 for shape \[4, 5, 6\]",
        r"broadcast_dims must be in \[-3, 3\)",
        lambda lib: lib.dropout(KEY, 0.5, X, broadcast_dims=(5,)),
    )


@pytest.mark.parametrize("dim", [3, -4], ids=["rank", "below_minus_rank"])
def test_broadcast_dim_just_out_of_range(dim):
    # Haiku's bound check lets these through to an `IndexError`; sonnax says what is wrong.
    with pytest.raises(IndexError):
        haiku.dropout(KEY, 0.5, X, broadcast_dims=(dim,))
    with pytest.raises(ValueError, match=rf"Got dimension {dim} for shape \[4, 5, 6\]"):
        sonnax.dropout(KEY, 0.5, X, broadcast_dims=(dim,))
