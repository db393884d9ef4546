"""Parity cases: nets (MLP, Cifar10ConvNet, ResNet, VQ-VAE quantizers)."""

from tests.parity.cases import Case


def _shifted_quadratic(x):
    """A smooth activation, not zero at zero, written with operators to run on TF and JAX.

    Its slope `0.2 x + 1` stays away from zero for the values seen, so gradients do not
    cancel to a few bits.
    """
    return x * x * 0.1 + x + 0.5


def _mlp_and_reverse(snt, module, x):
    y = module(x)
    return y, module.reverse()(y)


def _vq(snt, module, x, **kwargs):
    return module(x, **kwargs)


TRAIN_EVAL = {"train": {"is_training": True}, "eval": {"is_training": False}}
# Cifar10ConvNet's BatchNorms also take `test_local_stats` (default True).
CONVNET_MODES = {
    **TRAIN_EVAL,
    "eval_moving_stats": {"is_training": False, "test_local_stats": False},
}
BN_CONFIG = {"decay_rate": 0.8, "eps": 1e-3}


def _resnet_call(snt, module, x, is_training):
    return module(x, is_training=is_training)


def _tiny_resnet(snt, resnet_v2):
    return snt.nets.ResNet(
        [1, 2, 1, 1],
        num_classes=3,
        bn_config=BN_CONFIG,
        resnet_v2=resnet_v2,
        channels_per_group_list=(8, 8, 12, 8),
        name="resnet",
    )


CASES: list[Case] = [
    Case("mlp", lambda snt: snt.nets.MLP([4, 3], name="mlp"), inputs=((2, 5),)),
    Case(
        "mlp_activate_final_custom",
        lambda snt: snt.nets.MLP(
            [3, 4, 2],
            b_init=snt.initializers.RandomNormal(),
            activation=_shifted_quadratic,
            activate_final=True,
            name="mlp",
        ),
        inputs=((3, 5),),
    ),
    Case(
        "mlp_no_bias",
        lambda snt: snt.nets.MLP(
            [4, 2], with_bias=False, w_init=snt.initializers.Ones(), name="mlp"
        ),
        inputs=((2, 3),),
    ),
    Case(
        "mlp_dropout_eval",
        lambda snt: snt.nets.MLP([4, 2], dropout_rate=0.5, name="mlp"),
        inputs=((2, 3),),
        modes={"eval": {"is_training": False}},
    ),
    Case(
        "mlp_reverse",
        lambda snt: snt.nets.MLP(
            [4, 3], b_init=snt.initializers.RandomNormal(), activate_final=True, name="mlp"
        ),
        inputs=((2, 5),),
        call=_mlp_and_reverse,
    ),
    Case(
        "vector_quantizer",
        lambda snt: snt.nets.VectorQuantizer(
            embedding_dim=4, num_embeddings=5, commitment_cost=0.25
        ),
        inputs=((2, 3, 4),),
        modes=TRAIN_EVAL,
    ),
    Case(
        "vector_quantizer_ema",
        lambda snt: snt.nets.VectorQuantizerEMA(
            embedding_dim=4, num_embeddings=5, commitment_cost=0.25, decay=0.9
        ),
        inputs=((2, 3, 4),),
        modes=TRAIN_EVAL,
        steps=3,
    ),
    Case(
        "vector_quantizer_ema_no_decay",
        lambda snt: snt.nets.VectorQuantizerEMA(
            embedding_dim=3, num_embeddings=4, commitment_cost=1.0, decay=0.0, epsilon=1e-3
        ),
        inputs=((6, 3),),
        modes={"train": {"is_training": True}},
        steps=2,
    ),
    Case(
        "cifar10_convnet",
        lambda snt: snt.nets.Cifar10ConvNet(
            num_classes=3,
            b_init=snt.initializers.RandomNormal(),
            output_channels=(4, 6, 8),
            strides=(1, 2, 1),
            name="convnet",
        ),
        inputs=((2, 8, 8, 3),),
        modes=CONVNET_MODES,
        steps=2,
    ),
    Case(
        "resnet_block_v1_projection",
        lambda snt: snt.nets.resnet.BottleNeckBlockV1(
            channels=8, stride=2, use_projection=True, bn_config=BN_CONFIG, name="block"
        ),
        inputs=((2, 6, 6, 4),),
        call=_resnet_call,
        modes=TRAIN_EVAL,
        steps=2,
    ),
    Case(
        "resnet_block_v1",
        lambda snt: snt.nets.resnet.BottleNeckBlockV1(
            channels=4, stride=1, use_projection=False, bn_config={}, name="block"
        ),
        inputs=((2, 5, 5, 4),),
        call=_resnet_call,
        modes=TRAIN_EVAL,
        steps=2,
    ),
    Case(
        "resnet_block_v2_projection",
        lambda snt: snt.nets.resnet.BottleNeckBlockV2(
            channels=8, stride=2, use_projection=True, bn_config=BN_CONFIG, name="block"
        ),
        inputs=((2, 5, 5, 4),),
        call=_resnet_call,
        modes=TRAIN_EVAL,
        steps=2,
    ),
    Case(
        "resnet_block_v2",
        lambda snt: snt.nets.resnet.BottleNeckBlockV2(
            channels=4, stride=1, use_projection=False, bn_config={}, name="block"
        ),
        inputs=((2, 4, 4, 4),),
        call=_resnet_call,
        modes=TRAIN_EVAL,
        steps=2,
    ),
    Case(
        "resnet_block_group_v2",
        lambda snt: snt.nets.resnet.BlockGroup(
            channels=8, num_blocks=2, stride=2, bn_config=BN_CONFIG, resnet_v2=True, name="group"
        ),
        inputs=((2, 6, 6, 4),),
        call=_resnet_call,
        modes=TRAIN_EVAL,
        steps=2,
    ),
    # The logits' `w` starts at zero, so only d loss / d logits (and the moving statistics)
    # see the network; the block cases above check the rest of the backward pass.
    Case(
        "resnet_v1",
        lambda snt: _tiny_resnet(snt, resnet_v2=False),
        inputs=((2, 16, 16, 3),),
        call=_resnet_call,
        modes=TRAIN_EVAL,
        steps=2,
    ),
    Case(
        "resnet_v2",
        lambda snt: _tiny_resnet(snt, resnet_v2=True),
        inputs=((2, 16, 16, 3),),
        call=_resnet_call,
        modes=TRAIN_EVAL,
        steps=2,
    ),
]
