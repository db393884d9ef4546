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
    # Transposed convolutions.
    Case(
        "conv1d_transpose",
        lambda snt: snt.Conv1DTranspose(3, 3, stride=2, b_init=_rand_b(snt)),
        inputs=((2, 5, 4),),
    ),
    Case(
        "conv1d_transpose_valid",
        lambda snt: snt.Conv1DTranspose(3, 4, stride=3, padding="VALID"),
        inputs=((2, 4, 2),),
    ),
    Case(
        "conv2d_transpose",
        lambda snt: snt.Conv2DTranspose(3, (3, 2), stride=(2, 1), b_init=_rand_b(snt)),
        inputs=((2, 4, 3, 2),),
    ),
    Case(
        "conv2d_transpose_output_shape",
        lambda snt: snt.Conv2DTranspose(3, 3, output_shape=(7, 8), stride=2, with_bias=False),
        inputs=((2, 4, 4, 2),),
    ),
    Case(
        # TF's CPU kernels do not run dilated transposed convolutions: no `rate` case.
        "conv2d_transpose_valid",
        lambda snt: snt.Conv2DTranspose(3, (2, 3), stride=2, padding="VALID", b_init=_rand_b(snt)),
        inputs=((2, 4, 3, 2),),
    ),
    Case(
        "conv3d_transpose",
        lambda snt: snt.Conv3DTranspose(2, 2, stride=2, b_init=_rand_b(snt)),
        inputs=((2, 2, 3, 2, 2),),
    ),
]

# Bias (helper A, second block).
CASES += [
    Case("bias", lambda snt: snt.Bias(b_init=_rand_b(snt)), inputs=((2, 3, 4),)),
    Case(
        "bias_last_dim_multiplier",
        lambda snt: snt.Bias(bias_dims=[-1], b_init=_rand_b(snt)),
        inputs=((2, 3, 4),),
        call=lambda snt, m, x: m(x, multiplier=-2.0),
    ),
    Case(
        "bias_first_dim",
        lambda snt: snt.Bias(bias_dims=[1], b_init=_rand_b(snt)),
        inputs=((2, 3, 4, 2),),
    ),
    Case(
        "bias_scalar",
        lambda snt: snt.Bias(bias_dims=[], output_size=(3, 4), b_init=_rand_b(snt)),
        inputs=((2, 3, 4),),
    ),
    # Depthwise convolutions.
    Case(
        "depthwise_conv2d",
        lambda snt: snt.DepthwiseConv2D(3, b_init=_rand_b(snt)),
        inputs=((2, 5, 5, 3),),
    ),
    Case(
        "depthwise_conv2d_multiplier_stride",
        lambda snt: snt.DepthwiseConv2D(
            (3, 2), channel_multiplier=2, stride=2, b_init=_rand_b(snt)
        ),
        inputs=((2, 6, 5, 3),),
    ),
    Case(
        "depthwise_conv2d_valid_rate2",
        lambda snt: snt.DepthwiseConv2D(2, channel_multiplier=3, rate=2, padding="VALID"),
        inputs=((2, 6, 6, 2),),
    ),
    Case(
        "depthwise_conv2d_no_bias",
        lambda snt: snt.DepthwiseConv2D(3, 2, with_bias=False),
        inputs=((2, 4, 4, 2),),
    ),
]


def _reshape_and_back(snt, module, x):
    y = module(x)
    return y, module.reversed()(y * 2.0)


# Reshaping (helper A, third block).
CASES += [
    Case("reshape", lambda snt: snt.Reshape((-1, 2)), inputs=((2, 3, 4, 2),)),
    Case(
        "reshape_preserve2_reversed",
        lambda snt: snt.Reshape((6, -1), preserve_dims=2),
        inputs=((2, 3, 2, 3, 2),),
        call=_reshape_and_back,
    ),
    Case("flatten", lambda snt: snt.Flatten(), inputs=((2, 3, 4),)),
    Case("flatten_preserve2", lambda snt: snt.Flatten(preserve_dims=2), inputs=((2, 3, 4, 2),)),
    Case(
        "reshape_flatten_functions",
        lambda snt: None,
        inputs=((2, 3, 4),),
        call=lambda snt, m, x: (snt.reshape(x, (4, 3)), snt.flatten(x * x)),
    ),
]


def _square(x):
    return x * x


def _batch_apply_pair(snt):
    linear = snt.Linear(3, b_init=_rand_b(snt), name="inner")
    return snt.BatchApply(lambda a, b=None: (linear(a) * b, {"sq": _square(a)}))


def _merge_split(snt, module, x):
    merged = snt.merge_leading_dims(x, num_dims=3)
    return merged, snt.split_leading_dim(merged * 3.0, x, num_dims=3), snt.merge_leading_dims(x, 5)


