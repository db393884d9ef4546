"""Tests for sonnax/_src/recurrent/deep_rnn.py, with dm-haiku 0.0.17 as the oracle."""

import jax
import jax.numpy as jnp
import pytest

from tests import helpers
from tests.recurrent import unrolling

X = jax.random.normal(jax.random.PRNGKey(0), [2, 3, 4])


def _layers(lib):
    return [lib.LSTM(5), jax.nn.relu, lib.VanillaRNN(2)]


def test_unroll_jit_and_vmap_match_haiku():
    build = lambda lib, x: unrolling.unroll(lib, lib.DeepRNN(_layers(lib)), x)
    params, _ = helpers.assert_matches_haiku(build, X)
    helpers.assert_jit_and_vmap_match(build, X)
    assert sorted(params) == ["lstm/linear", "vanilla_rnn/linear", "vanilla_rnn/linear_1"]


def _skip(lib, batch_size, x):
    core = lib.deep_rnn_with_skip_connections([lib.LSTM(5), lib.GRU(3)], name="skip")
    return unrolling.step(lib, core, x, batch_size)


@pytest.mark.parametrize("batch_size", [2, None], ids=["batched", "unbatched"])
def test_skip_connections_match_haiku(batch_size):
    x = X[:, 0] if batch_size else X[0, 0]
    params, (_, out, _) = helpers.assert_matches_haiku(lambda lib, x: _skip(lib, batch_size, x), x)
    # The GRU sees the inputs (4) and the LSTM's output (5); the output is both cores' outputs.
    assert params["gru"]["w_i"].shape == (9, 9) and out.shape[-1] == 8


def test_skip_connections_unroll_matches_haiku():
    def build(lib, x):
        core = lib.deep_rnn_with_skip_connections([lib.GRU(3), lib.GRU(2)])
        return unrolling.unroll(lib, core, x)

    helpers.assert_matches_haiku(build, X)


def test_no_cores_passes_inputs_through_like_haiku():
    def build(lib, x):
        core = lib.DeepRNN([jnp.tanh])
        return unrolling.step(lib, core, x, 2), lib.DeepRNN([])(x, ())

    helpers.assert_matches_haiku(build, X[:, 0])


def test_default_names_match_haiku():
    names = {}

    def record(lib, x):
        skip = lib.deep_rnn_with_skip_connections([])
        names[lib.__name__] = (skip.module_name, lib.DeepRNN([]).module_name)
        return x

    helpers.both(record, helpers.KEY, X)
    assert names["sonnax"] == names["haiku"] == ("__deep_rnn", "deep_rnn")


def test_skip_connections_need_cores():
    def trigger(lib):
        lib.transform(lambda: lib.deep_rnn_with_skip_connections([lib.LSTM(2), jnp.tanh])).init(
            None
        )

    helpers.assert_raises_like_haiku(
        ValueError,
        "skip_connections requires for all layers to be `hk.RNNCore`s",
        "layer 1",
        trigger,
    )


def test_skip_connections_with_no_layers_raise_when_called():
    def trigger(lib):
        def f(x):
            core = lib.deep_rnn_with_skip_connections([])
            return core(x, core.initial_state(2))

        lib.transform(f).init(None, X[:, 0])

    helpers.assert_raises_like_haiku(
        TypeError, ".", "'__deep_rnn' has skip connections but no layers", trigger
    )
