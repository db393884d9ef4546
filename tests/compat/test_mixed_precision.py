"""`compat.mixed_precision` against TF Sonnet's: what is cast, when, and what comes back."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest
import sonnet
import tensorflow as tf

import sonnax
from sonnax import compat


@pytest.fixture(autouse=True)
def _mode_off():
    compat.mixed_precision.disable()
    sonnet.mixed_precision.disable()
    yield
    compat.mixed_precision.disable()
    sonnet.mixed_precision.disable()


def _mp_linear(snt, valid):
    class MPLinear(snt.Linear):
        __call__ = snt.mixed_precision.modes(valid)(snt.Linear.__call__)

    return MPLinear


X = np.random.default_rng(0).standard_normal((4, 3)).astype(np.float32)


def test_linear_computes_in_float16_and_returns_float32_as_sonnet():
    tf_linear = _mp_linear(sonnet, [tf.float32, tf.float16])(5, name="linear")
    compat_linear = _mp_linear(compat, [jnp.float32, jnp.float16])
    f = sonnax.transform(lambda x: compat_linear(5, name="linear")(x))
    with sonnet.mixed_precision.scope(tf.float16):
        tf_first = tf_linear(tf.constant(X))  # Creates the variables, in float32.
        tf_out = tf_linear(tf.constant(X))
    params = {"linear": {"w": tf_linear.w.numpy(), "b": tf_linear.b.numpy()}}
    with compat.mixed_precision.scope(jnp.float16):
        init_params = f.init(jax.random.PRNGKey(0), X)  # Its first call: float32.
        out = f.apply(params, None, X)
    assert tf_first.dtype == tf.float32 and tf_out.dtype == tf.float32
    assert {v.dtype for v in jax.tree.leaves(init_params)} == {jnp.dtype(jnp.float32)}
    assert out.dtype == jnp.float32
    # Equal to TF's float16 result to float16's precision, and not the float32 result.
    np.testing.assert_allclose(out, tf_out.numpy(), rtol=2e-3, atol=2e-3)
    exact = X @ params["linear"]["w"] + params["linear"]["b"]
    assert not np.array_equal(np.asarray(out), exact)
    half = X.astype(np.float16) @ params["linear"]["w"].astype(np.float16) + params["linear"][
        "b"
    ].astype(np.float16)
    np.testing.assert_allclose(out, half.astype(np.float32), rtol=2e-3, atol=2e-3)


def test_a_dtype_outside_valid_types_runs_unchanged():
    compat_linear = _mp_linear(compat, [jnp.float32])
    f = sonnax.transform(lambda x: compat_linear(5, name="linear")(x))
    params = f.init(jax.random.PRNGKey(0), X)
    plain = f.apply(params, None, X)
    with compat.mixed_precision.scope(jnp.bfloat16):
        np.testing.assert_array_equal(f.apply(params, None, X), plain)


def test_gradients_reach_the_float32_params():
    compat_linear = _mp_linear(compat, [jnp.float32, jnp.bfloat16])
    f = sonnax.transform(lambda x: compat_linear(2, name="linear")(x).sum())
    params = f.init(jax.random.PRNGKey(0), X)
    with compat.mixed_precision.scope(jnp.bfloat16):
        grads = jax.grad(f.apply)(params, None, X)
    assert grads["linear"]["w"].dtype == jnp.float32
    # bfloat16 keeps 8 bits of mantissa: a relative error up to 2**-7 per rounding.
    np.testing.assert_allclose(grads["linear"]["w"], np.tile(X.sum(0)[:, None], 2), rtol=3e-2)


def test_enable_disable_and_scope_restore_the_mode_as_sonnet():
    seen = []
    record = compat.mixed_precision.modes([jnp.float16])(lambda x: seen.append(x.dtype))
    x = jnp.ones([2])
    compat.mixed_precision.enable(jnp.float16)
    record(x)  # A function's first call runs as given, as Sonnet's does.
    record(x)
    with compat.mixed_precision.scope(jnp.float32):
        record(x)  # float32 is not valid for it: runs unchanged.
    record(x)  # The scope restored float16.
    compat.mixed_precision.disable()
    record(x)
    assert seen == [jnp.float32, jnp.float16, jnp.float32, jnp.float16, jnp.float32]


def test_integer_arguments_are_not_cast():
    seen = []
    record = compat.mixed_precision.modes([jnp.float16])(
        lambda x, i: seen.append((x.dtype, i.dtype))
    )
    with compat.mixed_precision.scope(jnp.float16):
        record(jnp.ones([2]), jnp.ones([2], jnp.int32))
        record(jnp.ones([2]), jnp.ones([2], jnp.int32))
    assert seen[-1] == (jnp.float16, jnp.int32)
