"""Non-TF checks of the compat convolutions: signatures and errors match Sonnet's."""

from __future__ import annotations

import inspect

import jax
import jax.numpy as jnp
import pytest
import sonnet

import sonnax
from sonnax import compat
from sonnax.compat._src import conv


@pytest.mark.parametrize("name", ["Conv1D", "Conv2D", "Conv3D"])
def test_signature_matches_sonnet(name: str) -> None:
    ours = inspect.signature(getattr(compat, name).__init__)
    theirs = inspect.signature(getattr(sonnet, name).__init__)
    assert list(ours.parameters) == list(theirs.parameters)
    assert [p.default for p in ours.parameters.values()] == [
        p.default for p in theirs.parameters.values()
    ]


def test_convnd_signature_matches_sonnet() -> None:
    from sonnet.src import conv as sonnet_conv

    ours = inspect.signature(conv.ConvND.__init__)
    theirs = inspect.signature(sonnet_conv.ConvND.__init__)
    assert list(ours.parameters) == list(theirs.parameters)
    assert [p.default for p in ours.parameters.values()] == [
        p.default for p in theirs.parameters.values()
    ]


def test_pad_functions_match_sonnet() -> None:
    for name in ["valid", "same", "full", "causal", "reverse_causal"]:
        for k in [1, 2, 3, 5]:
            assert getattr(compat.pad, name)(k) == list(getattr(sonnet.pad, name)(k))
    for ci in [1, -1]:
        got = compat.pad.create([compat.pad.same, compat.pad.causal], [3, 2], 2, 2, ci)
        want = sonnet.pad.create([sonnet.pad.same, sonnet.pad.causal], [3, 2], 2, 2, ci)
        assert got == [list(p) for p in want]


def _construct(make) -> None:
    sonnax.transform_with_state(make).init(None)


def test_bad_num_spatial_dims() -> None:
    with pytest.raises(ValueError, match="num_spatial_dims=4"):
        _construct(lambda: conv.ConvND(4, 2, 3, data_format="NHWC"))


def test_b_init_without_bias() -> None:
    with pytest.raises(ValueError, match="b_init must be None"):
        _construct(lambda: compat.Conv2D(2, 3, with_bias=False, b_init=compat.initializers.Ones()))


def test_bad_data_format() -> None:
    with pytest.raises(ValueError, match="NXYZ"):
        _construct(lambda: compat.Conv2D(2, 3, data_format="NXYZ"))


def test_wrong_rank_names_module() -> None:
    f = sonnax.transform_with_state(lambda x: compat.Conv2D(2, 3, name="my_conv")(x))
    with pytest.raises(ValueError, match="my_conv.*expected rank 4"):
        f.init(jax.random.PRNGKey(0), jnp.zeros([2, 5, 3]))


def test_bad_kernel_shape_length() -> None:
    f = sonnax.transform_with_state(lambda x: compat.Conv2D(2, (3, 3, 3))(x))
    with pytest.raises(TypeError, match="kernel_shape"):
        f.init(jax.random.PRNGKey(0), jnp.zeros([2, 5, 5, 3]))


def test_jit_and_default_init_scale() -> None:
    f = sonnax.transform_with_state(lambda x: compat.Conv2D(64, 3)(x))
    x = jnp.ones([1, 4, 4, 8])
    params, state = f.init(jax.random.PRNGKey(1), x)
    w = params["conv2_d"]["w"]
    assert w.shape == (3, 3, 8, 64)
    # Truncated normal (cut at 2 stddev) with stddev 1/sqrt(3*3*8).
    assert float(jnp.max(jnp.abs(w))) <= 2 / (72**0.5) + 1e-6
    out, _ = jax.jit(f.apply)(params, state, None, x)
    assert out.shape == (1, 4, 4, 64)


@pytest.mark.parametrize(
    ("name", "last", "first", "kwargs"),
    [
        ("Conv1D", "NWC", "NCW", {"stride": 2}),
        ("Conv2D", "NHWC", "NCHW", {"rate": (1, 2), "padding": compat.pad.causal}),
        ("Conv3D", "NDHWC", "NCDHW", {"stride": (1, 2, 1), "padding": "VALID"}),
    ],
)
def test_channels_first_matches_channels_last(name, last, first, kwargs) -> None:
    # TF's CPU kernels cannot run channels-first convolutions, so the parity cases cover
    # channels-last only; channels-first must be the same computation on transposed axes.
    def forward(x, data_format):
        module = getattr(compat, name)(
            3, 2, data_format=data_format, b_init=compat.initializers.RandomNormal(), **kwargs
        )
        return module(x)

    x = jax.random.normal(jax.random.PRNGKey(0), (2, 5, 6, 4, 3)[: x_rank(name)])
    to_first = (0, x.ndim - 1, *range(1, x.ndim - 1))
    f_last = sonnax.transform(lambda x: forward(x, last))
    f_first = sonnax.transform(lambda x: forward(x, first))
    params = f_last.init(jax.random.PRNGKey(1), x)
    want = f_last.apply(params, None, x)
    got = f_first.apply(params, None, jnp.transpose(x, to_first))
    assert got.shape == jnp.transpose(want, to_first).shape
    assert jnp.allclose(got, jnp.transpose(want, to_first), atol=1e-5)


def x_rank(name: str) -> int:
    return {"Conv1D": 3, "Conv2D": 4, "Conv3D": 5}[name]
