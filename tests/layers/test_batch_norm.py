"""Tests for sonnax/_src/layers/batch_norm.py, with dm-haiku 0.0.17 as the oracle."""

import haiku
import jax
import jax.numpy as jnp
import numpy as np
import pytest

import sonnax
from tests import helpers

X = jax.random.normal(jax.random.PRNGKey(0), [2, 3, 3, 4]) * 2 + 1

CONFIGS = {
    "default": {},
    "no_scale_no_offset": {"create_scale": False, "create_offset": False},
    "inits_eps": {
        "scale_init": "random_normal",
        "offset_init": "random_normal",
        "eps": 0.5,
        "decay_rate": 0.5,
    },
    "axis": {"axis": [0, 2]},
    "nchw": {"data_format": "NCHW"},
}


def _kwargs(lib, config):
    kwargs = {"create_scale": True, "create_offset": True, "decay_rate": 0.9, **config}
    for arg in ("scale_init", "offset_init"):
        if kwargs.get(arg) == "random_normal":
            kwargs[arg] = lib.initializers.RandomNormal()
    return kwargs


def _train_then_infer(config):
    """Two training steps, then inference and test_local_stats with the moving averages."""

    def build(lib, x):
        bn = lib.BatchNorm(**_kwargs(lib, config))
        train = [bn(x, is_training=True), bn(x * 2 - 1, True)]
        return train, bn(x + 3, is_training=False), bn(x, False, test_local_stats=True)

    return build


@pytest.mark.parametrize("config", CONFIGS.values(), ids=CONFIGS.keys())
def test_matches_haiku(config):
    helpers.assert_matches_haiku_with_state(_train_then_infer(config), X)


def test_inference_from_given_state_matches_haiku():
    def run(lib):
        f = lib.transform_with_state(
            lambda x, training: lib.BatchNorm(True, True, 0.9)(x, training)
        )
        params, state = f.init(None, X, True)
        for i in range(3):
            _, state = f.apply(params, state, None, X * i, True)
        return f.apply(params, state, None, X, False)

    helpers.assert_trees_close(run(sonnax), run(haiku))


@pytest.mark.parametrize("create", [False, True], ids=["external", "created_and_external"])
def test_scale_and_offset_at_call(create):
    scale, offset = jnp.arange(1.0, 5.0), jnp.arange(3.0, 7.0)

    def build(lib, x):
        bn = lib.BatchNorm(create, False, 0.9)
        return bn(x, True, offset=offset, scale=None if create else scale)

    helpers.assert_matches_haiku_with_state(build, X)


def test_jit_and_vmap():
    helpers.assert_jit_and_vmap_match_with_state(_train_then_infer({}), X)


def _pmapped(lib, **kwargs):
    def forward(x, **kwargs):
        bn = lib.BatchNorm(True, True, 0.9, **kwargs)
        return bn(x, is_training=True), bn(x, is_training=False)

    # Outside pmap the axis is unbound, so init without it: the names are the same.
    params, state = lib.transform_with_state(forward).init(None, X8[0])
    f = lib.transform_with_state(lambda x: forward(x, **kwargs))
    apply = jax.pmap(f.apply, axis_name="i", in_axes=(None, None, None, 0))
    return apply(params, state, None, X8)


X8 = jax.random.normal(jax.random.PRNGKey(1), [8, 2, 3])


def test_cross_replica_matches_haiku_and_single_device():
    ours = _pmapped(sonnax, cross_replica_axis="i")
    helpers.assert_trees_close(ours, _pmapped(haiku, cross_replica_axis="i"))
    # The whole batch on one device, with the same statistics:
    f = sonnax.transform_with_state(
        lambda x: sonnax.BatchNorm(True, True, 0.9, axis=[0, 1])(x, is_training=True)
    )
    params, state = f.init(None, X8)
    out, new_state = f.apply(params, state, None, X8)
    helpers.assert_trees_close(ours[0][0], out, atol=1e-5)
    # Each device's state (statistics of shape [1, C]) is the whole batch's ([1, 1, C]).
    for shard in range(8):
        shard_state = jax.tree.map(lambda s, e, i=shard: s[i].reshape(e.shape), ours[1], new_state)
        helpers.assert_trees_close(shard_state, new_state, atol=1e-5)


def test_cross_replica_index_groups():
    groups = [[0, 2, 4, 6], [1, 3, 5, 7]]
    kwargs = {"cross_replica_axis": "i", "cross_replica_axis_index_groups": groups}
    ours = _pmapped(sonnax, **kwargs)
    helpers.assert_trees_close(ours, _pmapped(haiku, **kwargs))
    f = sonnax.transform_with_state(
        lambda x: sonnax.BatchNorm(True, True, 0.9, axis=[0, 1])(x, is_training=True)
    )
    params, state = f.init(None, X8)
    for group in groups:
        out, _ = f.apply(params, state, None, X8[np.array(group)])
        helpers.assert_trees_close(ours[0][0][np.array(group)], out, atol=1e-5)


def test_without_cross_replica_each_device_is_independent():
    ours = _pmapped(sonnax)
    helpers.assert_trees_close(ours, _pmapped(haiku))


def _init(config, call=None):
    def trigger(lib):
        def forward(x):
            return lib.BatchNorm(**_kwargs(lib, config))(x, True, **(call or {}))

        return lib.transform_with_state(forward).init(None, X)

    return trigger


ERRORS = {
    "scale_init_without_scale": (
        {"create_scale": False, "scale_init": jnp.ones},
        None,
        r"Cannot set `scale_init` if `create_scale=False`",
        r"'batch_norm' got scale_init=.*pass create_scale=True",
    ),
    "offset_init_without_offset": (
        {"create_offset": False, "offset_init": jnp.zeros},
        None,
        r"Cannot set `offset_init` if `create_offset=False`",
        r"'batch_norm' got offset_init=",
    ),
    "scale_at_call": (
        {},
        {"scale": jnp.ones([4])},
        r"Cannot pass `scale` at call time if `create_scale=True`",
        r"'batch_norm' creates its own `scale`",
    ),
    "offset_at_call": (
        {"name": "bn"},
        {"offset": jnp.ones([4])},
        r"Cannot pass `offset` at call time if `create_offset=True`",
        r"'bn' creates its own `offset`",
    ),
    "index_groups_without_axis": (
        {"cross_replica_axis_index_groups": [[0, 1]]},
        None,
        r"`cross_replica_axis` name must be specified",
        r"'batch_norm' got cross_replica_axis_index_groups=\[\[0, 1\]\]",
    ),
    "unknown_data_format": (
        {"data_format": "HWC"},
        None,
        "Unable to extract channel information from",
        r"data_format='HWC' of module 'batch_norm'",
    ),
}


@pytest.mark.parametrize("config, call, phrase, context", ERRORS.values(), ids=ERRORS.keys())
def test_errors(config, call, phrase, context):
    helpers.assert_raises_like_haiku(ValueError, phrase, context, _init(config, call))
