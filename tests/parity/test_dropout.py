"""Dropout in training mode against TF Sonnet: its masks differ, so compare their statistics."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest
import sonnet
import tensorflow as tf

import sonnax
from sonnax import compat

RATE = 0.3
SHAPE = (64, 50)


def _tf_dropout(x, **kwargs):
    return sonnet.Dropout(RATE, **kwargs)(tf.constant(x), is_training=True).numpy()


def _compat_dropout(x, seed=0, **kwargs):
    f = sonnax.transform(lambda x: compat.Dropout(RATE, **kwargs)(x, is_training=True))
    return np.asarray(f.apply({}, jax.random.PRNGKey(seed), jnp.asarray(x)))


@pytest.fixture(name="x")
def _x():
    # Away from zero, so that a zero output always means a dropped element.
    rng = np.random.default_rng(0)
    return (rng.uniform(0.5, 1.5, SHAPE) * rng.choice([-1, 1], SHAPE)).astype(np.float32)


def test_kept_elements_scaled_like_sonnet(x):
    tf_out, ours = _tf_dropout(x), _compat_dropout(x)
    for out in (tf_out, ours):
        kept = out != 0
        np.testing.assert_allclose(out[kept], x[kept] / (1 - RATE), rtol=1e-6)


def test_drop_fraction_like_sonnet(x):
    tf_frac = np.mean(_tf_dropout(x) == 0)
    our_frac = np.mean(_compat_dropout(x) == 0)
    # 3200 Bernoulli(0.3) draws: stddev of the fraction is about 0.008.
    assert abs(tf_frac - RATE) < 0.04
    assert abs(our_frac - RATE) < 0.04


def test_noise_shape_broadcasts_like_sonnet(x):
    for out in (
        _tf_dropout(x, noise_shape=(SHAPE[0], 1)),
        _compat_dropout(x, noise_shape=(SHAPE[0], 1)),
    ):
        dropped_rows = out == 0
        # Whole rows are kept or dropped together.
        assert np.all(dropped_rows.all(axis=1) | (~dropped_rows).all(axis=1))
        assert 0 < dropped_rows.all(axis=1).sum() < SHAPE[0]


def test_eval_mode_is_identity_and_masks_change_with_rng(x):
    f = sonnax.transform(lambda x, t: compat.Dropout(RATE)(x, is_training=t))
    np.testing.assert_array_equal(f.apply({}, None, x, False), x)
    a, b = _compat_dropout(x, seed=0), _compat_dropout(x, seed=1)
    assert not np.array_equal(a == 0, b == 0)


def test_traced_is_training_under_jit(x):
    f = sonnax.transform(lambda x, t: compat.Dropout(RATE)(x, is_training=t))
    apply = jax.jit(f.apply)
    key = jax.random.PRNGKey(0)
    np.testing.assert_array_equal(apply({}, key, x, jnp.array(False)), x)
    assert np.mean(np.asarray(apply({}, key, x, jnp.array(True))) == 0) > 0.2


def test_rate_out_of_range_names_module():
    f = sonnax.transform(lambda x: compat.Dropout(1.0, name="drop")(x, is_training=True))
    with pytest.raises(ValueError, match="drop.*rate"):
        f.apply({}, jax.random.PRNGKey(0), jnp.ones([2]))
