"""Recurrent checks against TF Sonnet that the parity harness does not cover.

- Initial values: the harness copies TF's initial values into compat, so it cannot see
  how `b` is initialized (Sonnet stores `forget_bias` in it). With deterministic
  initializers, compat's `init` must produce exactly TF's variables.
- `UnrolledLSTM` gradients: TF Sonnet runs it on CPU with the `BlockLSTMV2` kernel, whose
  gradient disagrees with finite differences of its own forward pass. The oracle is TF
  Sonnet's `LSTM` core unrolled by `snt.dynamic_unroll` with the same variables (what
  Sonnet runs on TPU), whose forward pass equals the kernel's.
- Recurrent dropout masks are random: their values and rate are compared with TF's.
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
from sonnax.convert import split_name

B = 3


def _reshape(snt, x, shape):
    return tf.reshape(x, shape) if snt is sonnet else jnp.reshape(x, shape)


def _lstm(snt):
    core = snt.LSTM(
        4,
        w_i_init=snt.initializers.Ones(),
        w_h_init=snt.initializers.Constant(0.1),
        b_init=snt.initializers.Constant(0.3),
        forget_bias=2.0,
        name="lstm",
    )
    return core, lambda x: core(x, core.initial_state(B))


def _lstm_projection_default_bias(snt):
    core = snt.LSTM(
        5,
        projection_size=3,
        projection_init=snt.initializers.Constant(-0.2),
        w_i_init=snt.initializers.Ones(),
        w_h_init=snt.initializers.Ones(),
        name="lstm",
    )
    return core, lambda x: core(x, core.initial_state(B))


def _unrolled_lstm(snt):
    core = snt.UnrolledLSTM(
        4,
        w_i_init=snt.initializers.Ones(),
        w_h_init=snt.initializers.Ones(),
        b_init=snt.initializers.Constant(0.5),
        forget_bias=-1.0,
        name="lstm",
    )
    return core, lambda x: core(x[None], core.initial_state(B))


def _conv2d_lstm(snt):
    core = snt.Conv2DLSTM(
        [3, 3, 5],
        2,
        kernel_shape=2,
        w_i_init=snt.initializers.Ones(),
        w_h_init=snt.initializers.Ones(),
        b_init=snt.initializers.Constant(0.1),
        forget_bias=3.0,
        name="conv_lstm",
    )
    return core, lambda x: core(_reshape(snt, x, [B, 3, 3, 5]), core.initial_state(B))


def _gru(snt):
    core = snt.GRU(
        4,
        w_i_init=snt.initializers.Ones(),
        w_h_init=snt.initializers.Constant(0.2),
        b_init=snt.initializers.Constant(0.4),
        name="gru",
    )
    return core, lambda x: core(x, core.initial_state(B))


def _vanilla(snt):
    core = snt.VanillaRNN(
        4,
        w_i_init=snt.initializers.Ones(),
        w_h_init=snt.initializers.Ones(),
        b_init=snt.initializers.Constant(0.6),
        name="rnn",
    )
    return core, lambda x: core(x, core.initial_state(B))


def _trainable_states(snt):
    core = snt.DeepRNN(
        [
            snt.LSTM(
                2,
                b_init=snt.initializers.Ones(),
                w_i_init=snt.initializers.Ones(),
                w_h_init=snt.initializers.Ones(),
                name="lstm",
            )
        ],
        name="deep",
    )
    learned = snt.TrainableState.for_core(core, mask=((snt.LSTMState(False, True)),), name="a")
    given = snt.TrainableState(
        {"x": np.arange(3, dtype=np.float32), "y": [np.ones([2], np.float32)]}, name="b"
    )
    return core, lambda x: (core(x[:, :4], learned(B)), given(B))


BUILDS = {
    "lstm": _lstm,
    "lstm_projection_default_bias": _lstm_projection_default_bias,
    "unrolled_lstm": _unrolled_lstm,
    "conv2d_lstm": _conv2d_lstm,
    "gru": _gru,
    "vanilla_rnn": _vanilla,
    "trainable_states": _trainable_states,
}


@pytest.mark.parametrize("name", sorted(BUILDS))
def test_initial_values_equal_sonnet(name):
    x = np.random.default_rng(0).standard_normal([B, 45]).astype(np.float32)
    created = []

    def record(next_creator, **kwargs):
        variable = next_creator(**kwargs)
        created.append(variable)
        return variable

    with tf.variable_creator_scope(record):
        _, call = BUILDS[name](sonnet)
        call(tf.constant(x))
    expected = {split_name(v.name): (v.numpy(), v.trainable) for v in created}

    def forward(x):
        _, call = BUILDS[name](compat)
        return call(x)

    params, state = sonnax.transform_with_state(forward).init(jax.random.PRNGKey(0), x)
    got = {(m, n): (v, True) for m, b in params.items() for n, v in b.items()}
    got.update({(m, n): (v, False) for m, b in state.items() for n, v in b.items()})
    assert sorted(got) == sorted(expected)
    for key, (value, trainable) in expected.items():
        assert got[key][1] == trainable, key
        np.testing.assert_allclose(got[key][0], value, rtol=1e-6, err_msg=str(key))


def test_unrolled_lstm_gradients_equal_sonnet_lstm_unrolled():
    rng = np.random.default_rng(1)
    xs = rng.standard_normal([4, B, 5]).astype(np.float32)
    h, c = rng.standard_normal([2, B, 4]).astype(np.float32)
    cot_out = rng.standard_normal([4, B, 4]).astype(np.float32)
    cot_cell = rng.standard_normal([B, 4]).astype(np.float32)

    unrolled = sonnet.UnrolledLSTM(4, b_init=sonnet.initializers.RandomNormal(), name="lstm")
    tx, state = tf.constant(xs), sonnet.LSTMState(tf.constant(h), tf.constant(c))
    kernel_out, _ = unrolled(tx, state)
    twin = sonnet.LSTM(4, name="twin")
    twin(tx[0], state)
    for mine, theirs in [
        (twin.input_to_hidden, unrolled.input_to_hidden),
        (twin.hidden_to_hidden, unrolled.hidden_to_hidden),
        (twin.b, unrolled.b),
    ]:
        mine.assign(theirs)
    watched = [tx, state.hidden, state.cell]
    variables = [twin.input_to_hidden, twin.hidden_to_hidden, twin.b]
    with tf.GradientTape() as tape:
        tape.watch(watched)
        tf_out, tf_final = sonnet.dynamic_unroll(twin, tx, state)
        loss = tf.reduce_sum(tf_out * cot_out) + tf.reduce_sum(tf_final.cell * cot_cell)
    tf_grads = [g.numpy() for g in tape.gradient(loss, watched + variables)]
    np.testing.assert_allclose(tf_out.numpy(), kernel_out.numpy(), rtol=1e-5, atol=1e-6)

    f = sonnax.transform(
        lambda xs, h, c: compat.UnrolledLSTM(4, name="lstm")(xs, compat.LSTMState(h, c))
    )
    params = {
        "lstm": {
            "w_i": unrolled.input_to_hidden.numpy(),
            "w_h": unrolled.hidden_to_hidden.numpy(),
            "b": unrolled.b.numpy(),
        }
    }

    def compat_loss(params, xs, h, c):
        out, final = f.apply(params, None, xs, h, c)
        return jnp.sum(out * cot_out) + jnp.sum(final.cell * cot_cell)

    grads = jax.grad(compat_loss, argnums=(0, 1, 2, 3))(params, xs, h, c)
    compat_grads = [*grads[1:], *(grads[0]["lstm"][k] for k in ("w_i", "w_h", "b"))]
    for got, want in zip(compat_grads, tf_grads, strict=True):
        np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-5)


def test_recurrent_dropout_masks_like_sonnet():
    rate, batch = 0.25, 4096
    tf_train, _ = sonnet.lstm_with_recurrent_dropout(4, dropout=rate, name="lstm")
    _, tf_masks = tf_train.initial_state(batch)

    def forward():
        train, _ = compat.lstm_with_recurrent_dropout(4, dropout=rate, name="lstm")
        return train.initial_state(batch)

    (core_state, masks) = sonnax.transform(forward).apply({}, jax.random.PRNGKey(0))
    assert type(masks) is compat.LSTMState and tf_masks.cell is None and masks.cell is None
    assert masks.hidden.shape == tuple(tf_masks.hidden.shape) == (batch, 4)
    assert masks.hidden.dtype == jnp.float32
    tf_values, compat_values = np.unique(tf_masks.hidden.numpy()), np.unique(masks.hidden)
    np.testing.assert_allclose(compat_values, tf_values, rtol=1e-6)
    tf_dropped = np.mean(tf_masks.hidden.numpy() == 0)
    compat_dropped = np.mean(np.asarray(masks.hidden) == 0)
    assert abs(compat_dropped - tf_dropped) < 0.05, (compat_dropped, tf_dropped)
    np.testing.assert_array_equal(core_state.hidden, np.zeros([batch, 4]))
