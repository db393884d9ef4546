"""Tests for sonnax/_src/layers/layer_norm.py, with dm-haiku 0.0.17 as the oracle."""

import jax
import jax.numpy as jnp
import pytest

from tests import helpers

X = jax.random.normal(jax.random.PRNGKey(0), [2, 3, 4]) * 3 + 1

CONFIGS = {
    "last_axis": {"axis": -1},
    "no_scale_no_offset": {"axis": -1, "create_scale": False, "create_offset": False},
    "axes_fast_variance": {"axis": [1, 2], "use_fast_variance": True, "eps": 0.1},
    "slice_param_axis": {"axis": slice(1, None), "param_axis": slice(1, None)},
    "param_axis_middle": {"axis": -1, "param_axis": 1},
    "inits": {"axis": -1, "scale_init": "random_normal", "offset_init": "random_normal"},
}


def _kwargs(lib, config):
    kwargs = {"create_scale": True, "create_offset": True, **config}
    for arg in ("scale_init", "offset_init"):
        if kwargs.get(arg) == "random_normal":
            kwargs[arg] = lib.initializers.RandomNormal()
    return kwargs


@pytest.mark.parametrize("config", CONFIGS.values(), ids=CONFIGS.keys())
def test_matches_haiku(config):
    helpers.assert_matches_haiku(lambda lib, x: lib.LayerNorm(**_kwargs(lib, config))(x), X)


def test_scale_and_offset_at_call():
    def build(lib, x):
        return lib.LayerNorm(-1, False, False)(x, scale=x[0] + 2, offset=jnp.arange(4.0))

    helpers.assert_matches_haiku(build, X)


def test_rank_promotion_raise():
    # Haiku broadcasts explicitly when implicit rank promotion is disallowed.
    with jax.numpy_rank_promotion("raise"):
        (hk_params, hk_out), (params, out) = helpers.both(
            lambda lib, x: lib.LayerNorm(-1, True, True)(x), helpers.KEY, X
        )
    helpers.assert_trees_equal(params, hk_params)
    helpers.assert_trees_close(out, hk_out)


INSTANCE_CONFIGS = {
    "channels_last": {},
    "nchw": {"data_format": "NCHW"},
    "no_offset": {"create_offset": False, "eps": 0.5},
}


@pytest.mark.parametrize("config", INSTANCE_CONFIGS.values(), ids=INSTANCE_CONFIGS.keys())
def test_instance_norm_matches_haiku(config):
    kwargs = {"create_scale": True, "create_offset": True, **config}
    helpers.assert_matches_haiku(lambda lib, x: lib.InstanceNorm(**kwargs)(x), X)


def _init(make, call=None):
    def trigger(lib):
        return lib.transform(lambda x: make(lib)(x, **(call or {}))).init(None, X)

    return trigger


ERRORS = {
    "scale_init_without_scale": (
        lambda lib: lib.LayerNorm(-1, False, True, scale_init=jnp.ones),
        None,
        r"Cannot set `scale_init` if `create_scale=False`",
        r"'layer_norm' got scale_init=",
    ),
    "offset_init_without_offset": (
        lambda lib: lib.InstanceNorm(True, False, offset_init=jnp.ones),
        None,
        r"Cannot set `offset_init` if `create_offset=False`",
        r"'instance_norm' got offset_init=",
    ),
    "scale_at_call": (
        lambda lib: lib.LayerNorm(-1, True, False),
        {"scale": jnp.ones([4])},
        r"Cannot pass `scale` at call time if `create_scale=True`",
        r"'layer_norm' creates its own `scale`",
    ),
    "offset_at_call": (
        lambda lib: lib.LayerNorm(-1, False, True),
        {"offset": jnp.ones([4])},
        r"Cannot pass `offset` at call time if `create_offset=True`",
        r"'layer_norm' creates its own `offset`",
    ),
    "bad_axis": (
        lambda lib: lib.LayerNorm("last", True, True),
        None,
        r"`axis` should be an int, slice or iterable of ints",
        r"Got: last \(module 'layer_norm'\)",
    ),
    "unknown_data_format": (
        lambda lib: lib.InstanceNorm(True, True, data_format="CHW", name="inorm"),
        None,
        "Unable to extract channel information from",
        r"data_format='CHW' of module 'inorm'",
    ),
}


@pytest.mark.parametrize("make, call, phrase, context", ERRORS.values(), ids=ERRORS.keys())
def test_errors(make, call, phrase, context):
    helpers.assert_raises_like_haiku(ValueError, phrase, context, _init(make, call))
