"""Catalogue entries for recurrent cores and unrolls.

Each core is unrolled over a short batch-major sequence (`time_major=False`), so the
batch stays the leading axis; the state starts in the input's dtype so that bfloat16
runs stay bfloat16. Outputs are `(outputs, state leaves)`, so that Haiku's and
sonnax's `LSTMState`s compare as plain lists.
"""

import jax
import jax.numpy as jnp

from tests.catalogue.entry import Entry


def _unrolled(make_core, static=False, with_resets=False):
    def build(lib):
        def run(x):
            # ResetCore takes `(inputs, should_reset)`: reset where the first feature is positive.
            inputs = (x, x[..., 0] > 0) if with_resets else x
            core = make_core(lib)
            batch = jax.tree.leaves(inputs)[0].shape[0]
            state = jax.tree.map(lambda s: s.astype(x.dtype), core.initial_state(batch))
            unroll = lib.static_unroll if static else lib.dynamic_unroll
            out, state = unroll(core, inputs, state, time_major=False)
            return out, jax.tree.leaves(state)

        return run

    return build


def _conv(class_name, input_shape):
    return lambda lib: getattr(lib, class_name)(input_shape, output_channels=2, kernel_shape=3)


ENTRIES = [
    Entry("vanilla_rnn", _unrolled(lambda lib: lib.VanillaRNN(4)), (8, 5, 6)),
    Entry("lstm", _unrolled(lambda lib: lib.LSTM(4)), (8, 5, 6)),
    Entry("lstm_static_unroll", _unrolled(lambda lib: lib.LSTM(4), static=True), (8, 3, 6)),
    Entry("gru", _unrolled(lambda lib: lib.GRU(4)), (8, 5, 6)),
    Entry("identity_core", _unrolled(lambda lib: lib.IdentityCore()), (8, 5, 6)),
    Entry(
        "reset_core", _unrolled(lambda lib: lib.ResetCore(lib.LSTM(3)), with_resets=True), (8, 5, 6)
    ),
    Entry(
        "deep_rnn",
        _unrolled(lambda lib: lib.DeepRNN([lib.LSTM(4), jnp.tanh, lib.GRU(3)])),
        (8, 5, 6),
    ),
    Entry(
        "deep_rnn_with_skip_connections",
        _unrolled(lambda lib: lib.deep_rnn_with_skip_connections([lib.GRU(4), lib.VanillaRNN(3)])),
        (8, 5, 6),
    ),
    Entry("conv1d_lstm", _unrolled(_conv("Conv1DLSTM", [4])), (8, 3, 4, 2)),
    Entry("conv2d_lstm", _unrolled(_conv("Conv2DLSTM", [3, 3])), (8, 2, 3, 3, 2)),
    Entry("conv3d_lstm", _unrolled(_conv("Conv3DLSTM", [2, 2, 2])), (8, 2, 2, 2, 2, 1)),
]
