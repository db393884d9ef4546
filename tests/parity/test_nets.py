"""Nets against TF Sonnet beyond the parity cases: MLP dropout, ResNet50's variables.

In training the dropout masks differ, but their placement must not. Sonnet drops out
before each activation, so with an activation `act` that is not zero at zero every
activated unit is either `act(0)` (dropped) or `act(z / (1 - rate))` (kept), `z` the
unit's pre-activation without dropout. Both sides must show exactly that pattern.
"""

import jax
import numpy as np
import sonnet
import tensorflow as tf

import sonnax
from sonnax import compat
from tests.parity import harness

RATE = 0.5


def _act(x):
    return x * 0.5 + 1.0


def test_mlp_dropout_comes_before_each_activation_as_in_sonnet():
    rng = np.random.default_rng(0)
    x = rng.standard_normal([16, 6]).astype(np.float32)

    tf_mlp = sonnet.nets.MLP([8], dropout_rate=RATE, activation=_act, activate_final=True)
    tf_out = tf_mlp(tf.constant(x), is_training=True).numpy()
    w, b = (v.numpy() for v in (tf_mlp._layers[0].w, tf_mlp._layers[0].b))
    pre = x @ w + b

    f = sonnax.transform(
        lambda x, is_training: compat.nets.MLP(
            [8], dropout_rate=RATE, activation=_act, activate_final=True
        )(x, is_training=is_training)
    )
    params = {"mlp/~/linear_0": {"w": w, "b": b}}
    compat_out = np.asarray(f.apply(params, jax.random.PRNGKey(1), x, True))
    np.testing.assert_allclose(f.apply(params, None, x, False), _act(pre), rtol=1e-5, atol=1e-6)

    for out in (tf_out, compat_out):
        dropped = out == _act(0.0)
        kept = np.isclose(out, _act(pre / (1 - RATE)), rtol=1e-5, atol=1e-6)
        assert np.all(dropped | kept)
        assert 0.3 < dropped.mean() < 0.7
    assert not np.array_equal(
        compat_out, np.asarray(f.apply(params, jax.random.PRNGKey(2), x, True))
    )


def test_resnet50_variables_are_named_and_shaped_as_sonnets():
    """ResNet50's variables, by the converter's name rule (init is traced, not run)."""
    x = np.zeros([1, 32, 32, 3], np.float32)
    tf_net = sonnet.nets.ResNet50(num_classes=4)
    tf_net(tf.constant(x), is_training=True)
    expected = {
        harness.variable_key(v.name): (tuple(v.shape), v.trainable) for v in tf_net.variables
    }

    f = sonnax.transform_with_state(
        lambda x: compat.nets.ResNet50(num_classes=4)(x, is_training=True)
    )
    params, state = jax.eval_shape(f.init, jax.random.PRNGKey(0), x)
    found = {key: (v.shape, True) for key, v in harness.flat(params).items()}
    found.update({key: (v.shape, False) for key, v in harness.flat(state).items()})
    assert found == expected
