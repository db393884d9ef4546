"""Tests for sonnax/_src/layers/moving_averages.py, with dm-haiku 0.0.17 as the oracle."""

import haiku
import jax
import jax.numpy as jnp
import pytest

import sonnax
from tests import helpers

X = jax.random.normal(jax.random.PRNGKey(0), [3, 4])

CONFIGS = {
    "default": {"decay": 0.9},
    "no_debias": {"decay": 0.9, "zero_debias": False},
    "warmup": {"decay": 0.5, "zero_debias": False, "warmup_length": 2},
    "array_decay": {"decay": jnp.asarray(0.7)},
}


def _steps(config, count, update_stats=True):
    """Calls one EMA `count` times with shifted inputs; returns every average."""

    def build(lib, x):
        ema = lib.ExponentialMovingAverage(**config)
        return [ema(x + i, update_stats=update_stats) for i in range(count)]

    return build


@pytest.mark.parametrize("config", CONFIGS.values(), ids=CONFIGS.keys())
def test_matches_haiku(config):
    helpers.assert_matches_haiku_with_state(_steps(config, 4), X)


def test_state_carried_across_applies_matches_haiku():
    def run(lib):
        f = lib.transform_with_state(lambda x: _steps(CONFIGS["warmup"], 1)(lib, x))
        _, state = f.init(None, X)
        outs = []
        for i in range(4):
            out, state = f.apply({}, state, None, X * i)
            outs.append(out)
        return outs, state

    helpers.assert_trees_close(run(sonnax), run(haiku))


def test_update_stats_false_keeps_state():
    _, state, (_, new_state) = helpers.assert_matches_haiku_with_state(
        _steps(CONFIGS["default"], 2, update_stats=False), X
    )
    helpers.assert_trees_equal(new_state, state)


def test_python_scalar_value_and_average_property():
    def build(lib, x):
        ema = lib.ExponentialMovingAverage(0.8)
        ema(2.0)
        ema(x.sum())
        return ema.average

    helpers.assert_matches_haiku_with_state(build, X)


def test_initialize_matches_haiku():
    def build(lib, x):
        ema = lib.ExponentialMovingAverage(0.8, name="ema")
        ema.initialize(x.shape, jnp.bfloat16)
        ema.initialize([9])  # Existing state is kept.
        return ema.average

    helpers.assert_matches_haiku_with_state(build, X)


def test_initialize_with_value_is_deprecated():
    def build(lib, x):
        ema = lib.ExponentialMovingAverage(0.8)
        ema.initialize(x)
        return ema.average

    for lib in (haiku, sonnax):
        with pytest.warns(DeprecationWarning, match="instead of a shape/dtype is deprecated"):
            _, state, _ = helpers.run_with_state(lib, build, None, X)
        assert state["exponential_moving_average"]["hidden"].shape == X.shape


def test_jit_and_vmap():
    helpers.assert_jit_and_vmap_match_with_state(_steps(CONFIGS["warmup"], 3), X)
    helpers.assert_jit_and_vmap_match_with_state(
        lambda lib, x: lib.EMAParamsTree(0.5)({"m": {"w": x}}), X
    )


TREE = {
    "linear": {"w": X, "b": X[0]},
    "~": {"scale": X[1]},
    "frozen/~/embed": {"embeddings": X},
}


@pytest.mark.parametrize(
    "config",
    [{"decay": 0.9}, {"decay": 0.5, "ignore_regex": "frozen"}, {"decay": 0.5, "name": "avg"}],
    ids=["default", "ignore_regex", "named"],
)
def test_params_tree_matches_haiku(config):
    def build(lib, x):
        tree = jax.tree.map(lambda leaf: leaf * x.mean(), TREE)
        ema = lib.EMAParamsTree(**config)
        ema(tree)
        return ema(jax.tree.map(lambda leaf: leaf + 1, tree))

    _, state, (out, _) = helpers.assert_matches_haiku_with_state(build, X)
    assert type(out) is dict
    if "ignore_regex" in config:
        assert not any("frozen" in name for name in state)


def test_params_tree_update_stats_false():
    def build(lib, x):
        return lib.EMAParamsTree(0.5)({"m": {"w": x}}, update_stats=False)

    _, state, (_, new_state) = helpers.assert_matches_haiku_with_state(build, X)
    helpers.assert_trees_equal(new_state, state)


ERRORS = {
    "negative_warmup": (
        {"decay": 0.9, "zero_debias": False, "warmup_length": -1},
        "`warmup_length` is -1, but should be non-negative",
        r"'exponential_moving_average' expects warmup_length >= 0",
    ),
    "warmup_with_debias": (
        {"decay": 0.9, "warmup_length": 3},
        "Zero debiasing does not make sense",
        r"'exponential_moving_average' got warmup_length=3 with zero_debias=True",
    ),
}


@pytest.mark.parametrize("config, phrase, context", ERRORS.values(), ids=ERRORS.keys())
def test_errors(config, phrase, context):
    def trigger(lib):
        return lib.transform_with_state(lambda x: lib.ExponentialMovingAverage(**config)(x)).init(
            None, X
        )

    helpers.assert_raises_like_haiku(ValueError, phrase, context, trigger)
