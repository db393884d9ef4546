"""Compat VQ-VAE quantizers: Sonnet's signatures, outputs and errors."""

import inspect

import jax
import jax.numpy as jnp
import numpy as np
import pytest
import sonnet
import tensorflow as tf

import sonnax
from sonnax import compat
from tests.parity import harness


def _unwrapped(method):
    """Sonnet's own method: its name-scope wrapper hides the signature (`*args, **kwargs`)."""
    return inspect.getclosurevars(method).nonlocals.get("f", method)


def _signature(function):
    return [(p.name, p.kind) for p in inspect.signature(function).parameters.values()]


def _defaults(function):
    defaults = {p.name: p.default for p in inspect.signature(function).parameters.values()}
    if "dtype" in defaults:
        defaults["dtype"] = jnp.dtype(
            getattr(defaults["dtype"], "as_numpy_dtype", defaults["dtype"])
        )
    return defaults


def test_vector_quantizer_signatures_are_sonnets():
    for method in ("__init__", "__call__", "quantize"):
        ours = getattr(compat.nets.VectorQuantizer, method)
        theirs = _unwrapped(getattr(sonnet.nets.VectorQuantizer, method))
        assert _signature(ours) == _signature(theirs)
        assert _defaults(ours) == _defaults(theirs)


def test_vector_quantizer_outputs_are_sonnets():
    x = np.random.default_rng(0).standard_normal([2, 3, 4]).astype(np.float32)
    theirs = sonnet.nets.VectorQuantizer(4, 5, 0.25)(tf.constant(x), is_training=True)

    def f(x):
        return compat.nets.VectorQuantizer(4, 5, 0.25)(x, is_training=True)

    f = sonnax.transform_with_state(f)
    params, state = f.init(jax.random.PRNGKey(0), x)
    assert list(params) == ["vector_quantizer"]
    ours, _ = f.apply(params, state, None, x)
    assert sorted(ours) == sorted(theirs)
    for key in theirs:
        assert ours[key].shape == tuple(theirs[key].shape), key
    assert jnp.issubdtype(ours["encoding_indices"].dtype, jnp.integer)
    # Straight through: `inputs + (codes - inputs)`, the codes up to rounding.
    np.testing.assert_allclose(ours["quantize"], compat_quantize(params, ours), atol=1e-6)


def compat_quantize(params, outputs):
    """The codes picked, looked up by hand from the codebook."""
    codebook = np.asarray(params["vector_quantizer"]["embeddings"]).T
    return codebook[np.asarray(outputs["encoding_indices"])]


def test_vector_quantizer_ema_signatures_are_sonnets():
    for method in ("__init__", "__call__", "quantize"):
        ours = getattr(compat.nets.VectorQuantizerEMA, method)
        theirs = _unwrapped(getattr(sonnet.nets.VectorQuantizerEMA, method))
        assert _signature(ours) == _signature(theirs)
        assert _defaults(ours) == _defaults(theirs)


def test_vector_quantizer_ema_rejects_decay_outside_unit_interval():
    def f():
        compat.nets.VectorQuantizerEMA(4, 5, 0.25, decay=1.5)

    with pytest.raises(ValueError, match=r"decay must be in range \[0, 1\], got 1.5"):
        sonnax.transform_with_state(f).init(jax.random.PRNGKey(0))


def test_vector_quantizer_ema_state_is_sonnets():
    def f(x):
        return compat.nets.VectorQuantizerEMA(4, 5, 0.25, decay=0.9)(x, is_training=True)

    x = np.random.default_rng(0).standard_normal([2, 3, 4]).astype(np.float32)
    tf_vq = sonnet.nets.VectorQuantizerEMA(4, 5, 0.25, decay=0.9)
    tf_vq(tf.constant(x), is_training=True)
    params, state = sonnax.transform_with_state(f).init(jax.random.PRNGKey(0), x)
    assert params == {}
    found = {(module, name) for module, bundle in state.items() for name in bundle}
    assert found == {harness.variable_key(v.name) for v in tf_vq.variables}
