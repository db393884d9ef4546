"""Parity cases: single layers (linear, bias, convolutions, embedding, reshaping, ...)."""

from tests.parity.cases import Case


def _rand_b(snt):
    return snt.initializers.RandomNormal()


CASES = [
    Case("linear", lambda snt: snt.Linear(4), inputs=((3, 5),)),
    Case("linear_no_bias", lambda snt: snt.Linear(4, with_bias=False), inputs=((3, 5),)),
    Case("linear_rank3", lambda snt: snt.Linear(6, name="proj"), inputs=((2, 3, 5),)),
    # Convolutions.
    Case("conv1d", lambda snt: snt.Conv1D(4, 3, b_init=_rand_b(snt)), inputs=((2, 7, 3),)),
    Case(
        "conv1d_valid_stride2",
        lambda snt: snt.Conv1D(4, 3, stride=2, padding="VALID"),
        inputs=((2, 9, 3),),
    ),
    Case(
        "conv1d_causal",
        lambda snt: snt.Conv1D(4, 3, rate=2, padding=snt.pad.causal, b_init=_rand_b(snt)),
        inputs=((2, 8, 3),),
    ),
    Case("conv2d", lambda snt: snt.Conv2D(4, 3, b_init=_rand_b(snt)), inputs=((2, 5, 5, 3),)),
    Case(
        "conv2d_same_stride2",
        lambda snt: snt.Conv2D(4, (3, 2), stride=2, b_init=_rand_b(snt)),
        inputs=((2, 6, 7, 3),),
    ),
    Case(
        "conv2d_valid_stride_hw",
        lambda snt: snt.Conv2D(4, 3, stride=(1, 2), padding="valid"),
        inputs=((2, 6, 7, 3),),
    ),
    Case(
        "conv2d_rate2",
        lambda snt: snt.Conv2D(4, 3, rate=2, b_init=_rand_b(snt)),
        inputs=((2, 7, 7, 2),),
    ),
    Case(
        "conv2d_rate_hw_valid",
        lambda snt: snt.Conv2D(4, 2, rate=(2, 1), padding="VALID"),
        inputs=((2, 7, 6, 2),),
    ),
    Case(
        "conv2d_no_bias",
        lambda snt: snt.Conv2D(4, 1, with_bias=False, w_init=snt.initializers.Ones()),
        inputs=((2, 4, 4, 3),),
    ),
    Case(
        "conv2d_pad_fns",
        lambda snt: snt.Conv2D(
            4, 3, padding=(snt.pad.full, snt.pad.reverse_causal), b_init=_rand_b(snt)
        ),
        inputs=((2, 5, 5, 2),),
    ),
    Case("conv3d", lambda snt: snt.Conv3D(3, 2, b_init=_rand_b(snt)), inputs=((2, 3, 4, 4, 2),)),
    # TF's CPU kernels do not run channels-first convolutions: tests/compat/test_conv.py
    # checks those against the channels-last ones tested here.
]
