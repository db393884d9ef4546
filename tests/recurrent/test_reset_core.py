"""Tests for sonnax/_src/recurrent/reset_core.py, with dm-haiku 0.0.17 as the oracle."""

import jax
import jax.numpy as jnp
import numpy as np

import sonnax
from tests import helpers
from tests.recurrent import unrolling

X = jax.random.normal(jax.random.PRNGKey(0), [2, 4, 3])  # [B, T, F]
RESETS = jnp.array([[False, True, False, True], [False, False, True, False]])


def test_unroll_with_resets_matches_haiku():
    def build(lib, x, should_reset):
        core = lib.ResetCore(lib.LSTM(5))
        return unrolling.unroll(lib, core, (x, should_reset))

    helpers.assert_matches_haiku(build, X, RESETS)


def _step(lib, x, hidden, cell, should_reset):
    out, state = lib.ResetCore(lib.LSTM(5))((x, should_reset), lib.LSTMState(hidden, cell))
    return out, unrolling.plain(state)


def test_resets_exactly_where_should_reset_is_set():
    hidden, cell = jax.random.normal(jax.random.PRNGKey(1), [2, 2, 5])
    f = sonnax.transform(lambda *args: _step(sonnax, *args))
    params = f.init(helpers.KEY, X[:, 0], hidden, cell, jnp.array([True, False]))
    partly = f.apply(params, None, X[:, 0], hidden, cell, jnp.array([True, False]))
    never = f.apply(params, None, X[:, 0], hidden, cell, jnp.array([False, False]))
    zeros = jnp.zeros_like(hidden)
    always = f.apply(params, None, X[:, 0], zeros, zeros, jnp.array([False, False]))
    helpers.assert_trees_close(
        jax.tree.map(lambda a: a[0], partly), jax.tree.map(lambda a: a[0], always)
    )
    helpers.assert_trees_close(
        jax.tree.map(lambda a: a[1], partly), jax.tree.map(lambda a: a[1], never)
    )
    assert not np.allclose(partly[0][0], never[0][0])


def test_nested_should_reset_matches_haiku():
    def build(lib, x, hidden, cell, reset_hidden, reset_cell):
        return _step(lib, x, hidden, cell, lib.LSTMState(reset_hidden, reset_cell))

    hidden, cell = jax.random.normal(jax.random.PRNGKey(1), [2, 2, 5])
    helpers.assert_matches_haiku(build, X[:, 0], hidden, cell, RESETS[:, 0], RESETS[:, 1])


def test_unbatched_matches_haiku():
    def build(lib, x, should_reset):
        core = lib.ResetCore(lib.GRU(5))
        state = core.initial_state(None) + 1.0
        return core((x, should_reset), state), core.initial_state(None)

    helpers.assert_matches_haiku(build, X[0, 0], jnp.array(True))


def test_jit_and_vmap():
    def build(lib, x):
        return unrolling.unroll(lib, lib.ResetCore(lib.GRU(5)), (x, x[..., 0] > 0))

    helpers.assert_jit_and_vmap_match(build, X)


def test_incompatible_should_reset_raises():
    def trigger(lib):
        def f(x):
            core = lib.ResetCore(lib.LSTM(5))
            return core((x, jnp.zeros([3], bool)), core.initial_state(2))

        lib.transform(f).init(None, X[:, 0])

    helpers.assert_raises_like_haiku(
        ValueError,
        r"should_reset signal shape \(3,\) is not compatible with state shape \(2, 5\)",
        "'reset_core'.*prefix",
        trigger,
    )
