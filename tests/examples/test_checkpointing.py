"""The examples' checkpoints: step, params, state and optimizer state come back as saved."""

import jax
import jax.numpy as jnp
import numpy as np
import optax
import pytest

from sonnax import convert
from tests.examples import running

checkpointing = running.load("checkpointing")

PARAMS = {"mlp/~/linear_0": {"w": np.arange(6.0).reshape(2, 3), "b": np.ones(3)}}
STATE = {"batch_norm/~/mean_ema": {"average": np.full(3, 0.5), "counter": np.int32(7)}}


def test_round_trip(tmp_path):
    optimizer = optax.adam(1e-3)
    opt_state = optimizer.init(PARAMS)
    _, opt_state = optimizer.update(PARAMS, opt_state)  # Moments and count now non-zero.
    checkpointing.save(str(tmp_path), 12, PARAMS, STATE, opt_state)

    fresh = optimizer.init(PARAMS)
    step, params, state, restored = checkpointing.restore(str(tmp_path), PARAMS, STATE, fresh)
    assert step == 12
    jax.tree.map(np.testing.assert_array_equal, params, PARAMS)
    jax.tree.map(np.testing.assert_array_equal, state, STATE)
    assert jax.tree.structure(restored) == jax.tree.structure(opt_state)
    jax.tree.map(np.testing.assert_array_equal, restored, opt_state)
    # The file is an ordinary params file: the model's trees load as they are.
    loaded_params, loaded_state = convert.load(tmp_path / "checkpoint.npz")
    assert loaded_params.keys() == PARAMS.keys()
    assert set(loaded_state) == {*STATE, "~training", "~training/opt_state"}


def test_saving_again_replaces_the_file(tmp_path):
    checkpointing.save(str(tmp_path), 1, PARAMS)
    checkpointing.save(str(tmp_path), 2, PARAMS)
    assert checkpointing.restore(str(tmp_path), PARAMS).step == 2
    assert [p.name for p in tmp_path.iterdir()] == ["checkpoint.npz"]


def test_other_model_is_refused(tmp_path):
    checkpointing.save(str(tmp_path), 3, PARAMS)
    wider = {"mlp/~/linear_0": {"w": np.zeros((2, 4)), "b": np.ones(4)}}
    with pytest.raises(ValueError, match=r"linear_0/w has shape \(2, 3\), expected \(2, 4\)"):
        checkpointing.restore(str(tmp_path), wider)
    renamed = {"mlp/~/linear_1": PARAMS["mlp/~/linear_0"]}
    with pytest.raises(ValueError, match="params do not match the model: missing"):
        checkpointing.restore(str(tmp_path), renamed)


def test_other_optimizer_is_refused(tmp_path):
    checkpointing.save(str(tmp_path), 3, PARAMS, None, optax.sgd(0.1).init(PARAMS))
    adam_state = optax.adam(1e-3).init(jax.tree.map(jnp.asarray, PARAMS))
    with pytest.raises(ValueError, match="optimizer state has 0 arrays, expected 5"):
        checkpointing.restore(str(tmp_path), PARAMS, None, adam_state)
