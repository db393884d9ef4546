"""Tests for sonnax/_src/layers/group_norm.py, with dm-haiku 0.0.17 as the oracle."""

import jax
import jax.numpy as jnp
import pytest

from tests import helpers

X = jax.random.normal(jax.random.PRNGKey(0), [2, 3, 3, 4]) * 2 + 1

CONFIGS = {
    "inits": ({"groups": 2, "scale_init": "random_normal", "offset_init": "random_normal"}, X),
    "nchw": ({"groups": 3, "data_format": "NCHW"}, X),
    "axis_slice_rank_3": ({"groups": 2, "axis": slice(2, None)}, X[:, 0]),
    "axis_int_nchw": ({"groups": 3, "axis": 2, "data_format": "channels_first"}, X),
    "one_per_channel_no_scale_no_offset": (
        {"groups": 4, "eps": 0.5, "create_scale": False, "create_offset": False},
        X,
    ),
}


def _kwargs(lib, config):
    kwargs = dict(config)
    for arg in ("scale_init", "offset_init"):
        if kwargs.get(arg) == "random_normal":
            kwargs[arg] = lib.initializers.RandomNormal()
    return kwargs


@pytest.mark.parametrize("config, x", CONFIGS.values(), ids=CONFIGS.keys())
def test_matches_haiku(config, x):
    helpers.assert_matches_haiku(lambda lib, x: lib.GroupNorm(**_kwargs(lib, config))(x), x)


def test_scale_and_offset_at_call_and_second_call():
    def build(lib, x):
        gn = lib.GroupNorm(2, create_scale=False, create_offset=False)
        return gn(x, scale=jnp.arange(4.0), offset=x[0]), gn(x * 2 + 1)

    helpers.assert_matches_haiku(build, X)


def _init(make, x=X):
    def trigger(lib):
        return lib.transform(lambda x: make(lib, x)).init(None, x)

    return trigger


ERRORS = {
    "channels_not_divisible": (
        lambda lib, x: lib.GroupNorm(3)(x),
        "The number of channels must be divisible by the number of groups, was channels=4",
        r"'group_norm', input shape \(2, 3, 3, 4\), data_format='channels_last'",
    ),
    "rank_changed": (
        lambda lib, x: [gn := lib.GroupNorm(2), gn(x), gn(x[0])],
        "The rank of the inputs cannot change between calls",
        r"rank=4 but this call was rank=3 \(module 'group_norm', input shape \(3, 3, 4\)\)",
    ),
    "scale_init_without_scale": (
        lambda lib, x: lib.GroupNorm(2, create_scale=False, scale_init=jnp.ones)(x),
        r"Cannot set `scale_init` if `create_scale=False`",
        r"'group_norm' got scale_init=",
    ),
    "offset_init_without_offset": (
        lambda lib, x: lib.GroupNorm(2, create_offset=False, offset_init=jnp.ones)(x),
        r"Cannot set `offset_init` if `create_offset=False`",
        r"'group_norm' got offset_init=",
    ),
    "scale_at_call": (
        lambda lib, x: lib.GroupNorm(2)(x, scale=jnp.ones([4])),
        r"Cannot pass `scale` at call time if `create_scale=True`",
        r"'group_norm' creates its own `scale`",
    ),
    "offset_at_call": (
        lambda lib, x: lib.GroupNorm(2, create_scale=False)(x, offset=jnp.ones([4])),
        r"Cannot pass `offset` at call time if `create_offset=True`",
        r"'group_norm' creates its own `offset`",
    ),
    "bad_axis": (
        lambda lib, x: lib.GroupNorm(2, axis=1.5)(x),
        r"`axis` should be an int, slice or iterable of ints",
        r"'group_norm' got axis=1.5",
    ),
    "unknown_data_format": (
        lambda lib, x: lib.GroupNorm(2, data_format="HWCN")(x),
        "Unable to extract channel information from",
        r"data_format='HWCN' of module 'group_norm'",
    ),
}


@pytest.mark.parametrize("make, phrase, context", ERRORS.values(), ids=ERRORS.keys())
def test_errors(make, phrase, context):
    helpers.assert_raises_like_haiku(ValueError, phrase, context, _init(make))
