"""Checks of the compat recurrent API: signatures, names and errors as Sonnet's; jit, vmap, rng."""

from __future__ import annotations

import inspect

import jax
import jax.numpy as jnp
import numpy as np
import pytest
import sonnet
import tensorflow as tf

import sonnax
from sonnax import compat
from sonnax.compat._src import activations

PUBLIC = [
    "RNNCore",
    "UnrolledRNN",
    "TrainableState",
    "static_unroll",
    "dynamic_unroll",
    "VanillaRNN",
    "DeepRNN",
    "deep_rnn_with_skip_connections",
    "deep_rnn_with_residual_connections",
    "LSTM",
    "LSTMState",
    "lstm_with_recurrent_dropout",
    "UnrolledLSTM",
    "GRU",
    "Conv1DLSTM",
    "Conv2DLSTM",
    "Conv3DLSTM",
]

# Sonnet's TF defaults and the compat defaults that stand for them.
_TF_DEFAULTS = {id(tf.float32): jnp.float32, id(tf.tanh): activations.tanh}


def _signature(obj):
    function = obj.__init__ if inspect.isclass(obj) else obj
    parameters = list(inspect.signature(function).parameters.values())
    return [(p.name, p.kind, _TF_DEFAULTS.get(id(p.default), p.default)) for p in parameters]


@pytest.mark.parametrize("name", PUBLIC)
def test_exported_with_sonnet_signature(name):
    assert name in compat.__all__
    ours, theirs = getattr(compat, name), getattr(sonnet, name)
    if name == "LSTMState":
        assert ours._fields == theirs._fields
        return
    assert _signature(ours) == _signature(theirs)


@pytest.mark.parametrize("name", ["RNNCore", "UnrolledRNN"])
def test_abstract_methods_like_sonnet(name):
    ours, theirs = getattr(compat, name), getattr(sonnet, name)
    assert ours.__abstractmethods__ == theirs.__abstractmethods__


@pytest.mark.parametrize("name", ["RNNCore", "UnrolledRNN"])
def test_only_the_base_class_is_abstract_like_sonnet(name):
    for snt in (sonnet, compat):
        base = getattr(snt, name)
        partial = type("Partial", (base,), {"__call__": lambda self, x, s: (x, s)})
        with pytest.raises(TypeError, match="abstract"):
            _init(base) if snt is compat else base()
        _init(partial) if snt is compat else partial()


def test_trainable_state_for_core_signature():
    ours = inspect.signature(compat.TrainableState.for_core)
    theirs = inspect.signature(sonnet.TrainableState.for_core)
    assert list(ours.parameters) == list(theirs.parameters)


def _init(f, *args, rng=None):
    return sonnax.transform_with_state(f).init(rng, *args)


def _both_raise(build):
    """Runs `build(snt)` with TF Sonnet and in a compat transform; returns the two errors."""
    errors = []
    for snt in (sonnet, compat):
        with pytest.raises(Exception) as info:
            if snt is sonnet:
                build(snt)
            else:
                _init(lambda: build(compat), rng=jax.random.PRNGKey(0))
        errors.append(info.value)
    return errors


def _float_input(snt, shape, dtype="float32"):
    x = np.zeros(shape, dtype)
    return tf.constant(x) if snt is sonnet else jnp.asarray(x)


@pytest.mark.parametrize(
    ("what", "build"),
    [
        ("lstm rank", lambda snt: snt.LSTM(3)(_float_input(snt, [2, 3, 4]), None)),
        ("gru rank", lambda snt: snt.GRU(3)(_float_input(snt, [2, 3, 4]), None)),
        (
            "lstm dtype",
            lambda snt: snt.LSTM(3)(_float_input(snt, [2, 4], "float16"), None),
        ),
        (
            "vanilla dtype",
            lambda snt: snt.VanillaRNN(3)(_float_input(snt, [2, 4], "float16"), None),
        ),
        (
            "projection_init without projection",
            lambda snt: snt.LSTM(3, projection_init=snt.initializers.Ones()),
        ),
        (
            "skip with a non-core",
            lambda snt: snt.deep_rnn_with_skip_connections([snt.Linear(2)]),
        ),
        (
            "residual with a non-core",
            lambda snt: snt.deep_rnn_with_residual_connections([snt.Linear(2)]),
        ),
        ("dropout 1", lambda snt: snt.lstm_with_recurrent_dropout(3, dropout=1.0)),
        ("dropout < 0", lambda snt: snt.lstm_with_recurrent_dropout(3, dropout=-0.1)),
        (
            "static_unroll time steps",
            lambda snt: snt.static_unroll(
                snt.VanillaRNN(2),
                (_float_input(snt, [3, 1, 2]), _float_input(snt, [2, 1, 2])),
                _float_input(snt, [1, 2]),
            ),
        ),
        (
            "dynamic_unroll no time steps",
            lambda snt: snt.dynamic_unroll(
                snt.VanillaRNN(2), _float_input(snt, [0, 1, 2]), _float_input(snt, [1, 2])
            ),
        ),
    ],
)
def test_errors_like_sonnet(what, build):
    tf_error, compat_error = _both_raise(build)
    assert type(compat_error) is type(tf_error), (what, tf_error, compat_error)


