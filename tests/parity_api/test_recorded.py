"""Tests for sonnax/parity/_recorded.py: a pair TF recorded, compared where TF is not needed."""

import numpy as np
import pytest

from sonnax import compat, convert, parity


@pytest.fixture(scope="module")
def recorded_mlp(tmp_path_factory):
    """An MLP's inputs and outputs recorded from TF Sonnet, and its converted variables."""
    import sonnet
    import tensorflow as tf

    x = np.random.default_rng(0).normal(size=(2, 5)).astype(np.float32)
    module = sonnet.nets.MLP([4, 3], name="mlp")
    path = tmp_path_factory.mktemp("recorded") / "pair.npz"
    parity.record(path, [x], {"logits": module(tf.constant(x)), "x": tf.constant(x)})
    return path, convert.from_module(module)


def _port(x):
    return {"logits": compat.nets.MLP([4, 3], name="mlp")(x), "x": x}


def test_a_recorded_pair_round_trips(recorded_mlp):
    path, _ = recorded_mlp
    inputs, outputs = parity.load_recorded(path)
    assert [a.shape for a in inputs] == [(2, 5)]
    assert [a.shape for a in outputs] == [(2, 3), (2, 5)]  # Dict leaves in key order.
    np.testing.assert_array_equal(outputs[1], inputs[0])


def test_the_port_is_compared_with_the_recorded_outputs(recorded_mlp):
    path, (params, state) = recorded_mlp
    report = parity.compare_recorded(path, _port, params, state)
    assert report.ok, str(report)
    assert [row.name for row in report.rows] == ["outputs['logits']", "outputs['x']"]
    params["mlp/~/linear_1"]["b"] = params["mlp/~/linear_1"]["b"] + 1e-3
    report = parity.compare_recorded(path, _port, params, state)
    assert [row.name for row in report.failures] == ["outputs['logits']"]
    params["mlp/~/linear_1"]["b"] -= 1e-3


def test_a_port_with_more_outputs_fails_naming_the_counts(recorded_mlp):
    path, (params, state) = recorded_mlp
    report = parity.compare_recorded(path, lambda x: [*_port(x).values(), x], params, state)
    assert not report.ok and report.rows[0].problem == "TF gave 2 outputs, the port 3"


def test_a_file_with_gaps_or_other_keys_is_refused(tmp_path):
    np.savez(tmp_path / "gap.npz", **{"inputs/0": np.ones(1), "inputs/2": np.ones(1)})
    with pytest.raises(ValueError, match=r"expected keys inputs/0 \.\. inputs/1, found"):
        parity.load_recorded(tmp_path / "gap.npz")
    np.savez(tmp_path / "other.npz", **{"inputs/0": np.ones(1), "params/w": np.ones(1)})
    with pytest.raises(ValueError, match=r"unexpected keys \['params/w'\]"):
        parity.load_recorded(tmp_path / "other.npz")


def test_recording_over_a_file_needs_overwrite(tmp_path):
    path = tmp_path / "pair.npz"
    parity.record(path, [np.ones(2)], np.zeros(2))
    with pytest.raises(convert.OutputError, match="already exists"):
        parity.record(path, [np.ones(2)], np.ones(2))
    parity.record(path, [np.ones(2)], np.ones(2), overwrite=True)
    assert parity.load_recorded(path)[1][0].tolist() == [1.0, 1.0]
