"""Tests for sonnax/_src/layers/rms_norm.py, with dm-haiku 0.0.17 as the oracle."""

import jax
import jax.numpy as jnp
import pytest

from tests import helpers

X = jax.random.normal(jax.random.PRNGKey(0), [2, 3, 4]) * 3 + 1

CONFIGS = {
    "last_axis": {"axis": -1},
    "axes_eps": {"axis": [1, 2], "eps": 0.5},
    "slice_param_axis": {"axis": slice(1, None), "param_axis": slice(1, None)},
    "param_axis_middle": {"axis": -1, "param_axis": [1]},
    "no_scale": {"axis": -1, "create_scale": False},
    "scale_init": {"axis": -1, "scale_init": "random_normal", "name": "rms"},
}


def _kwargs(lib, config):
    kwargs = dict(config)
    if kwargs.get("scale_init") == "random_normal":
        kwargs["scale_init"] = lib.initializers.RandomNormal()
    return kwargs


@pytest.mark.parametrize("config", CONFIGS.values(), ids=CONFIGS.keys())
def test_matches_haiku(config):
    helpers.assert_matches_haiku(lambda lib, x: lib.RMSNorm(**_kwargs(lib, config))(x), X)


ERRORS = {
    "scale_init_without_scale": (
        {"axis": -1, "create_scale": False, "scale_init": jnp.ones},
        r"Cannot set `scale_init` if `create_scale=False`",
        r"'rms_norm' got scale_init=",
    ),
    "bad_axis": (
        {"axis": "last"},
        r"`axis` should be an int, slice or iterable of ints",
        r"'rms_norm' got axis='last'",
    ),
}


@pytest.mark.parametrize("config, phrase, context", ERRORS.values(), ids=ERRORS.keys())
def test_errors(config, phrase, context):
    def trigger(lib):
        return lib.transform(lambda x: lib.RMSNorm(**config)(x)).init(None, X)

    helpers.assert_raises_like_haiku(ValueError, phrase, context, trigger)