def test_errors_name_the_module_and_values():
    with pytest.raises(ValueError, match=r"LSTM 'core'.*rank 3.*expected rank 2"):
        _init(lambda x: compat.LSTM(3, name="core")(x, None), jnp.zeros([2, 3, 4]))
    with pytest.raises(TypeError, match=r"GRU 'g'.*float32.*float16"):
        _init(lambda x: compat.GRU(3, name="g")(x, None), jnp.zeros([2, 4], jnp.float16))
    with pytest.raises(ValueError, match=r"\[0, 1\).*1\.5"):
        compat.lstm_with_recurrent_dropout(3, dropout=1.5)


def test_trainable_state_mask_structure_checked():
    def f():
        compat.TrainableState((jnp.zeros([2]), jnp.zeros([3])), mask=(True,), name="s")

    with pytest.raises(ValueError, match=r"TrainableState 's': mask"):
        _init(f)


def test_default_names_like_sonnet():
    def names(snt):
        lstm = snt.LSTM(2)
        train, _ = snt.lstm_with_recurrent_dropout(2, name="dropped")
        modules = [
            snt.VanillaRNN(2),
            lstm,
            snt.GRU(2),
            snt.UnrolledLSTM(2),
            snt.DeepRNN([]),
            snt.deep_rnn_with_skip_connections([lstm]),
            snt.deep_rnn_with_residual_connections([lstm]),
            snt.Conv1DLSTM([3, 2], 2, 1),
            snt.Conv2DLSTM([3, 3, 2], 2, 1),
            snt.Conv3DLSTM([3, 3, 3, 2], 2, 1),
            snt.TrainableState(_float_input(snt, [2])),
            train,
        ]
        return [m.name for m in modules]

    got = []
    _init(lambda: got.extend(names(compat)))
    assert got == names(sonnet)


def test_residual_and_dropout_wrappers_are_named_after_their_core():
    def f():
        core = compat.GRU(2, name="g")
        residual = compat.deep_rnn_with_residual_connections([core])
        train, test = compat.lstm_with_recurrent_dropout(2, name="l")
        return residual._layers[0].name, train.name, test.name

    out = []
    _init(lambda: out.append(f()))
    assert out == [("g_residual", "l_recurrent_dropout", "l")]


def _lstm_unroll(xs):
    core = compat.LSTM(3, name="lstm")
    return compat.dynamic_unroll(core, xs, core.initial_state(xs.shape[1]))


def test_dynamic_unroll_under_jit_and_vmap():
    f = sonnax.transform(_lstm_unroll)
    xs = jax.random.normal(jax.random.PRNGKey(1), [5, 4, 2, 3])  # [vmap, T, B, features]
    params = f.init(jax.random.PRNGKey(0), xs[0])
    apply = jax.jit(lambda x: f.apply(params, None, x))
    vmapped = jax.jit(jax.vmap(apply))(xs)
    for i in range(xs.shape[0]):
        single = apply(xs[i])
        jax.tree.map(
            lambda a, b, i=i: np.testing.assert_allclose(a[i], b, rtol=1e-5, atol=1e-6),
            vmapped,
            single,
        )


def test_dynamic_unroll_equals_static_unroll_and_works_outside_a_transform():
    xs = jax.random.normal(jax.random.PRNGKey(1), [4, 2, 3])
    w = jax.random.normal(jax.random.PRNGKey(2), [3, 3])

    def core(x, h):
        h = jnp.tanh(x @ w + h)
        return 2 * h, h

    lengths = jnp.array([4, 1])
    h0 = jnp.zeros([2, 3])
    static = compat.static_unroll(core, xs, h0, sequence_length=lengths)
    dynamic = compat.dynamic_unroll(core, xs, h0, sequence_length=lengths)
    jax.tree.map(lambda a, b: np.testing.assert_allclose(a, b, rtol=1e-6), static, dynamic)


def test_recurrent_dropout_draws_masks_from_the_rng_or_the_seed():
    def masks(seed):
        def f():
            train, _ = compat.lstm_with_recurrent_dropout(8, seed=seed, name="lstm")
            return train.initial_state(16)[1].hidden

        return lambda key: sonnax.transform(f).apply({}, key)

    key_a, key_b = jax.random.PRNGKey(0), jax.random.PRNGKey(1)
    assert not np.array_equal(masks(None)(key_a), masks(None)(key_b))
    np.testing.assert_array_equal(masks(None)(key_a), masks(None)(key_a))
    np.testing.assert_array_equal(masks(3)(key_a), masks(3)(key_b))
    with pytest.raises(ValueError):
        masks(None)(None)


def test_recurrent_dropout_applies_the_mask_to_the_hidden_state_only():
    def f(x):
        train, test = compat.lstm_with_recurrent_dropout(4, dropout=0.5, name="lstm")
        (state, masks) = train.initial_state(2)
        state = compat.LSTMState(jnp.ones([2, 4]), jnp.ones([2, 4]))
        out, (next_state, next_masks) = train(x, (state, masks))
        masked = compat.LSTMState(state.hidden * masks.hidden, state.cell)
        return out, next_state, test(x, masked), masks, next_masks

    t = sonnax.transform(f)
    x = jnp.ones([2, 3])
    params = t.init(jax.random.PRNGKey(0), x)
    out, next_state, (test_out, test_state), masks, next_masks = t.apply(
        params, jax.random.PRNGKey(5), x
    )
    np.testing.assert_allclose(out, test_out, rtol=1e-6)
    np.testing.assert_allclose(next_state.cell, test_state.cell, rtol=1e-6)
    assert next_masks.cell is None
    np.testing.assert_array_equal(next_masks.hidden, masks.hidden)
