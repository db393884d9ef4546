"""Tests for sonnax/_src/recurrent/vanilla_rnn.py, with dm-haiku 0.0.17 as the oracle."""

import jax
import pytest

from tests import helpers
from tests.recurrent import unrolling

X = jax.random.normal(jax.random.PRNGKey(0), [2, 4, 3])
CONFIGS = {"default": {}, "single_bias_named": {"double_bias": False, "name": "rnn"}}


@pytest.mark.parametrize("config", CONFIGS.values(), ids=CONFIGS.keys())
def test_step_matches_haiku(config):
    def build(lib, x):
        return unrolling.step(lib, lib.VanillaRNN(5, **config), x, x.shape[0])

    params, _ = helpers.assert_matches_haiku(build, X[:, 0])
    assert sorted(params) == sorted(
        [
            f"{config.get('name', 'vanilla_rnn')}/linear",
            f"{config.get('name', 'vanilla_rnn')}/linear_1",
        ]
    )


def test_unbatched_step_matches_haiku():
    helpers.assert_matches_haiku(
        lambda lib, x: unrolling.step(lib, lib.VanillaRNN(5), x, None), X[0, 0]
    )


def test_unroll_matches_haiku():
    helpers.assert_matches_haiku(lambda lib, x: unrolling.unroll(lib, lib.VanillaRNN(5), x), X)
