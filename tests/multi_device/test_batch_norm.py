"""`BatchNorm(cross_replica_axis=...)` under `jax.pmap` equals dm-haiku's under the same pmap."""

import haiku
import jax
import pytest

import sonnax
from tests.helpers import assert_trees_close, assert_trees_equal
from tests.multi_device.problem import NUM_DEVICES

SHAPE = (NUM_DEVICES, 2, 3)  # two examples of three channels per device
INPUTS = jax.random.normal(jax.random.PRNGKey(1), SHAPE) * 2.0 + 1.0


def batch_norm(lib, axis_name=None, index_groups=None):
    def f(x, is_training):
        norm = lib.BatchNorm(
            True,
            True,
            decay_rate=0.9,
            cross_replica_axis=axis_name,
            cross_replica_axis_index_groups=index_groups,
        )
        return norm(x, is_training)

    return lib.transform_with_state(f)


def train_then_eval(lib, index_groups=None):
    """Init, one training step and one inference step, each under `jax.pmap` over "i"."""
    f = batch_norm(lib, "i", index_groups)
    init = jax.pmap(f.init, axis_name="i", in_axes=(None, 0, None), static_broadcasted_argnums=2)
    apply = jax.pmap(
        f.apply, axis_name="i", in_axes=(0, 0, None, 0, None), static_broadcasted_argnums=4
    )
    params, state = init(jax.random.PRNGKey(0), INPUTS, True)
    train_out, state = apply(params, state, None, INPUTS, True)
    eval_out, _ = apply(params, state, None, INPUTS + 1.0, False)
    return params, state, train_out, eval_out


@pytest.mark.parametrize(
    "index_groups", [None, [[0, 1, 2, 3], [4, 5, 6, 7]]], ids=["all", "halves"]
)
def test_cross_replica_batch_norm_matches_haiku(index_groups):
    params, state, train_out, eval_out = train_then_eval(sonnax, index_groups)
    expected = train_then_eval(haiku, index_groups)
    assert_trees_equal(params, expected[0])
    assert_trees_close((state, train_out, eval_out), expected[1:])


def test_cross_replica_statistics_are_the_full_batch_statistics():
    _, state, train_out, _ = train_then_eval(sonnax)
    full_batch = INPUTS.reshape([-1, SHAPE[-1]])
    f = batch_norm(haiku)
    params, initial = f.init(jax.random.PRNGKey(0), full_batch, True)
    out, expected_state = f.apply(params, initial, None, full_batch, True)
    assert_trees_close(train_out.reshape(out.shape), out)
    for device in (0, NUM_DEVICES - 1):
        assert_trees_close(jax.tree.map(lambda s, d=device: s[d], state), expected_state)
