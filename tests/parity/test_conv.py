"""Channels-first convolutions against TF Sonnet.

TF's CPU kernels only take channels-last inputs, so the oracle here is the same Sonnet
convolution run channels-last: the kernel's shape does not depend on the data format, so
both sides share `w` and `b`, and the compat output (and input gradient), moved to
channels-last, must equal TF's.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
import pytest
import sonnet
import tensorflow as tf

import sonnax
from sonnax import compat

# (class name, constructor kwargs, channels-last input shape)
CONFIGS = {
    "conv1d_ncw_rate2": ("Conv1D", dict(output_channels=4, kernel_shape=3, rate=2), (2, 9, 3)),
    "conv2d_nchw_stride2": (
        "Conv2D",
        dict(output_channels=4, kernel_shape=3, stride=2),
        (2, 6, 5, 3),
    ),
    "conv2d_nchw_valid_rate": (
        "Conv2D",
        dict(output_channels=3, kernel_shape=(2, 3), rate=(1, 2), padding="VALID"),
        (2, 5, 7, 2),
    ),
    "conv2d_nchw_pad_fn": (
        "Conv2D",
        dict(output_channels=4, kernel_shape=2, padding=sonnet.pad.same),
        (2, 5, 5, 2),
    ),
    "conv3d_ncdhw": (
        "Conv3D",
        dict(output_channels=3, kernel_shape=2, stride=2, padding="VALID"),
        (1, 4, 5, 4, 2),
    ),
}
FORMATS = {1: ("NWC", "NCW"), 2: ("NHWC", "NCHW"), 3: ("NDHWC", "NCDHW")}


def _compat_kwargs(kwargs: dict) -> dict:
    out = dict(kwargs)
    if callable(out.get("padding")):
        out["padding"] = getattr(compat.pad, out["padding"].__name__)
    return out


@pytest.mark.parametrize("name", sorted(CONFIGS))
def test_channels_first_matches_sonnet_channels_last(name: str) -> None:
    cls, kwargs, shape = CONFIGS[name]
    n = len(shape) - 2
    last, first = FORMATS[n]
    rng = np.random.default_rng(0)
    x = rng.standard_normal(shape).astype(np.float32)

    tf_conv = getattr(sonnet, cls)(
        data_format=last, b_init=sonnet.initializers.RandomNormal(), name="c", **kwargs
    )
    tx = tf.constant(x)
    with tf.GradientTape() as tape:
        tape.watch(tx)
        tf_out = tf_conv(tx)
        cot = rng.standard_normal(tf_out.shape).astype(np.float32)
        loss = tf.reduce_sum(tf_out * cot)
    tf_dx, tf_dw, tf_db = tape.gradient(loss, [tx, tf_conv.w, tf_conv.b])

    to_first = (0, n + 1, *range(1, n + 1))
    to_last = (0, *range(2, n + 2), 1)

    def forward(inputs):
        conv = getattr(compat, cls)(data_format=first, name="c", **_compat_kwargs(kwargs))
        return conv(inputs)

    f = sonnax.transform_with_state(forward)
    x_first = jnp.transpose(x, to_first)
    params, state = f.init(jax.random.PRNGKey(0), x_first)
    assert {k: v.shape for k, v in params["c"].items()} == {
        "w": tuple(tf_conv.w.shape),
        "b": tuple(tf_conv.b.shape),
    }
    params = {"c": {"w": jnp.asarray(tf_conv.w.numpy()), "b": jnp.asarray(tf_conv.b.numpy())}}

    def compat_loss(p, xf):
        out, _ = f.apply(p, state, None, xf)
        return jnp.sum(jnp.transpose(out, to_last) * cot), out

    (_, out), (dp, dxf) = jax.value_and_grad(compat_loss, argnums=(0, 1), has_aux=True)(
        params, x_first
    )
    np.testing.assert_allclose(jnp.transpose(out, to_last), tf_out.numpy(), rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(jnp.transpose(dxf, to_last), tf_dx.numpy(), rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(dp["c"]["w"], tf_dw.numpy(), rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(dp["c"]["b"], tf_db.numpy(), rtol=1e-5, atol=1e-5)
