"""Tests for sonnax/_src/recurrent/lstm.py, with dm-haiku 0.0.17 as the oracle."""

import re

import jax
import jax.numpy as jnp
import pytest

import sonnax
from tests import helpers
from tests.recurrent import unrolling

X = jax.random.normal(jax.random.PRNGKey(0), [2, 4, 3])


@pytest.mark.parametrize("batch_size", [2, None], ids=["batched", "unbatched"])
def test_step_matches_haiku(batch_size):
    x = X[:, 0] if batch_size else X[0, 0]
    params, _ = helpers.assert_matches_haiku(
        lambda lib, x: unrolling.step(lib, lib.LSTM(5), x, batch_size), x
    )
    assert jax.tree.map(jnp.shape, params) == {"lstm/linear": {"b": (20,), "w": (8, 20)}}


def test_step_from_a_nonzero_state_matches_haiku():
    def build(lib, x, hidden, cell):
        out, state = lib.LSTM(5)(x, lib.LSTMState(hidden, cell))
        return out, unrolling.plain(state)

    hidden, cell = jax.random.normal(jax.random.PRNGKey(1), [2, 2, 5])
    helpers.assert_matches_haiku(build, X[:, 0], hidden, cell)


def test_unroll_jit_and_vmap_match_haiku():
    build = lambda lib, x: unrolling.unroll(lib, lib.LSTM(5), x)
    helpers.assert_matches_haiku(build, X)
    helpers.assert_jit_and_vmap_match(build, X)


def test_state_is_a_named_tuple():
    state = sonnax.LSTMState(hidden=jnp.zeros([2]), cell=jnp.ones([2]))
    assert state._fields == ("hidden", "cell") and state[1] is state.cell


@pytest.mark.parametrize("shape", [(), (2, 4, 3)], ids=["rank_0", "rank_3"])
def test_wrong_rank_raises(shape):
    def trigger(lib):
        def f(x):
            core = lib.LSTM(5)
            return core(x, core.initial_state(2))

        lib.transform(f).init(None, jnp.ones(shape))

    helpers.assert_raises_like_haiku(
        ValueError,
        "LSTM input must be rank-1 or rank-2",
        "'lstm'.*shape " + re.escape(str(shape)),
        trigger,
    )
