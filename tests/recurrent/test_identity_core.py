"""Tests for sonnax/_src/recurrent/identity_core.py, with dm-haiku 0.0.17 as the oracle."""

import jax
import pytest

from tests import helpers
from tests.recurrent import unrolling

X = jax.random.normal(jax.random.PRNGKey(0), [2, 3, 4])


def test_unroll_matches_haiku():
    _, (out, state) = helpers.assert_matches_haiku(
        lambda lib, x: unrolling.unroll(lib, lib.IdentityCore(), x), X
    )
    helpers.assert_trees_equal(out, X)
    assert state == []


@pytest.mark.parametrize("batch_size", [2, None], ids=["batched", "unbatched"])
def test_initial_state_is_empty(batch_size):
    _, (state, _, _) = helpers.assert_matches_haiku(
        lambda lib, x: unrolling.step(lib, lib.IdentityCore(), x, batch_size), X[:, 0]
    )
    assert state == []
