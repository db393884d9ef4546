"""Tests for sonnax/_src/layers/reshape.py, with dm-haiku 0.0.17 as the oracle."""

import haiku
import jax
import jax.numpy as jnp
import numpy as np
import pytest

import sonnax
from tests import helpers

B, H, W, C, D = range(1, 6)
X = jax.random.normal(jax.random.PRNGKey(0), [B, H, W, C, D])

RESHAPES = {
    "infer_middle": ((-1, D), 1),
    "preserve_2": ((-1, D), 2),
    "preserve_3": ((-1, D), 3),
    "preserve_4_adds_dim": ((-1, D), 4),
    "preserve_all_is_identity": ((-1, D), 5),
    "negative_preserve": ((-1, D), -3),
    "negative_preserve_beyond_rank": ((-1,), -7),
    "explicit": ((H * W, C * D), 1),
    "infer_first": ((-1, 2, 5), 2),
}


@pytest.mark.parametrize("output_shape, preserve_dims", RESHAPES.values(), ids=RESHAPES.keys())
def test_reshape_matches_haiku(output_shape, preserve_dims):
    def build(lib, x):
        return lib.Reshape(output_shape=output_shape, preserve_dims=preserve_dims)(x)

    params, out = helpers.assert_matches_haiku(build, X)
    assert params == {}


FLATTENS = {
    "default": ([3, 2, 4], {}),
    "preserve_2": ([3, 2, 4, 5], {"preserve_dims": 2}),
    "negative": ([3, 2, 4], {"preserve_dims": -2}),
    "negative_unbatched": ([2, 4], {"preserve_dims": -2}),
    "1d_unchanged": ([3], {}),
    "named": ([3, 2, 4], {"name": "flat"}),
}


@pytest.mark.parametrize("shape, kwargs", FLATTENS.values(), ids=FLATTENS.keys())
def test_flatten_matches_haiku(shape, kwargs):
    x = jax.random.normal(jax.random.PRNGKey(1), shape)
    helpers.assert_matches_haiku(lambda lib, x: lib.Flatten(**kwargs)(x), x)


def test_numpy_input():
    x = np.arange(24.0).reshape(2, 3, 4)
    (_, expected), (_, actual) = helpers.both(lambda lib, x: lib.Flatten()(x), None, x)
    helpers.assert_trees_equal(actual, expected)


@pytest.mark.parametrize(
    "make",
    [lambda lib: lib.Reshape((-1, D), 2), lambda lib: lib.Flatten()],
    ids=["reshape", "flatten"],
)
def test_jit_and_vmap(make):
    helpers.assert_jit_and_vmap_match(lambda lib, x: make(lib)(x), X)


def _init(make, x):
    return lambda lib: lib.transform(lambda: make(lib)(x)).init(None)


ERRORS = {
    "zero_preserve_dims": (
        ValueError,
        lambda lib: lib.Reshape((-1,), preserve_dims=0),
        "Argument preserve_dims should be non-zero",
        r"module 'reshape' got 0",
    ),
    "flatten_zero_preserve_dims": (
        ValueError,
        lambda lib: lib.Flatten(preserve_dims=0),
        "Argument preserve_dims should be non-zero",
        r"module 'flatten' got 0",
    ),
    "two_wildcards": (
        ValueError,
        lambda lib: lib.Reshape([-1, -1]),
        "-1 can only occur once in `output_shape`",
        r"'reshape' got output_shape=\(-1, -1\)",
    ),
    "wildcard_does_not_divide": (
        TypeError,
        lambda lib: lib.Reshape((-1, 4)),
        r"cannot reshape array of shape \(2, 3, 5\)",
        r"'reshape'.*15 elements after the first 1 dimension\(s\).*output_shape=\(-1, 4\)",
    ),
    "size_mismatch": (
        TypeError,
        lambda lib: lib.Reshape((7,)),
        r"cannot reshape array of shape \(2, 3, 5\)",
        r"'reshape'.*15 elements.*output_shape=\(7,\)",
    ),
    "float_size": (
        TypeError,
        lambda lib: lib.Reshape((-1, 2.5)),
        "Shapes must be 1D sequences of concrete values of integer type",
        r"module 'reshape' got output_shape=\(-1, 2.5\)",
    ),
    "not_a_size": (
        TypeError,
        lambda lib: lib.Reshape((7, "string")),
        "Shapes must be 1D sequences of concrete values of integer type",
        r"module 'reshape' got output_shape=\(7, 'string'\)",
    ),
}


@pytest.mark.parametrize("error, make, phrase, context", ERRORS.values(), ids=ERRORS.keys())
def test_errors(error, make, phrase, context):
    x = jnp.ones([2, 3, 5])
    helpers.assert_raises_like_haiku(error, phrase, context, _init(make, x))


def test_haiku_and_sonnax_infer_the_same_shape_for_numpy_dims():
    # Inferred sizes are plain ints in sonnax, so the output shape prints cleanly.
    out = sonnax.transform(lambda x: sonnax.Reshape((-1, D))(x)).apply({}, None, X)
    expected = haiku.transform(lambda x: haiku.Reshape((-1, D))(x)).apply({}, None, X)
    assert out.shape == expected.shape
    assert all(type(d) is int for d in out.shape)


# Haiku's own reshape divides 0 by 0 here (numpy warns); sonnax does not.
@pytest.mark.filterwarnings("ignore:divide by zero:RuntimeWarning:haiku")
@pytest.mark.parametrize("output_shape", [(0, -1), (2, -1), (-1, 0)], ids=str)
def test_zero_size_inputs_match_haiku(output_shape):
    x = jnp.ones([3, 0])
    shapes = [
        lib.transform(lambda x, lib=lib: lib.Reshape(output_shape)(x)).apply({}, None, x).shape
        for lib in (haiku, sonnax)
    ]
    assert shapes[0] == shapes[1]
