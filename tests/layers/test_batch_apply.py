"""Tests for sonnax/_src/layers/batch_apply.py, with dm-haiku 0.0.17 as the oracle."""

import haiku
import jax
import jax.numpy as jnp
import numpy as np
import pytest

import sonnax
from tests import helpers

X = jax.random.normal(jax.random.PRNGKey(0), [2, 3, 4, 5])


@pytest.mark.parametrize("num_dims", [1, 2, 3], ids=lambda n: f"num_dims_{n}")
def test_linear_matches_haiku(num_dims):
    helpers.assert_matches_haiku(lambda lib, x: lib.BatchApply(lib.Linear(6), num_dims)(x), X)


def test_extra_arguments_and_pytree_outputs():
    def f(lib, x, y, scale, *, shift):
        h = lib.Linear(6)(x)
        return {"h": h * scale + shift, "y": y}

    def build(lib, x, y):
        apply = lib.BatchApply(lambda x, y, s, shift: f(lib, x, y, s, shift=shift), num_dims=2)
        return apply(x, y, 2.0, shift=jnp.ones([6]))

    helpers.assert_matches_haiku(build, X, jnp.arange(6.0).reshape(2, 3))


def test_low_rank_and_none_inputs_pass_unchanged():
    seen = {}

    def f(lib, none, scalar, x):
        seen[lib.__name__] = (none, scalar, x.shape)
        return lib.Linear(2)(x) + scalar

    def build(lib, x):
        return lib.BatchApply(lambda *a: f(lib, *a))(None, 3.0, x)

    helpers.assert_matches_haiku(build, X)
    assert seen["sonnax"] == seen["haiku"] == (None, 3.0, (6, 4, 5))


def test_numpy_inputs_stay_numpy():
    def record(x):
        types[type(x)] = types.get(type(x), 0) + 1
        return jnp.asarray(x)

    x = np.ones([2, 3, 4])
    for lib in (haiku, sonnax):
        types = {}
        out = lib.BatchApply(record)(x)
        assert types == {np.ndarray: 1} and out.shape == (2, 3, 4)


def test_jit_and_vmap():
    helpers.assert_jit_and_vmap_match(lambda lib, x: lib.BatchApply(lib.Linear(6))(x), X)


def test_requires_an_input_of_enough_rank():
    def trigger(lib):
        lib.BatchApply(jnp.sum, num_dims=3)(jnp.ones([2, 3]), 1.0)

    helpers.assert_raises_like_haiku(
        ValueError,
        "BatchApply requires at least one input with ndim >= 3",
        r"shapes \[\(2, 3\), \(\)\]",
        trigger,
    )


AXES = {
    "axis_0": (0, lambda lib: lib.Linear(3), [4]),
    "axis_minus_1": (-1, lambda lib: lib.Linear(1), [4]),
    "axis_0_sequential": (0, lambda lib: lib.Sequential([lib.Linear(3), jnp.tanh]), [5]),
}


@pytest.mark.parametrize("axis, make, shape", AXES.values(), ids=AXES.keys())
def test_expand_apply_matches_haiku(axis, make, shape):
    x = jax.random.normal(jax.random.PRNGKey(1), shape)
    helpers.assert_matches_haiku(lambda lib, x: lib.expand_apply(make(lib), axis)(x), x)


def test_expand_apply_jit_and_vmap():
    x = jax.random.normal(jax.random.PRNGKey(1), [4])
    helpers.assert_jit_and_vmap_match(lambda lib, x: lib.expand_apply(lib.Linear(3))(x), x)


def test_expand_apply_keeps_the_function_name():
    def first_row(x):
        return x[0]

    assert sonnax.expand_apply(first_row).__name__ == "first_row"
    assert sonnax.expand_apply(first_row).__wrapped__ is first_row


def test_expand_apply_only_supports_first_and_last_axis():
    helpers.assert_raises_like_haiku(
        ValueError,
        "expand_apply currently only supports axis=0 or axis=-1",
        "got axis=1",
        lambda lib: lib.expand_apply(jnp.sum, axis=1),
    )
