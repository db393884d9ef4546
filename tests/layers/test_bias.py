"""Tests for sonnax/_src/layers/bias.py, with dm-haiku 0.0.17 as the oracle."""

import haiku
import jax
import jax.numpy as jnp
import pytest

import sonnax
from tests import helpers

X = jax.random.normal(jax.random.PRNGKey(0), [2, 3, 4, 5])

CONFIGS = {
    "default": {},
    "scalar": {"bias_dims": []},
    "last_dim": {"bias_dims": [-1]},
    "first_dim": {"bias_dims": [1]},
    "dims_1_and_3": {"bias_dims": [1, 3]},
    "negative_out_of_order": {"bias_dims": [-1, -2]},
    "negative_wrapping": {"bias_dims": [-5]},
    "output_size": {"output_size": (3, 4, 5)},
    "random_init": {"b_init": "random_normal"},
    "named": {"name": "my_bias"},
}


def _kwargs(lib, config):
    config = dict(config)
    if config.get("b_init") == "random_normal":
        config["b_init"] = lib.initializers.RandomNormal(stddev=0.5)
    return config


@pytest.mark.parametrize("config", CONFIGS.values(), ids=CONFIGS.keys())
def test_matches_haiku(config):
    helpers.assert_matches_haiku(lambda lib, x: lib.Bias(**_kwargs(lib, config))(x), X)


@pytest.mark.parametrize(
    "multiplier", [-1, 0.5, jnp.arange(5.0)], ids=["minus_one", "half", "array"]
)
def test_multiplier_matches_haiku(multiplier):
    def build(lib, x):
        return lib.Bias(b_init=lib.initializers.RandomNormal())(x, multiplier=multiplier)

    helpers.assert_matches_haiku(build, X)


def test_subtract_then_add_reuses_one_parameter():
    def build(lib, x):
        bias = lib.Bias(b_init=lib.initializers.RandomNormal())
        return bias(bias(x, multiplier=-1))

    params, out = helpers.assert_matches_haiku(build, X)
    assert list(params) == ["bias"]
    helpers.assert_trees_close(out, X)


def test_list_output_size_is_accepted():
    # Haiku compares a list `output_size` with the shape tuple and always raises; sonnax
    # accepts it and behaves as Haiku does with the equal tuple.
    expected_params, expected = helpers.run(
        haiku, lambda lib, x: lib.Bias(output_size=(3, 4, 5))(x), helpers.KEY, X
    )
    params, out = helpers.run(
        sonnax, lambda lib, x: lib.Bias(output_size=[3, 4, 5])(x), helpers.KEY, X
    )
    helpers.assert_trees_equal(params, expected_params)
    helpers.assert_trees_equal(out, expected)


def test_bias_shape_and_input_size_attributes():
    def record(lib, x):
        bias = lib.Bias(bias_dims=[1, 3])
        out = bias(x)
        seen[lib.__name__] = (bias.bias_shape, bias.input_size)
        return out

    seen = {}
    helpers.both(record, helpers.KEY, X)
    assert seen["sonnax"] == seen["haiku"]


@pytest.mark.parametrize("config", [{}, {"bias_dims": [1, -1]}], ids=["default", "bias_dims"])
def test_jit_and_vmap(config):
    helpers.assert_jit_and_vmap_match(lambda lib, x: lib.Bias(**config)(x), X)


def _init(config, x):
    return lambda lib: lib.transform(lambda: lib.Bias(**config)(x)).init(None)


ERRORS = {
    "rank_1": (
        {},
        jnp.ones([3]),
        "must have rank >= 2",
        r"'bias'.*shape \(3,\) of rank 1",
    ),
    "wrong_output_size": (
        {"output_size": (4,)},
        jnp.ones([2, 2, 2]),
        r"Input shape must be \(-1, 4\) not \(2, 2, 2\)",
        r"'bias' was built with output_size=\(4,\).*shape \(2, 2\)",
    ),
    "batch_dim": (
        {"bias_dims": [0]},
        jnp.ones([2, 3]),
        "Cannot apply bias across the minibatch dimension",
        r"'bias' got bias_dims=\(0,\).*shape \(2, 3\)",
    ),
    "out_of_range": (
        {"bias_dims": [1, 5]},
        jnp.ones([1, 2, 3]),
        r"Dimension 5 \(bias_dims=\(1, 5\)\) out of range for input of rank 3",
        r"'bias'.*input shape \(1, 2, 3\)",
    ),
}


@pytest.mark.parametrize("config, x, phrase, context", ERRORS.values(), ids=ERRORS.keys())
def test_errors(config, x, phrase, context):
    helpers.assert_raises_like_haiku(ValueError, phrase, context, _init(config, x))


@pytest.mark.parametrize("dtype", [jnp.bfloat16, jnp.float16], ids=["bf16", "f16"])
def test_parameter_dtype_follows_inputs(dtype):
    def build(lib, x):
        return lib.Bias(b_init=lib.initializers.RandomNormal())(x)

    params, _ = helpers.assert_matches_haiku(build, X.astype(dtype))
    assert params["bias"]["b"].dtype == dtype
