"""Tests for sonnax/_src/nets/resnet/, with dm-haiku 0.0.17 as the oracle."""

import haiku
import jax
import jax.numpy as jnp
import pytest

import sonnax
from tests import helpers

IMAGES = jax.random.normal(jax.random.PRNGKey(0), [2, 16, 16, 3])
TRAINING = pytest.mark.parametrize("is_training", [True, False], ids=["training", "inference"])
DEPTHS = [18, 34, 50, 101, 152, 200]


def _mode(lib, is_training):
    """Inference reads moving averages that only a training call creates: init trains."""
    return is_training or lib.running_init()


def _tiny(lib, bottleneck, resnet_v2, **kwargs):
    """A narrow one-block-per-group ResNet with non-zero logits (so every gradient flows)."""
    return lib.nets.ResNet(
        blocks_per_group=(1, 1, 1, 1),
        num_classes=3,
        bottleneck=bottleneck,
        resnet_v2=resnet_v2,
        channels_per_group=(8, 8, 16, 16),
        logits_config={"w_init": lib.initializers.RandomNormal()},
        initial_conv_config={"output_channels": 8},
        **kwargs,
    )


@TRAINING
@pytest.mark.parametrize("resnet_v2", [False, True], ids=["v1", "v2"])
@pytest.mark.parametrize("bottleneck", [False, True], ids=["basic", "bottleneck"])
def test_resnet_matches_haiku(bottleneck, resnet_v2, is_training):
    def build(lib, x):
        return _tiny(lib, bottleneck, resnet_v2)(x, _mode(lib, is_training))

    helpers.assert_matches_haiku_with_state(build, IMAGES)


def test_options_match_haiku():
    def build(lib, x):
        net = _tiny(
            lib,
            bottleneck=True,
            resnet_v2=False,
            bn_config={"decay_rate": 0.5, "eps": 1e-3, "create_offset": False},
            use_projection=(True, False, True, False),
            strides=(2, 1, 2, 1),
            name="classifier",
        )
        return net(x, is_training=_mode(lib, False), test_local_stats=True)

    _, _, (_, state) = helpers.assert_matches_haiku_with_state(build, IMAGES)
    assert "classifier/~/block_group_1/~/block_0/~/shortcut_batchnorm/~/mean_ema" not in state


# Full-width networks compile many distinct convolutions (a minute on a busy 2-core machine);
# the narrow `_tiny` cases above run the same blocks.
@pytest.mark.slow
def test_resnet18_on_small_images_matches_haiku():
    def build(lib, x):
        net = lib.nets.ResNet18(4, logits_config={"w_init": lib.initializers.RandomNormal()})
        return net(x, is_training=True)

    helpers.assert_matches_haiku_with_state(build, IMAGES)


@pytest.mark.slow
def test_resnet50_inference_on_small_images_matches_haiku():
    def build(lib, x):
        return lib.nets.ResNet50(4, resnet_v2=True)(x, is_training=_mode(lib, False))

    helpers.assert_matches_haiku_with_state(build, IMAGES[:1, :8, :8])


@pytest.mark.parametrize("resnet_v2", [False, True], ids=["v1", "v2"])
def test_resnet50_full_size_parameter_and_state_shapes_match_haiku(resnet_v2):
    def shapes(lib):
        f = lib.transform_with_state(
            lambda x: lib.nets.ResNet50(1000, resnet_v2=resnet_v2)(x, is_training=True)
        )
        return jax.eval_shape(f.init, helpers.KEY, jnp.zeros([1, 224, 224, 3]))

    assert shapes(sonnax) == shapes(haiku)


def _architecture(lib, depth):
    """(block class, layer count, projection) of each block, without building parameters."""
    seen = []

    def build():
        net = getattr(lib.nets, f"ResNet{depth}")(10)
        for group in net.block_groups:
            seen.append([(type(b).__name__, len(b.layers), b.use_projection) for b in group.blocks])

    lib.transform_with_state(build).init(None)
    return seen


@pytest.mark.parametrize("depth", DEPTHS)
def test_standard_depths_build_haikus_blocks(depth):
    assert _architecture(sonnax, depth) == _architecture(haiku, depth)


def test_configs_match_haiku():
    assert sonnax.nets.ResNet.CONFIGS == haiku.nets.ResNet.CONFIGS
    for name in ("BlockGroup", "BlockV1", "BlockV2"):
        assert getattr(sonnax.nets.ResNet, name).__name__ == name


@pytest.mark.parametrize("argument", ["blocks_per_group", "channels_per_group", "strides"])
def test_wrong_length_raises_like_haiku(argument):
    def trigger(lib):
        def build(x):
            kwargs = {"blocks_per_group": (1, 1, 1, 1), argument: (1, 1, 1)}
            return lib.nets.ResNet(num_classes=2, **kwargs)(x, True)

        lib.transform_with_state(build).init(None, IMAGES)

    helpers.assert_raises_like_haiku(
        ValueError, f"`{argument}` must be of length 4 not 3", r"res_net got", trigger
    )
