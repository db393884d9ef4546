"""Non-TF checks of the compat transposed and depthwise convolutions: signatures, errors."""

from __future__ import annotations

import inspect

import jax
import jax.numpy as jnp
import pytest
import sonnet
from sonnet.src import conv_transpose as sonnet_conv_transpose

import sonnax
from sonnax import compat
from sonnax.compat._src import conv_transpose


def _construct(make):
    sonnax.transform(make).init(None)


def _params(function):
    return [(p.name, p.default) for p in inspect.signature(function).parameters.values()]


@pytest.mark.parametrize(
    "name", ["Conv1DTranspose", "Conv2DTranspose", "Conv3DTranspose", "DepthwiseConv2D"]
)
def test_signature_matches_sonnet(name: str) -> None:
    assert _params(getattr(compat, name).__init__) == _params(getattr(sonnet, name).__init__)


def test_convnd_transpose_signature_matches_sonnet() -> None:
    ours = _params(conv_transpose.ConvNDTranspose.__init__)
    assert ours == _params(sonnet_conv_transpose.ConvNDTranspose.__init__)


def test_bad_padding() -> None:
    with pytest.raises(TypeError, match="SAME"):
        _construct(lambda: compat.Conv2DTranspose(2, 3, padding=compat.pad.causal))  # type: ignore[arg-type]


def test_bad_num_spatial_dims() -> None:
    with pytest.raises(ValueError, match="num_spatial_dims=0"):
        _construct(lambda: conv_transpose.ConvNDTranspose(0, 2, 3, data_format="NHWC"))


def test_output_shape_length_names_module() -> None:
    f = sonnax.transform(
        lambda x: compat.Conv2DTranspose(2, 3, output_shape=(4, 4, 4), name="up")(x)
    )
    with pytest.raises(ValueError, match="up.*output_shape must be of length 2"):
        f.init(jax.random.PRNGKey(0), jnp.zeros([1, 2, 2, 3]))


def test_kernel_is_out_in_and_jit() -> None:
    f = sonnax.transform(lambda x: compat.Conv2DTranspose(5, 3, stride=2)(x))
    x = jnp.ones([1, 3, 3, 2])
    params = f.init(jax.random.PRNGKey(0), x)
    assert params["conv2_d_transpose"]["w"].shape == (3, 3, 5, 2)
    assert jax.jit(f.apply)(params, None, x).shape == (1, 6, 6, 5)


def test_depthwise_b_init_without_bias() -> None:
    with pytest.raises(ValueError, match="b_init must be None"):
        _construct(
            lambda: compat.DepthwiseConv2D(3, with_bias=False, b_init=compat.initializers.Ones())
        )


def test_depthwise_channels_first_matches_channels_last() -> None:
    # TF's CPU kernels cannot run channels-first depthwise convolutions (no parity case).
    def forward(x, data_format):
        module = compat.DepthwiseConv2D(
            3, 2, data_format=data_format, b_init=compat.initializers.RandomNormal()
        )
        return module(x)

    x = jax.random.normal(jax.random.PRNGKey(0), (2, 5, 6, 3))
    f_last = sonnax.transform(lambda x: forward(x, "NHWC"))
    f_first = sonnax.transform(lambda x: forward(x, "NCHW"))
    params = f_last.init(jax.random.PRNGKey(1), x)
    want = jnp.transpose(f_last.apply(params, None, x), (0, 3, 1, 2))
    got = f_first.apply(params, None, jnp.transpose(x, (0, 3, 1, 2)))
    assert got.shape == want.shape
    assert jnp.allclose(got, want, atol=1e-5)


def test_transpose_channels_first_matches_channels_last() -> None:
    def forward(x, data_format):
        module = compat.Conv2DTranspose(
            3, 2, stride=2, data_format=data_format, b_init=compat.initializers.RandomNormal()
        )
        return module(x)

    x = jax.random.normal(jax.random.PRNGKey(0), (2, 3, 4, 2))
    f_last = sonnax.transform(lambda x: forward(x, "NHWC"))
    f_first = sonnax.transform(lambda x: forward(x, "NCHW"))
    params = f_last.init(jax.random.PRNGKey(1), x)
    want = jnp.transpose(f_last.apply(params, None, x), (0, 3, 1, 2))
    got = f_first.apply(params, None, jnp.transpose(x, (0, 3, 1, 2)))
    assert got.shape == want.shape
    assert jnp.allclose(got, want, atol=1e-5)
