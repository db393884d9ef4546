"""Tests for sonnax/_src/layers/conv_transpose.py, with dm-haiku 0.0.17 as the oracle."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from tests import helpers


def _x(*shape):
    return jax.random.normal(jax.random.PRNGKey(0), shape)


def _build(cls, config):
    def build(lib, x):
        return getattr(lib, cls)(**config)(x)

    return build


MASK = np.tril(np.ones([3, 3]))[:, :, None, None] * np.ones([3, 3, 2, 3])

# id: (class, input, kwargs). Each changes what is computed or which parameters exist.
CONFIGS = {
    "1d_same_stride": (
        "Conv1DTranspose",
        _x(2, 5, 3),
        {"output_channels": 2, "kernel_shape": 3, "stride": 2},
    ),
    "1d_valid": (
        "Conv1DTranspose",
        _x(2, 5, 3),
        {"output_channels": 2, "kernel_shape": 3, "padding": "VALID"},
    ),
    "1d_output_shape_same": (
        "Conv1DTranspose",
        _x(2, 5, 3),
        {"output_channels": 2, "kernel_shape": 4, "stride": 2, "output_shape": 9},
    ),
    "1d_output_shape_valid": (
        "Conv1DTranspose",
        _x(2, 5, 3),
        {
            "output_channels": 2,
            "kernel_shape": 3,
            "stride": 2,
            "output_shape": [12],
            "padding": "VALID",
        },
    ),
    "1d_pairs": (
        "Conv1DTranspose",
        _x(2, 5, 3),
        {"output_channels": 2, "kernel_shape": 3, "stride": 2, "padding": [(1, 2)]},
    ),
    "1d_lowercase_same_stride_1": (
        "Conv1DTranspose",
        _x(2, 5, 3),
        {"output_channels": 2, "kernel_shape": 3, "padding": "same"},
    ),
    "1d_ncw_unbatched": (
        "Conv1DTranspose",
        _x(3, 5),
        {"output_channels": 2, "kernel_shape": 3, "data_format": "NCW"},
    ),
    "2d_nchw_output_shape": (
        "Conv2DTranspose",
        _x(2, 3, 4, 4),
        {
            "output_channels": 2,
            "kernel_shape": (3, 2),
            "stride": (2, 1),
            "output_shape": (8, 4),
            "data_format": "NCHW",
        },
    ),
    "2d_mask_no_bias": (
        "Conv2DTranspose",
        _x(2, 4, 4, 3),
        {"output_channels": 2, "kernel_shape": 3, "mask": MASK, "with_bias": False},
    ),
    "3d_ndhwc": (
        "Conv3DTranspose",
        _x(2, 2, 3, 3, 2),
        {"output_channels": 2, "kernel_shape": 2, "stride": [2, 1, 1]},
    ),
    "3d_ncdhw": (
        "Conv3DTranspose",
        _x(2, 2, 2, 3, 3),
        {"output_channels": 2, "kernel_shape": 2, "data_format": "NCDHW"},
    ),
    "nd_channels_first": (
        "ConvNDTranspose",
        _x(2, 3, 4, 4),
        {
            "num_spatial_dims": 2,
            "output_channels": 2,
            "kernel_shape": 3,
            "stride": 2,
            "data_format": "channels_first",
        },
    ),
}


@pytest.mark.parametrize("cls, x, config", CONFIGS.values(), ids=CONFIGS.keys())
def test_matches_haiku(cls, x, config):
    helpers.assert_matches_haiku(_build(cls, config), x)


def test_initializers_and_precision():
    def build(lib, x):
        conv = lib.Conv1DTranspose(
            2, 3, w_init=lib.initializers.RandomNormal(), b_init=lib.initializers.Constant(0.5)
        )
        return conv(x, precision=jax.lax.Precision.HIGHEST)

    helpers.assert_matches_haiku(build, _x(1, 3, 2))


@pytest.mark.parametrize("name", ["2d_nchw_output_shape"])
def test_jit_and_vmap(name):
    cls, x, config = CONFIGS[name]
    helpers.assert_jit_and_vmap_match(_build(cls, config), x)


def _init(build, x):
    return lambda lib: lib.transform(lambda: build(lib, x)).init(helpers.KEY)


def _conv(**kwargs):
    return lambda lib, x: lib.Conv1DTranspose(
        **{"output_channels": 2, "kernel_shape": 3, **kwargs}
    )(x)


ERRORS = {
    "rank": (
        ValueError,
        _conv(),
        _x(5),
        r"Input to ConvNDTranspose needs to have rank in",
        r"'conv1_d_transpose'.*got rank 1",
    ),
    "output_shape_with_pairs": (
        ValueError,
        _conv(output_shape=5, padding=[(1, 1)]),
        _x(1, 5, 2),
        "When specifying `output_shape`",
        r"'conv1_d_transpose' got padding=\[\(1, 1\)\]",
    ),
    "output_shape_unreachable": (
        ValueError,
        _conv(output_shape=20, stride=2),
        _x(1, 5, 2),
        "expected input size .* is 10 which doesn't match",
        "'conv1_d_transpose' with padding='SAME'",
    ),
    "output_shape_other_string": (
        ValueError,
        _conv(output_shape=5, padding="same"),
        _x(1, 5, 2),
        "`padding` must be 'VALID' or 'SAME'",
        "'conv1_d_transpose' was given an output_shape",
    ),
    "lowercase_same": (
        ValueError,
        _conv(padding="same", stride=2),
        _x(1, 5, 2),
        "String padding is not implemented for transposed convolution",
        r"'conv1_d_transpose' got padding='same' with stride \(2,\)",
    ),
    "mask_shape": (
        ValueError,
        _conv(mask=jnp.ones([3, 2])),
        _x(1, 5, 2),
        "Mask needs to have the same shape as weights",
        r"\(3, 2\), \(3, 2, 2\).*'conv1_d_transpose'",
    ),
    "unknown_padding": (
        RuntimeError,
        _conv(padding="FULL"),
        _x(1, 5, 2),
        "Unrecognized padding type",
        "'conv1_d_transpose' got padding='FULL'",
    ),
    "unknown_data_format": (
        ValueError,
        _conv(data_format="WCN"),
        _x(1, 5, 2),
        "Unable to extract channel information",
        "data_format='WCN' of module 'conv1_d_transpose'",
    ),
    "output_shape_length": (
        TypeError,
        _conv(output_shape=[4, 4]),
        _x(1, 5, 2),
        "output_shape must be a scalar or sequence",
        r"in conv1_d_transpose.*\[4, 4\] of length 2",
    ),
    "no_spatial_dims": (
        ValueError,
        lambda lib, x: lib.ConvNDTranspose(0, 2, 3)(x),
        _x(2, 3),
        "received num_spatial_dims=0",
        "'conv_nd_transpose'",
    ),
}


@pytest.mark.parametrize("error, build, x, phrase, context", ERRORS.values(), ids=ERRORS.keys())
def test_errors(error, build, x, phrase, context):
    helpers.assert_raises_like_haiku(error, phrase, context, _init(build, x))
