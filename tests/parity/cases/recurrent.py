"""Parity cases: recurrent cores, single steps and unrolls (static and dynamic)."""

import numpy as np

from tests.parity.cases import Case

B, T = 3, 4  # batch size, time steps


def _softsign(x):
    """An activation other than tanh, written so that it runs on TF and JAX."""
    return x / (1 + abs(x))


def _lengths(rng):
    """Sequence lengths covering a full, an empty and a partial sequence."""
    del rng
    return np.array([T, 0, 2], np.int32)


def _mask(rng):
    """A recurrent dropout mask as `tf.nn.dropout(ones, rate=0.5)` draws: zeros and twos."""
    return (2.0 * (rng.random((B, 4)) < 0.5)).astype(np.float32)


def _random_normal(snt):
    return snt.initializers.RandomNormal(stddev=0.5)


# Calls: `core` is what `build` returned; the same code runs with `snt` TF Sonnet and compat.


def _step_from_initial(snt, core, x):
    return core(x, core.initial_state(B))


def _step_from(snt, core, x, state):
    return core(x, state)


def _lstm_step_from(snt, core, x, hidden, cell):
    return core(x, snt.LSTMState(hidden, cell))


def _static(snt, core, xs):
    return snt.static_unroll(core, xs, core.initial_state(B))


def _dynamic(snt, core, xs):
    return snt.dynamic_unroll(core, xs, core.initial_state(B))


def _static_lengths(snt, core, xs, lengths):
    return snt.static_unroll(core, xs, core.initial_state(B), sequence_length=lengths)


def _dynamic_lengths(snt, core, xs, lengths):
    return snt.dynamic_unroll(core, xs, core.initial_state(B), sequence_length=lengths)


def _dynamic_from(snt, core, xs, state):
    return snt.dynamic_unroll(core, xs, state)


def _lstm_dynamic_from(snt, core, xs, hidden, cell):
    return snt.dynamic_unroll(core, xs, snt.LSTMState(hidden, cell))


def _lstm_static_from_lengths(snt, core, xs, hidden, cell, lengths):
    state = snt.LSTMState(hidden, cell)
    return snt.static_unroll(core, xs, state, sequence_length=lengths)


def _unrolled_from(snt, core, xs, hidden, cell):
    return core(xs, snt.LSTMState(hidden, cell))


def _unroll_pair(unroll_name):
    def call(snt, core, x, y, h, lengths):
        unroll = getattr(snt, unroll_name)
        return unroll(core, {"x": x, "y": y}, h, sequence_length=lengths)

    return call


def _pair_core(snt):
    """A core with nested inputs and outputs, defined with the `snt` it runs on."""

    class PairCore(snt.RNNCore):
        def __init__(self, name=None):
            super().__init__(name=name)
            self._x = snt.Linear(3, name="x")
            self._y = snt.Linear(3, with_bias=False, name="y")

        def __call__(self, inputs, prev_state):
            h = _softsign(self._x(inputs["x"]) + self._y(inputs["y"]) * prev_state)
            return (h, 2.0 * h - prev_state), h

        def initial_state(self, batch_size):
            raise NotImplementedError

    return PairCore(name="pair")


def _trainable_state_step(snt, modules, x):
    core, state = modules
    return core(x, state(B))


def _trainable_state_dynamic(snt, modules, xs):
    core, state = modules
    return snt.dynamic_unroll(core, xs, state(B))


def _dropout_train_step(snt, cores, x, hidden, cell, mask):
    train, _ = cores
    outputs, (core_state, _) = train(x, (snt.LSTMState(hidden, cell), snt.LSTMState(mask, None)))
    return outputs, core_state


def _dropout_train_static(snt, cores, xs, hidden, cell, mask):
    train, _ = cores
    state = (snt.LSTMState(hidden, cell), snt.LSTMState(mask, None))
    outputs, (core_state, _) = snt.static_unroll(train, xs, state)
    return outputs, core_state


def _dropout_eval_dynamic(snt, cores, xs):
    _, test = cores
    return snt.dynamic_unroll(test, xs, test.initial_state(B))


# Builds.


def _vanilla(snt):
    return snt.VanillaRNN(4, b_init=_random_normal(snt), name="rnn")


def _lstm(snt):
    return snt.LSTM(4, b_init=_random_normal(snt), name="lstm")


def _lstm_projection(snt):
    return snt.LSTM(
        5,
        projection_size=4,
        projection_init=snt.initializers.Orthogonal(),
        b_init=_random_normal(snt),
        name="lstm",
    )


def _gru(snt):
    return snt.GRU(4, b_init=_random_normal(snt), name="gru")


def _deep(snt):
    return snt.DeepRNN(
        [
            snt.LSTM(4, b_init=_random_normal(snt), name="lstm"),
            snt.Linear(3, name="linear"),
            _softsign,
            snt.GRU(2, name="gru"),
        ],
        name="deep",
    )


