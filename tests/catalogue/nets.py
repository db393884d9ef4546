"""Catalogue entries for nets (ResNet, MobileNet, VQ) and mixed precision."""

import jmp

from tests.catalogue.entry import Entry

HALF = jmp.get_policy("params=float32,compute=bfloat16,output=bfloat16")


def _narrow_resnet(lib, **kwargs):
    # Small non-zero logits: zeros (the default) would stop every gradient below them, and
    # unit-scale ones push jit-vs-eager rounding of outputs near zero past `atol`.
    return lib.nets.ResNet(
        blocks_per_group=(1, 1, 1, 1),
        num_classes=3,
        bottleneck=False,
        # One width for every group: the same blocks, strides and projection shortcuts, but
        # fewer distinct shapes, so fewer compiles (tests/nets/ covers width changes).
        channels_per_group=(8, 8, 8, 8),
        logits_config={"w_init": lib.initializers.RandomNormal(0.01)},
        initial_conv_config={"output_channels": 8},
        **kwargs,
    )


def _resnet_v1_training(lib):
    return lambda x: _narrow_resnet(lib)(x, is_training=True)


def _resnet_v2_inference(lib):
    # Inference reads moving averages that only a training call creates, so init trains.
    return lambda x: _narrow_resnet(lib, resnet_v2=True)(x, is_training=lib.running_init())


def _mobilenet_without_bn(lib):
    net = lib.nets.MobileNetV1
    return lambda x: net((1, 2), (8, 16), num_classes=4, use_bn=False)(x, is_training=True)


def _vector_quantizer(lib):
    return lambda x: lib.nets.VectorQuantizer(6, 5, 0.25, dtype=x.dtype)(x, is_training=True)


def _vector_quantizer_ema(lib):
    vq = lambda x: lib.nets.VectorQuantizerEMA(6, 5, 0.25, decay=0.9, dtype=x.dtype)
    return lambda x: vq(x)(x, is_training=True)


def _mixed_precision_mlp(lib):
    def f(x):
        with lib.mixed_precision.push_policy(lib.Linear, HALF):
            return lib.nets.MLP([5, 3])(x)

    return f


ENTRIES = [
    Entry("resnet_v1_basic_training", _resnet_v1_training, (8, 16, 16, 3)),
    Entry("resnet_v2_inference", _resnet_v2_inference, (8, 16, 16, 3)),
    # Only without batch norm: MobileNet's decay 0.999 rounds to 1 in bfloat16, so its
    # moving averages start as 0/0 = NaN there, in Haiku as in sonnax.
    Entry("mobilenet_v1_without_bn", _mobilenet_without_bn, (8, 9, 9, 3)),
    Entry("vector_quantizer", _vector_quantizer),
    Entry("vector_quantizer_ema", _vector_quantizer_ema),
    Entry("mixed_precision_mlp", _mixed_precision_mlp),
]
