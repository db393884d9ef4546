"""Parity cases: nets (MLP, Cifar10ConvNet, ResNet and its blocks, VQ-VAE quantizers)."""

from tests.parity.cases import Case

TRAIN_EVAL = {"train": {"is_training": True}, "eval": {"is_training": False}}

# Fresh moving statistics are zeros, so evaluating with them divides by `sqrt(eps)`, once
# per BatchNorm: with a small `eps` a deep eval output is huge and compares to a few bits.
# `eps=0.5` keeps plain eval cases well conditioned; `_train_then_eval` evaluates with
# moving statistics from real batches.
BN_CONFIG = {"decay_rate": 0.8, "eps": 0.5}
# Training through BatchNorm subtracts batch means in the backward pass, so gradients
# cancel to a few 1e-6 of their scale; TF's fused kernel and XLA also sum in other orders.
BN_TOL = {"rtol": 1e-4, "atol": 1e-5}
# Cifar10ConvNet's convolution biases feed BatchNorms, which subtract their batch mean: their
# gradients are zero up to roundoff, a few 1e-5 beside weight gradients of order 10.
CONVNET_TOL = {"rtol": 1e-4, "atol": 1e-4}


def _shifted_quadratic(x):
    """A smooth activation, not zero at zero, written with operators to run on TF and JAX.

    Its slope `0.2 x + 1` stays away from zero for the values seen, so gradients do not
    cancel to a few bits.
    """
    return x * x * 0.1 + x + 0.5


def _mlp_and_reverse(snt, module, x):
    y = module(x)
    return y, module.reverse()(y)


def _train_then_eval(snt, module, x, **eval_kwargs):
    """A training call (updating the moving statistics), then the evaluation compared.

    Without gradients: TF reads the updated statistics as constants, while in JAX they
    are values computed from the training call, so gradients would differ by design.
    """
    module(x, is_training=True)
    return module(x, is_training=False, **eval_kwargs)


def _convnet(snt):
    return snt.nets.Cifar10ConvNet(
        num_classes=3,
        b_init=snt.initializers.RandomNormal(),
        output_channels=(4, 6, 8),
        strides=(1, 2, 1),
        name="convnet",
    )


def _tiny_resnet(snt, resnet_v2, bn_config=BN_CONFIG):
    """A ResNet with one block in each of its first two groups (strides 1 and 2) and none in
    the last two: the whole network's plumbing at half the compile time of 1, 1, 1, 1."""
    return snt.nets.ResNet(
        [1, 1, 0, 0],
        num_classes=3,
        bn_config=bn_config,
        resnet_v2=resnet_v2,
        channels_per_group_list=(8, 8, 12, 8),
        name="resnet",
    )


def _block(snt, version, channels, stride, use_projection, bn_config=BN_CONFIG):
    block = getattr(snt.nets.resnet, f"BottleNeckBlock{version}")
    return block(
        channels=channels,
        stride=stride,
        use_projection=use_projection,
        bn_config=bn_config,
        name="block",
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
    # Eval uses batch statistics here (`test_local_stats=True`, the default).
    Case(
        "cifar10_convnet",
        _convnet,
        inputs=((2, 8, 8, 3),),
        modes=TRAIN_EVAL,
        steps=2,
        **CONVNET_TOL,
    ),
    Case(
        "cifar10_convnet_eval_moving_stats",
        _convnet,
        inputs=((2, 8, 8, 3),),
        call=_train_then_eval,
        modes={"eval": {"test_local_stats": False}},
        steps=2,
        grad=False,
        **CONVNET_TOL,
    ),
    Case(
        "resnet_block_v1_projection",
        lambda snt: _block(snt, "V1", channels=8, stride=2, use_projection=True),
        inputs=((2, 6, 6, 4),),
        modes=TRAIN_EVAL,
        steps=2,
        **BN_TOL,
    ),
    Case(
        "resnet_block_v1_default_bn",
        lambda snt: _block(snt, "V1", channels=4, stride=1, use_projection=False, bn_config={}),
        inputs=((2, 5, 5, 4),),
        modes={"train": {"is_training": True}},
        steps=2,
        **BN_TOL,
    ),
    Case(
        "resnet_block_v2_projection",
        lambda snt: _block(snt, "V2", channels=8, stride=2, use_projection=True),
        inputs=((2, 5, 5, 4),),
        modes=TRAIN_EVAL,
        steps=2,
        **BN_TOL,
    ),
    Case(
        "resnet_block_v2_default_bn",
        lambda snt: _block(snt, "V2", channels=4, stride=1, use_projection=False, bn_config={}),
        inputs=((2, 4, 4, 4),),
        modes={"train": {"is_training": True}},
        steps=2,
        **BN_TOL,
    ),
    Case(
        "resnet_block_group_v2",
        lambda snt: snt.nets.resnet.BlockGroup(
            channels=8, num_blocks=2, stride=2, bn_config=BN_CONFIG, resnet_v2=True, name="group"
        ),
        inputs=((2, 6, 6, 4),),
        modes=TRAIN_EVAL,
        steps=2,
        **BN_TOL,
    ),
    Case(
        "resnet_block_group_v1_eval_moving_stats",
        lambda snt: snt.nets.resnet.BlockGroup(
            channels=8, num_blocks=2, stride=1, bn_config={"decay_rate": 0.5}, name="group"
        ),
        inputs=((2, 4, 4, 8),),
        call=_train_then_eval,
        modes={"eval": {}},
        steps=2,
        grad=False,
        **BN_TOL,
    ),
    # The logits' `w` starts at zero, so only d loss / d logits (and the moving statistics)
    # see the network; the block cases above check the rest of the backward pass. Each
    # ResNet mode compiles for seconds, so eval is checked once (v1) and otherwise by the
    # block cases.
    Case(
        "resnet_v1",
        lambda snt: _tiny_resnet(snt, resnet_v2=False),
        inputs=((2, 16, 16, 3),),
        modes={"train": {"is_training": True}},
        steps=2,
        **BN_TOL,
    ),
    Case(
        "resnet_v2",
        lambda snt: _tiny_resnet(snt, resnet_v2=True),
        inputs=((2, 16, 16, 3),),
        modes={"train": {"is_training": True}},
        steps=2,
        **BN_TOL,
    ),
    Case(
        "resnet_v1_eval_moving_stats",
        lambda snt: _tiny_resnet(snt, resnet_v2=False, bn_config={"decay_rate": 0.5}),
        inputs=((2, 16, 16, 3),),
        call=_train_then_eval,
        modes={"eval": {}},
        steps=2,
        grad=False,
        **BN_TOL,
    ),
]
