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
]
