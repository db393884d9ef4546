"""Tests for sonnax/_src/layers/depthwise_conv.py, with dm-haiku 0.0.17 as the oracle."""

import jax
import pytest

from tests import helpers


def _x(*shape):
    return jax.random.normal(jax.random.PRNGKey(0), shape)


def _build(cls, config):
    def build(lib, x):
        return getattr(lib, cls)(**config)(x)

    return build


# id: (class, input, kwargs). Each changes what is computed or which parameters exist.
CONFIGS = {
    "1d": ("DepthwiseConv1D", _x(2, 7, 3), {"channel_multiplier": 2, "kernel_shape": 3}),
    "1d_valid_stride_rate": (
        "DepthwiseConv1D",
        _x(2, 9, 3),
        {"channel_multiplier": 1, "kernel_shape": 3, "stride": 2, "rate": 2, "padding": "VALID"},
    ),
    # Haiku's channels-first bias has shape [C * M, 1, 1] for every N; for 1-D it lines up
    # with the batch axis, so it only broadcasts when the batch size is C * M.
    "1d_ncw_bias_quirk": (
        "DepthwiseConv1D",
        _x(6, 3, 7),
        {"channel_multiplier": 2, "kernel_shape": 3, "data_format": "NCW"},
    ),
    "2d_pairs": (
        "DepthwiseConv2D",
        _x(2, 5, 5, 3),
        {"channel_multiplier": 2, "kernel_shape": (3, 2), "padding": [(1, 0), (2, 1)]},
    ),
    "2d_nchw_stride": (
        "DepthwiseConv2D",
        _x(2, 3, 6, 6),
        {"channel_multiplier": 2, "kernel_shape": 3, "stride": [2, 1], "data_format": "NCHW"},
    ),
    "2d_no_bias_init": (
        "DepthwiseConv2D",
        _x(2, 5, 5, 2),
        {"channel_multiplier": 3, "kernel_shape": 3, "with_bias": False, "name": "dw"},
    ),
    "3d": ("DepthwiseConv3D", _x(1, 2, 3, 2, 2), {"channel_multiplier": 2, "kernel_shape": 2}),
    "3d_ncdhw_no_bias": (
        "DepthwiseConv3D",
        _x(2, 2, 3, 3, 3),
        {"channel_multiplier": 1, "kernel_shape": 2, "data_format": "NCDHW", "with_bias": False},
    ),
    "separable": (
        "SeparableDepthwiseConv2D",
        _x(2, 6, 6, 3),
        {"channel_multiplier": 2, "kernel_shape": (3, 2), "stride": 2},
    ),
}


@pytest.mark.parametrize("cls, x, config", CONFIGS.values(), ids=CONFIGS.keys())
def test_matches_haiku(cls, x, config):
    helpers.assert_matches_haiku(_build(cls, config), x)


def test_initializers():
    def build(lib, x):
        normal = lib.initializers.RandomNormal()
        return lib.DepthwiseConv1D(2, 3, w_init=normal, b_init=normal)(x)

    helpers.assert_matches_haiku(build, _x(1, 4, 2))


@pytest.mark.parametrize("name", ["separable"])
def test_jit_and_vmap(name):
    cls, x, config = CONFIGS[name]
    helpers.assert_jit_and_vmap_match(_build(cls, config), x)


def _init(build, x):
    return lambda lib: lib.transform(lambda: build(lib, x)).init(helpers.KEY)


def _conv(**kwargs):
    return lambda lib, x: lib.DepthwiseConv2D(
        **{"channel_multiplier": 1, "kernel_shape": 3, **kwargs}
    )(x)


ERRORS = {
    "rank": (
        TypeError,
        _conv(),
        _x(5, 5, 3),
        "convolution requires lhs and rhs ndim",
        r"'depthwise_conv2_d' takes batched inputs of rank 4, got shape \(5, 5, 3\)",
    ),
    "unknown_padding": (
        RuntimeError,
        _conv(padding="CAUSAL"),
        _x(1, 5, 5, 3),
        "Unrecognized padding type",
        "'depthwise_conv2_d' got padding='CAUSAL'",
    ),
    "unknown_data_format": (
        ValueError,
        _conv(data_format="CHWN"),
        _x(1, 5, 5, 3),
        "Unable to extract channel information",
        "data_format='CHWN' of module 'depthwise_conv2_d'",
    ),
    "channels_first_3d_bias": (
        ValueError,
        lambda lib, x: lib.DepthwiseConv3D(2, 2, data_format="NCDHW")(x),
        _x(1, 2, 3, 3, 3),
        "Incompatible types for broadcasting",
        r"'depthwise_conv3_d' has shape \(4, 1, 1\)",
    ),
    "kernel_length": (
        TypeError,
        _conv(kernel_shape=(1, 2, 3)),
        _x(1, 5, 5, 3),
        "kernel_shape must be a scalar or sequence",
        "in depthwise_conv2_d",
    ),
}


@pytest.mark.parametrize("error, build, x, phrase, context", ERRORS.values(), ids=ERRORS.keys())
def test_errors(error, build, x, phrase, context):
    helpers.assert_raises_like_haiku(error, phrase, context, _init(build, x))
