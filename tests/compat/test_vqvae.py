"""Compat VQ-VAE quantizers: Sonnet's signatures, outputs and errors."""

import inspect

import jax
import jax.numpy as jnp
import numpy as np
import sonnet
import tensorflow as tf

import sonnax
from sonnax import compat


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