# BatchApply, Sequential (helper A, fourth block).
CASES += [
    Case(
        "batch_apply_linear",
        lambda snt: snt.BatchApply(snt.Linear(4, b_init=_rand_b(snt), name="inner")),
        inputs=((3, 2, 5),),
    ),
    Case(
        "batch_apply_num_dims3_kwargs_nest",
        _batch_apply_pair,
        inputs=((2, 2, 3, 4), (2, 2, 3, 3)),
        call=lambda snt, m, a, b: m(a, b=b),
    ),
    Case(
        "batch_apply_3dims",
        lambda snt: snt.BatchApply(snt.Linear(2, name="inner"), num_dims=3),
        inputs=((2, 3, 2, 4),),
    ),
    Case("merge_split_leading_dims", lambda snt: None, inputs=((2, 3, 2, 4),), call=_merge_split),
    Case(
        "sequential",
        lambda snt: snt.Sequential(
            [snt.Linear(4, b_init=_rand_b(snt), name="l0"), _square, snt.Linear(2, name="l1")],
            name="seq",
        ),
        inputs=((3, 5),),
    ),
    Case("sequential_empty", lambda snt: snt.Sequential(), inputs=((3, 5),)),
    Case(
        "sequential_first_layer_args",
        lambda snt: snt.Sequential([snt.Bias(b_init=_rand_b(snt)), snt.Flatten()]),
        inputs=((3, 2, 2),),
        call=lambda snt, m, x: m(x, multiplier=-1.0),
    ),
]


def _clip_call(snt, m, x):
    # Values spread over [-2, 2] so that some fall on each side of the range.
    return snt.leaky_clip_by_value(2 * x, -0.5, 0.8)


def _clip_loss_call(snt, m, x):
    # A nonlinear loss: the cotangent reaching the clip depends on the clipped values,
    # so both signs of the gradient occur on both sides of the range.
    clipped = snt.leaky_clip_by_value(2 * x, -0.5, 0.8)
    return (clipped - 0.3) ** 2


CASES += [
    Case("leaky_clip_by_value", lambda snt: None, inputs=((4, 6),), call=_clip_call),
    Case("leaky_clip_by_value_square", lambda snt: None, inputs=((4, 6),), call=_clip_loss_call),
    Case(
        "scale_gradient",
        lambda snt: snt.Linear(3, name="lin"),
        inputs=((2, 4),),
        call=lambda snt, m, x: m(snt.scale_gradient(x, 0.25)) * snt.scale_gradient(x[:, :3], -2.0),
    ),
]

# Dropout in eval mode (the identity); training-mode statistics: tests/parity/test_dropout.py.
CASES += [
    Case(
        "dropout_eval",
        lambda snt: snt.Dropout(0.4, name="drop"),
        inputs=((3, 5),),
        modes={"eval": {"is_training": False}},
    ),
]


def _ids(shape, vocab):
    return lambda rng: rng.integers(0, vocab, size=shape).astype("int32")


# Embed (helper A, fifth block).
CASES += [
    Case("embed", lambda snt: snt.Embed(7, 3), inputs=(_ids((2, 5), 7),)),
    Case("embed_default_dim", lambda snt: snt.Embed(20), inputs=(_ids((4,), 20),)),
    Case(
        "embed_existing_vocab_frozen",
        lambda snt: snt.Embed(
            existing_vocab=[[1.0, 2.0], [3.0, -1.0], [0.5, 0.25]], trainable=False, name="e"
        ),
        inputs=(_ids((2, 3), 3),),
        grad=False,  # Nothing to differentiate: int ids and a non-trainable table.
    ),
    Case(
        "embed_init_times_float",
        lambda snt: snt.Embed(5, 4, initializer=snt.initializers.RandomUniform(), name="e2"),
        inputs=(_ids((3,), 5), (3, 4)),
        call=lambda snt, m, ids, x: m(ids) * x,
    ),
]


class _DeferredOwner:
    """Builds a `Deferred` in a parent module, the way Sonnet code uses it."""

    @staticmethod
    def build(snt):
        class Owner(snt.Module):
            def __init__(self):
                super().__init__(name="owner")
                self.lazy = snt.Deferred(lambda: snt.Linear(3, b_init=_rand_b(snt), name="lin"))

            def __call__(self, x):
                return self.lazy(x) + self.lazy.b

        return Owner()


CASES += [
    Case(
        "deferred",
        lambda snt: snt.Deferred(lambda: snt.Linear(3, b_init=_rand_b(snt), name="lin")),
        inputs=((2, 4),),
    ),
    Case("deferred_in_module", _DeferredOwner.build, inputs=((2, 4),)),
]
