"""Tests for sonnax/_src/recurrent/gru.py, with dm-haiku 0.0.17 as the oracle."""

import re

import jax
import jax.numpy as jnp
import pytest

from tests import helpers
from tests.recurrent import unrolling

X = jax.random.normal(jax.random.PRNGKey(0), [2, 4, 3])


def _custom_inits(lib):
    init = lib.initializers
    return {
        "w_i_init": init.RandomNormal(0.3),
        "w_h_init": init.TruncatedNormal(0.2),
        "b_init": init.RandomUniform(-0.1, 0.1),
    }


@pytest.mark.parametrize("batch_size", [2, None], ids=["batched", "unbatched"])
def test_step_matches_haiku(batch_size):
    x = X[:, 0] if batch_size else X[0, 0]
    params, _ = helpers.assert_matches_haiku(
        lambda lib, x: unrolling.step(lib, lib.GRU(5), x, batch_size), x
    )
    assert jax.tree.map(jnp.shape, params) == {"gru": {"b": (15,), "w_h": (5, 15), "w_i": (3, 15)}}


def test_custom_initializers_match_haiku():
    def build(lib, x):
        return unrolling.step(lib, lib.GRU(5, **_custom_inits(lib)), x, 2)

    params, _ = helpers.assert_matches_haiku(build, X[:, 0])
    assert bool(jnp.any(params["gru"]["b"] != 0))


def test_unroll_matches_haiku():
    helpers.assert_matches_haiku(lambda lib, x: unrolling.unroll(lib, lib.GRU(5), x), X)


@pytest.mark.parametrize("shape", [(), (2, 4, 3)], ids=["rank_0", "rank_3"])
def test_wrong_rank_raises(shape):
    def trigger(lib):
        def f(x):
            core = lib.GRU(5)
            return core(x, core.initial_state(2))

        lib.transform(f).init(None, jnp.ones(shape))

    helpers.assert_raises_like_haiku(
        ValueError,
        "GRU input must be rank-1 or rank-2",
        "'gru'.*shape " + re.escape(str(shape)),
        trigger,
    )
