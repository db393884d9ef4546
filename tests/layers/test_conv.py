"""Tests for sonnax/_src/layers/conv.py, with dm-haiku 0.0.17 as the oracle."""

import inspect

import haiku
import jax
import jax.numpy as jnp
import numpy as np
import pytest

import sonnax
from tests import helpers


def _x(*shape):
    return jax.random.normal(jax.random.PRNGKey(0), shape)


def _resolve(lib, value):
    """Config values naming `lib` objects: "pad.causal", "init.normal", "mask"."""
    if isinstance(value, str) and value.startswith("pad."):
        return getattr(lib.pad, value[4:])
    if isinstance(value, list) and value and isinstance(value[0], str):
        return [_resolve(lib, item) for item in value]
    if isinstance(value, str) and value == "init.normal":
        return lib.initializers.RandomNormal(stddev=0.3)
    return value


def _build(cls, config):
    def build(lib, x):
        kwargs = {key: _resolve(lib, value) for key, value in config.items()}
        return getattr(lib, cls)(**kwargs)(x)

    return build


MASK = np.tril(np.ones([3, 3]))[:, :, None, None] * np.ones([3, 3, 4, 2])

# id: (class, input, kwargs). Each changes what is computed or which parameters exist.
CONFIGS = {
    "1d_same": ("Conv1D", _x(2, 7, 3), {"output_channels": 4, "kernel_shape": 3}),
    "1d_valid_stride": (
        "Conv1D",
        _x(2, 9, 3),
        {"output_channels": 2, "kernel_shape": 3, "stride": 2, "padding": "VALID"},
    ),
    "1d_causal_rate": (
        "Conv1D",
        _x(2, 9, 3),
        {"output_channels": 2, "kernel_shape": 3, "rate": 2, "padding": "pad.causal"},
    ),
    "1d_reverse_causal": (
        "Conv1D",
        _x(2, 7, 3),
        {"output_channels": 2, "kernel_shape": 3, "padding": "pad.reverse_causal"},
    ),
    "1d_full": (
        "Conv1D",
        _x(2, 7, 3),
        {"output_channels": 2, "kernel_shape": 4, "padding": "pad.full"},
    ),
    "1d_ncw": (
        "Conv1D",
        _x(2, 3, 8),
        {"output_channels": 2, "kernel_shape": 3, "data_format": "NCW", "stride": 2},
    ),
    "1d_unbatched": ("Conv1D", _x(7, 3), {"output_channels": 2, "kernel_shape": 3}),
    "2d_same_lower": (
        "Conv2D",
        _x(2, 6, 6, 3),
        {"output_channels": 2, "kernel_shape": 2, "stride": 2, "padding": "SAME_LOWER"},
    ),
    "2d_padfn_per_dim": (
        "Conv2D",
        _x(2, 6, 6, 3),
        {"output_channels": 2, "kernel_shape": 3, "padding": ["pad.causal", "pad.full"]},
    ),
    "2d_pairs_per_dim": (
        "Conv2D",
        _x(2, 6, 6, 3),
        {"output_channels": 2, "kernel_shape": 3, "padding": [(1, 0), (2, 1)]},
    ),
    "2d_nchw_groups_rate": (
        "Conv2D",
        _x(2, 4, 7, 7),
        {
            "output_channels": 6,
            "kernel_shape": (3, 2),
            "stride": (2, 1),
            "rate": (1, 2),
            "data_format": "NCHW",
            "feature_group_count": 2,
        },
    ),
    "2d_inits": (
        "Conv2D",
        _x(2, 5, 5, 3),
        {"output_channels": 2, "kernel_shape": 3, "w_init": "init.normal", "b_init": "init.normal"},
    ),
    "2d_mask_no_bias": (
        "Conv2D",
        _x(2, 5, 5, 4),
        {"output_channels": 2, "kernel_shape": 3, "mask": MASK, "with_bias": False},
    ),
    "2d_unbatched_nchw": (
        "Conv2D",
        _x(3, 5, 5),
        {"output_channels": 2, "kernel_shape": 3, "data_format": "NCHW"},
    ),
    "3d_ndhwc": (
        "Conv3D",
        _x(1, 2, 3, 2, 2),
        {"output_channels": 2, "kernel_shape": 2, "stride": [1, 2, 1]},
    ),
    "3d_ncdhw": (
        "Conv3D",
        _x(1, 2, 2, 3, 2),
        {"output_channels": 2, "kernel_shape": [2], "data_format": "NCDHW", "padding": "VALID"},
    ),
    "nd_channels_first": (
        "ConvND",
        _x(2, 3, 5, 5),
        {
            "num_spatial_dims": 2,
            "output_channels": 2,
            "kernel_shape": 3,
            "data_format": "channels_first",
            "name": "my_conv",
        },
    ),
}


@pytest.mark.parametrize("cls, x, config", CONFIGS.values(), ids=CONFIGS.keys())
def test_matches_haiku(cls, x, config):
    helpers.assert_matches_haiku(_build(cls, config), x)


def test_precision_is_passed_to_lax():
    def build(lib, x):
        return lib.Conv2D(2, 3)(x, precision=jax.lax.Precision.HIGHEST)

    helpers.assert_matches_haiku(build, _x(2, 5, 5, 3))


