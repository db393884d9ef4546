"""Tests for sonnax/_src/nets/mobilenetv1.py, with dm-haiku 0.0.17 as the oracle."""

import haiku
import jax
import jax.numpy as jnp
import numpy as np
import pytest

import sonnax
from tests import helpers

IMAGES = jax.random.normal(jax.random.PRNGKey(0), [2, 9, 9, 3])
TRAINING = pytest.mark.parametrize("is_training", [True, False], ids=["training", "inference"])


def _net(lib, use_bn, **kwargs):
    return lib.nets.MobileNetV1((1, 2), (8, 16), num_classes=4, use_bn=use_bn, **kwargs)


@TRAINING
@pytest.mark.parametrize("use_bn", [True, False], ids=["bn", "bias"])
def test_matches_haiku(use_bn, is_training):
    def build(lib, x):
        # Inference reads moving averages that only a training call creates: init trains.
        return _net(lib, use_bn)(x, is_training or lib.running_init())

    params, state, _ = helpers.assert_matches_haiku_with_state(build, IMAGES)
    block = "mobile_net_v1/mobile_net_v1_block_1"
    assert ("b" in params[f"{block}/pointwise_conv"]) is not use_bn
    assert (f"{block}/batch_norm_1/~/mean_ema" in state) is use_bn


def test_named_network_matches_haiku():
    helpers.assert_matches_haiku_with_state(
        lambda lib, x: _net(lib, True, name="encoder")(x, True), IMAGES
    )


def test_default_architecture_shapes_match_haiku():
    def shapes(lib):
        f = lib.transform_with_state(lambda x: lib.nets.MobileNetV1()(x, is_training=True))
        return jax.eval_shape(f.init, helpers.KEY, jnp.zeros([1, 64, 64, 3]))

    assert shapes(sonnax) == shapes(haiku)


def test_bfloat16_batch_norm_nan_matches_haiku():
    # decay 0.999 rounds to 1 in bfloat16, so Haiku's averages start as 0/0: so must ours.
    def run(lib):
        f = lib.transform_with_state(lambda x: _net(lib, True)(x, True))
        return f.init(helpers.KEY, IMAGES.astype(jnp.bfloat16))

    ours, theirs = run(sonnax), run(haiku)
    assert jax.tree.structure(ours) == jax.tree.structure(theirs)
    for a, e in zip(jax.tree.leaves(ours), jax.tree.leaves(theirs), strict=True):
        assert a.dtype == e.dtype
        np.testing.assert_array_equal(np.asarray(a, np.float32), np.asarray(e, np.float32))


def test_mismatched_lengths_raise_like_haiku():
    def trigger(lib):
        build = lambda x: lib.nets.MobileNetV1((1, 2), (8,))(x, True)
        lib.transform_with_state(build).init(None, IMAGES)

    helpers.assert_raises_like_haiku(
        ValueError, "`strides` and `channels` must have the same length", "mobile_net_v1", trigger
    )