def _skip(concat_final_output):
    def build(snt):
        return snt.deep_rnn_with_skip_connections(
            [snt.LSTM(4, name="lstm"), snt.VanillaRNN(3, b_init=_random_normal(snt), name="rnn")],
            concat_final_output=concat_final_output,
        )

    return build


def _residual(snt):
    return snt.deep_rnn_with_residual_connections(
        [snt.GRU(5, b_init=_random_normal(snt), name="gru"), snt.LSTM(5, name="lstm")]
    )


def _trainable_lstm_state(snt):
    core = snt.LSTM(4, b_init=_random_normal(snt), name="lstm")
    return core, snt.TrainableState.for_core(core, mask=snt.LSTMState(True, False), name="init")


def _trainable_deep_state(snt):
    core = snt.DeepRNN([snt.LSTM(4, name="lstm"), snt.GRU(3, name="gru")], name="deep")
    return core, snt.TrainableState.for_core(core, name="init")


def _unrolled_lstm(snt):
    return snt.UnrolledLSTM(4, b_init=_random_normal(snt), forget_bias=0.5, name="lstm")


def _lstm_with_dropout(snt):
    return snt.lstm_with_recurrent_dropout(4, dropout=0.5, b_init=_random_normal(snt), name="lstm")


def _conv1d_lstm(snt):
    return snt.Conv1DLSTM([6, 2], 3, kernel_shape=3, b_init=_random_normal(snt), name="conv_lstm")


def _conv2d_lstm(snt):
    return snt.Conv2DLSTM(
        [4, 5, 2],
        3,
        kernel_shape=(3, 2),
        w_h_init=snt.initializers.RandomNormal(stddev=0.2),
        b_init=_random_normal(snt),
        forget_bias=0.0,
        name="conv_lstm",
    )


def _conv3d_lstm(snt):
    return snt.Conv3DLSTM(
        [3, 3, 4, 2], 2, kernel_shape=2, b_init=_random_normal(snt), name="conv_lstm"
    )


def _case(name, build, inputs, call, **kwargs):
    return Case(name, build, inputs=inputs, call=call, **kwargs)


X = (B, 5)  # one step's inputs
XS = (T, B, 5)  # a time-major sequence