def test_attributes_match_haiku():
    seen = {}

    def record(lib, x):
        conv = lib.Conv2D(2, (3, 1), stride=[2], rate=2, padding=lib.pad.causal, data_format="NCHW")
        seen[lib.__name__] = {
            key: getattr(conv, key)
            for key in [
                "kernel_shape",
                "stride",
                "kernel_dilation",
                "lhs_dilation",
                "padding",
                "channel_index",
                "dimension_numbers",
                "feature_group_count",
            ]
        }
        return conv(x)

    helpers.both(record, helpers.KEY, _x(1, 2, 6, 6))
    assert seen["sonnax"] == seen["haiku"]


@pytest.mark.parametrize("padding", ["valid", "same_lower", [(1, 2)]], ids=str)
def test_padding_attribute_matches_haiku(padding):
    seen = {}

    def record(lib, x):
        seen[lib.__name__] = lib.Conv2D(2, 3, padding=padding).padding
        return x

    helpers.both(record, helpers.KEY, _x(1))
    assert seen["sonnax"] == seen["haiku"]


@pytest.mark.parametrize(
    "cls, x, config",
    [CONFIGS[name] for name in ["2d_nchw_groups_rate", "1d_unbatched"]],
    ids=["2d_nchw_groups_rate", "1d_unbatched"],
)
def test_jit_and_vmap(cls, x, config):
    helpers.assert_jit_and_vmap_match(_build(cls, config), x)


def _init(build, x):
    return lambda lib: lib.transform(lambda: build(lib, x)).init(helpers.KEY)


def _conv(**kwargs):
    return lambda lib, x: lib.Conv2D(**{"output_channels": 2, "kernel_shape": 3, **kwargs})(x)


def _second_call_with_other_channels(lib, x):
    conv = lib.Conv2D(2, 3)
    return conv(x) + conv(jnp.concatenate([x, x], axis=-1))


ERRORS = {
    "rank": (
        ValueError,
        _conv(),
        _x(5, 5),
        r"Input to ConvND needs to have rank in \[3, 4\]",
        r"'conv2_d' convolves 2 spatial dimensions.*got rank 2",
    ),
    "feature_groups": (
        ValueError,
        _conv(feature_group_count=2),
        _x(1, 4, 4, 3),
        "Inputs channels 3 should be a multiple of feature_group_count 2",
        r"'conv2_d', input shape \(1, 4, 4, 3\)",
    ),
    "output_feature_groups": (
        ValueError,
        _conv(feature_group_count=3),
        _x(1, 4, 4, 3),
        "output feature dimension size must be a multiple of feature_group_count",
        "module 'conv2_d' needs output_channels divisible",
    ),
    "mask_shape": (
        ValueError,
        _conv(mask=jnp.ones([3, 3, 2])),
        _x(1, 4, 4, 3),
        "Mask needs to have the same shape as weights",
        r"\(3, 3, 2\), \(3, 3, 3, 2\).*'conv2_d'",
    ),
    "unknown_padding": (
        RuntimeError,
        _conv(padding="CAUSAL"),
        _x(1, 4, 4, 3),
        "Unrecognized padding type",
        r"'conv2_d' got padding='CAUSAL'",
    ),
    "unknown_data_format": (
        ValueError,
        _conv(data_format="HWCN"),
        _x(1, 4, 4, 3),
        "Unable to extract channel information from",
        r"data_format='HWCN' of module 'conv2_d'",
    ),
    "kernel_length": (
        TypeError,
        _conv(kernel_shape=[1, 2, 3]),
        _x(1, 4, 4, 3),
        "kernel_shape must be a scalar or sequence of length 1 or sequence",
        r"in conv2_d.*\[1, 2, 3\] of length 3",
    ),
    "pairs_length": (
        TypeError,
        _conv(padding=[(1, 1)] * 3),
        _x(1, 4, 4, 3),
        "must be a Tuple",
        "3 pairs for 2 spatial dimensions",
    ),
    "second_call_channels": (
        ValueError,
        _second_call_with_other_channels,
        _x(1, 4, 4, 3),
        "does not match",
        r"conv2_d/w.*\(3, 3, 6, 2\)",
    ),
    "no_spatial_dims": (
        ValueError,
        lambda lib, x: lib.ConvND(0, 2, 3)(x),
        _x(2, 3),
        "greater than 0, received num_spatial_dims=0",
        "in module 'conv_nd'",
    ),
}


@pytest.mark.parametrize("error, build, x, phrase, context", ERRORS.values(), ids=ERRORS.keys())
def test_errors(error, build, x, phrase, context):
    helpers.assert_raises_like_haiku(error, phrase, context, _init(build, x))


def test_padding_function_sequence_resolved_per_dimension():
    conv = {}

    def record(lib, x):
        conv[lib.__name__] = lib.Conv2D(2, (3, 2), rate=(2, 1), padding=[lib.pad.same]).padding
        return x

    helpers.both(record, helpers.KEY, _x(1))
    assert conv["sonnax"] == conv["haiku"]


SIGNATURES = """ConvND Conv1D Conv2D Conv3D ConvNDTranspose Conv1DTranspose Conv2DTranspose
    Conv3DTranspose DepthwiseConv1D DepthwiseConv2D DepthwiseConv3D SeparableDepthwiseConv2D
    AvgPool MaxPool avg_pool max_pool get_channel_index""".split()


def _parameters(function):
    return [(p.name, p.kind, p.default) for p in inspect.signature(function).parameters.values()]


@pytest.mark.parametrize("name", SIGNATURES)
def test_signature_matches_haiku(name):
    ours, theirs = getattr(sonnax, name), getattr(haiku, name)
    assert _parameters(ours) == _parameters(theirs)
    if isinstance(ours, type):
        assert _parameters(ours.__call__) == _parameters(theirs.__call__)
