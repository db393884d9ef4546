"""Tests for sonnax/_src/nets/mlp.py, with dm-haiku 0.0.17 as the oracle."""

import haiku
import jax
import jax.numpy as jnp
import pytest

import sonnax
from tests import helpers

X = jax.random.normal(jax.random.PRNGKey(0), [3, 5])
APPLY_KEY = jax.random.PRNGKey(1)

CONFIGS = {
    "default": {},
    "one_layer": {"output_sizes": [2]},
    "no_layers": {"output_sizes": []},
    "activate_final": {"activate_final": True},
    "without_bias": {"with_bias": False},
    "custom_inits": {"w_init": "uniform", "b_init": "normal"},
    "tanh": {"activation": jnp.tanh},
    "named": {"name": "encoder"},
}


def _mlp(lib, config):
    config = {"output_sizes": [4, 3, 2], **config}
    if config.get("w_init") == "uniform":
        config["w_init"] = lib.initializers.RandomUniform(-0.5, 0.5)
    if config.get("b_init") == "normal":
        config["b_init"] = lib.initializers.RandomNormal(stddev=0.1)
    return lib.nets.MLP(**config)


@pytest.mark.parametrize("config", CONFIGS.values(), ids=CONFIGS.keys())
def test_matches_haiku(config):
    helpers.assert_matches_haiku(lambda lib, x: _mlp(lib, config)(x), X)


def test_parameter_names():
    params, _ = helpers.assert_matches_haiku(lambda lib, x: _mlp(lib, {})(x), X)
    assert sorted(params) == ["mlp/~/linear_0", "mlp/~/linear_1", "mlp/~/linear_2"]


@pytest.mark.parametrize(
    "config", [{}, {"activate_final": True}], ids=["default", "activate_final"]
)
@pytest.mark.parametrize("rate", [0.0, 0.5], ids=["rate_zero", "rate_half"])
def test_dropout_matches_haiku(rate, config):
    def build(lib, x):
        return _mlp(lib, config)(x, dropout_rate=rate, rng=lib.next_rng_key())

    helpers.assert_matches_haiku(build, X, apply_key=APPLY_KEY)


def test_dropout_with_fixed_key_under_jit_and_vmap():
    def build(lib, x):
        return _mlp(lib, {})(x, dropout_rate=0.3, rng=APPLY_KEY)

    helpers.assert_jit_and_vmap_match(build, X)


REVERSES = {
    "default": ({}, {}),
    "activate_final": ({}, {"activate_final": True}),
    "inherits_activate_final": ({"activate_final": True}, {}),
    "named": ({"name": "encoder"}, {}),
    "renamed": ({}, {"name": "decoder"}),
    "without_bias": ({"with_bias": False}, {}),
    "custom_inits": ({"w_init": "uniform", "b_init": "normal"}, {}),
}


@pytest.mark.parametrize("config, reverse_kwargs", REVERSES.values(), ids=REVERSES.keys())
def test_reverse_matches_haiku(config, reverse_kwargs):
    def build(lib, x):
        mlp = _mlp(lib, config)
        hidden = mlp(x)
        return mlp.reverse(**reverse_kwargs)(hidden)

    _, out = helpers.assert_matches_haiku(build, X)
    assert out.shape == X.shape


@pytest.mark.parametrize(
    "config", [{}, {"activate_final": True}], ids=["default", "activate_final"]
)
def test_jit_and_vmap(config):
    helpers.assert_jit_and_vmap_match(lambda lib, x: _mlp(lib, config)(x), X)


def test_reverse_jit_and_vmap():
    def build(lib, x):
        mlp = _mlp(lib, {})
        hidden = mlp(x)
        return mlp.reverse()(hidden)

    helpers.assert_jit_and_vmap_match(build, X)


def test_attributes_and_layer_reprs_match_haiku():
    seen = {}

    def record(lib, x):
        mlp = _mlp(lib, {"name": "net"})
        out = mlp(x)
        reverse = mlp.reverse()
        seen[lib.__name__] = (
            mlp.output_size,
            [repr(layer) for layer in mlp.layers],
            [layer.module_name for layer in mlp.layers],
            reverse.name,
            [layer.output_size for layer in reverse.layers],
        )
        return out

    helpers.both(record, helpers.KEY, X)
    assert seen["sonnax"] == seen["haiku"]


def _init(build):
    return lambda lib: lib.transform(lambda: build(lib)).init(helpers.KEY)


def _reverse_before_call(lib):
    return _mlp(lib, {"output_sizes": [4, 2]}).reverse()


ERRORS = {
    "b_init_without_bias": (
        lambda lib: lib.nets.MLP([2], with_bias=False, b_init=jnp.ones),
        "When with_bias=False b_init must not be set",
        r"MLP 'mlp' got b_init=.*Drop b_init, or set with_bias=True",
    ),
    "dropout_without_rng": (
        lambda lib: _mlp(lib, {})(X, dropout_rate=0.5),
        "When using dropout an rng key must be passed",
        r"module 'mlp' got dropout_rate=0.5 and rng=None",
    ),
    "rng_without_dropout": (
        lambda lib: _mlp(lib, {})(X, rng=APPLY_KEY),
        "RNG should only be passed when using dropout",
        r"module 'mlp' got an rng but dropout_rate=None",
    ),
    "reverse_before_call": (
        _reverse_before_call,
        "You cannot reverse an MLP until it has been called",
        r"module 'mlp' knows the input size of 0 of its 2 layers",
    ),
}


@pytest.mark.parametrize("build, phrase, context", ERRORS.values(), ids=ERRORS.keys())
def test_errors(build, phrase, context):
    helpers.assert_raises_like_haiku(ValueError, phrase, context, _init(build))


def test_dropout_without_rng_names_nested_module_path():
    def f(x):
        with sonnax.name_scope("encoder"):
            return sonnax.nets.MLP([2])(x, dropout_rate=0.1)

    with pytest.raises(ValueError, match="module 'encoder/mlp'"):
        sonnax.transform(f).init(helpers.KEY, X)
    with pytest.raises(ValueError, match="rng key must be passed"):
        haiku.transform(lambda x: haiku.nets.MLP([2])(x, dropout_rate=0.1)).init(helpers.KEY, X)
