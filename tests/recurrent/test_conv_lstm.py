"""Tests for sonnax/_src/recurrent/conv_lstm.py, with dm-haiku 0.0.17 as the oracle."""

import re

import jax
import jax.numpy as jnp
import pytest

from tests import helpers
from tests.recurrent import unrolling

CASES = {
    "1d": ("Conv1DLSTM", [5], 3, (2, 5, 3)),
    "2d": ("Conv2DLSTM", [4, 3], (3, 1), (2, 4, 3, 2)),
    "3d": ("Conv3DLSTM", [2, 3, 2], 2, (1, 2, 3, 2, 2)),
}


def _core(lib, case):
    class_name, input_shape, kernel_shape, _ = case
    return getattr(lib, class_name)(input_shape, output_channels=2, kernel_shape=kernel_shape)


# 2-D is covered by the unroll test below.
@pytest.mark.parametrize("case", [CASES["1d"], CASES["3d"]], ids=["1d", "3d"])
def test_step_matches_haiku(case):
    x = jax.random.normal(jax.random.PRNGKey(0), case[-1])
    params, _ = helpers.assert_matches_haiku(
        lambda lib, x: unrolling.step(lib, _core(lib, case), x, x.shape[0]), x
    )
    assert sorted(params) == [
        f"{case[0].lower()[:5]}_dlstm/{n}" for n in ("hidden_to_hidden", "input_to_hidden")
    ]


def test_unbatched_step_matches_haiku():
    x = jax.random.normal(jax.random.PRNGKey(0), (5, 3))
    helpers.assert_matches_haiku(
        lambda lib, x: unrolling.step(lib, _core(lib, CASES["1d"]), x, None), x
    )


def test_unroll_jit_and_vmap():
    x = jax.random.normal(jax.random.PRNGKey(0), (2, 3, 4, 3, 2))  # [B, T, H, W, C]
    build = lambda lib, x: unrolling.unroll(lib, _core(lib, CASES["2d"]), x)
    helpers.assert_matches_haiku(build, x)
    helpers.assert_jit_and_vmap_match(build, x)


def test_wrong_rank_raises():
    def trigger(lib):
        def f(x):
            core = _core(lib, CASES["2d"])
            return core(x, core.initial_state(2))

        lib.transform(f).init(None, jnp.ones([4, 2]))

    helpers.assert_raises_like_haiku(
        ValueError,
        re.escape("Input to ConvND needs to have rank in [3, 4]"),
        "conv2_dlstm/input_to_hidden",
        trigger,
    )