CASES: list[Case] = [
    # VanillaRNN
    _case("vanilla_rnn_step_initial", _vanilla, (X,), _step_from_initial),
    _case("vanilla_rnn_step", _vanilla, (X, (B, 4)), _step_from),
    _case(
        "vanilla_rnn_softsign_inits",
        lambda snt: snt.VanillaRNN(
            4,
            activation=_softsign,
            w_i_init=snt.initializers.Orthogonal(),
            w_h_init=snt.initializers.RandomUniform(-1, 1),
            b_init=_random_normal(snt),
            name="rnn",
        ),
        (X, (B, 4)),
        _step_from,
    ),
    _case("vanilla_rnn_static_unroll", _vanilla, (XS,), _static),
    _case("vanilla_rnn_dynamic_unroll_lengths", _vanilla, (XS, _lengths), _dynamic_lengths),
    _case("vanilla_rnn_dynamic_unroll_one_step", _vanilla, ((1, B, 5), (B, 4)), _dynamic_from),
    # LSTM
    _case("lstm_step_initial", _lstm, (X,), _step_from_initial),
    _case("lstm_step", _lstm, (X, (B, 4), (B, 4)), _lstm_step_from),
    _case("lstm_projection_step", _lstm_projection, (X, (B, 4), (B, 5)), _lstm_step_from),
    _case(
        "lstm_inits_no_forget_bias",
        lambda snt: snt.LSTM(
            4,
            w_i_init=snt.initializers.RandomUniform(-0.5, 0.5),
            w_h_init=snt.initializers.Orthogonal(),
            b_init=snt.initializers.Constant(0.3),
            forget_bias=0.0,
            name="lstm",
        ),
        (X, (B, 4), (B, 4)),
        _lstm_step_from,
    ),
    _case("lstm_static_unroll", _lstm, (XS,), _static),
    _case("lstm_dynamic_unroll_from_state", _lstm, (XS, (B, 4), (B, 4)), _lstm_dynamic_from),
    _case("lstm_static_unroll_lengths", _lstm, (XS, _lengths), _static_lengths),
    _case("lstm_dynamic_unroll_lengths", _lstm, (XS, _lengths), _dynamic_lengths),
    _case(
        "lstm_static_unroll_from_state_lengths",
        _lstm,
        (XS, (B, 4), (B, 4), _lengths),
        _lstm_static_from_lengths,
    ),
    _case("lstm_projection_dynamic_unroll", _lstm_projection, (XS,), _dynamic),
    _case(
        "lstm_projection_dynamic_unroll_lengths", _lstm_projection, (XS, _lengths), _dynamic_lengths
    ),
    # UnrolledLSTM. On CPU, TF Sonnet runs it with the BlockLSTMV2 kernel, whose gradient
    # disagrees with finite differences of its own forward pass (the forward is right):
    # gradients are compared with TF's own unrolled LSTM ops in test_recurrent.py instead.
    _case(
        "unrolled_lstm_initial",
        _unrolled_lstm,
        (XS,),
        lambda snt, core, xs: core(xs, core.initial_state(B)),
        grad=False,
    ),
    _case("unrolled_lstm", _unrolled_lstm, (XS, (B, 4), (B, 4)), _unrolled_from, grad=False),
    # lstm_with_recurrent_dropout: the test core, and the train core with a given mask.
    _case("lstm_recurrent_dropout_eval", _lstm_with_dropout, (XS,), _dropout_eval_dynamic),
    _case(
        "lstm_recurrent_dropout_train_step",
        _lstm_with_dropout,
        (X, (B, 4), (B, 4), _mask),
        _dropout_train_step,
    ),
    _case(
        "lstm_recurrent_dropout_train_static_unroll",
        _lstm_with_dropout,
        (XS, (B, 4), (B, 4), _mask),
        _dropout_train_static,
    ),
    # GRU
    _case("gru_step_initial", _gru, (X,), _step_from_initial),
    _case("gru_step", _gru, (X, (B, 4)), _step_from),
    _case(
        "gru_inits",
        lambda snt: snt.GRU(
            4,
            w_i_init=snt.initializers.RandomNormal(stddev=0.3),
            w_h_init=snt.initializers.Orthogonal(),
            b_init=snt.initializers.Constant(0.2),
            name="gru",
        ),
        (X, (B, 4)),
        _step_from,
    ),
    _case("gru_static_unroll", _gru, (XS,), _static),
    _case("gru_dynamic_unroll_lengths", _gru, (XS, _lengths), _dynamic_lengths),
    # DeepRNN and its variants
    _case("deep_rnn_step_initial", _deep, (X,), _step_from_initial),
    _case("deep_rnn_static_unroll", _deep, (XS,), _static),
    _case("deep_rnn_dynamic_unroll_lengths", _deep, (XS, _lengths), _dynamic_lengths),
    _case(
        "deep_rnn_only_callables",
        lambda snt: snt.DeepRNN([snt.Linear(3, name="linear"), _softsign], name="deep"),
        (XS,),
        _dynamic,
    ),
    _case("deep_rnn_skip_step", _skip(True), (X,), _step_from_initial),
    _case("deep_rnn_skip_dynamic_unroll", _skip(True), (XS,), _dynamic),
    _case("deep_rnn_skip_no_concat_static_unroll", _skip(False), (XS,), _static),
    _case("deep_rnn_residual_step", _residual, ((B, 5),), _step_from_initial),
    _case("deep_rnn_residual_dynamic_unroll", _residual, ((T, B, 5),), _dynamic),
    # Convolutional LSTMs
    _case("conv1d_lstm_step", _conv1d_lstm, ((B, 6, 2), (B, 6, 3), (B, 6, 3)), _lstm_step_from),
    _case(
        "conv1d_lstm_dynamic_unroll_lengths",
        _conv1d_lstm,
        ((T, B, 6, 2), _lengths),
        _dynamic_lengths,
    ),
    _case(
        "conv2d_lstm_step",
        _conv2d_lstm,
        ((2, 4, 5, 2), (2, 4, 5, 3), (2, 4, 5, 3)),
        _lstm_step_from,
    ),
    _case("conv2d_lstm_static_unroll", _conv2d_lstm, ((3, B, 4, 5, 2),), _static),
    _case(
        "conv3d_lstm_step",
        _conv3d_lstm,
        ((2, 3, 3, 4, 2), (2, 3, 3, 4, 2), (2, 3, 3, 4, 2)),
        _lstm_step_from,
    ),
    # Nested inputs and outputs through the unrolls
    _case(
        "static_unroll_nested_lengths",
        _pair_core,
        (XS, (T, B, 2), (B, 3), _lengths),
        _unroll_pair("static_unroll"),
    ),
    _case(
        "dynamic_unroll_nested_lengths",
        _pair_core,
        (XS, (T, B, 2), (B, 3), _lengths),
        _unroll_pair("dynamic_unroll"),
    ),
    # TrainableState: trainable and non-trainable leaves, nested state names (`0/hidden`)
    _case("trainable_state_lstm_masked", _trainable_lstm_state, (X,), _trainable_state_step),
    _case("trainable_state_deep_rnn", _trainable_deep_state, (XS,), _trainable_state_dynamic),
    _case(
        "trainable_state_from_values",
        lambda snt: (
            snt.GRU(3, name="gru"),
            snt.TrainableState(np.linspace(-1, 1, 3).astype(np.float32), name="init"),
        ),
        (X,),
        _trainable_state_step,
    ),
]
