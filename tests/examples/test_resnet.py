"""Smoke test: the ResNet trains with BatchNorm state, checkpoints it and restores it exactly."""

import re

from sonnax import convert
from tests.examples import running


def final_accuracy(stdout: str) -> float:
    return float(re.search(r"^final test_accuracy (\S+)", stdout, re.M).group(1))


def test_resnet_trains_with_state_and_restores(tmp_path):
    common = ["--workdir", str(tmp_path), "--width", "4", "--batch_size", "32", "--steps", "30"]
    with running.example("resnet") as run:
        first = run(*common, "--log_every", "15")
        params, state = convert.load(tmp_path / "checkpoint.npz")
        # Nothing left to train: the restored params and moving averages are evaluated as is.
        restored = run(*common, "--restore")
    assert running.logged_steps(first) == [15, 30]
    losses = running.logged(first, "loss")
    assert losses[-1] < losses[0], first
    assert int(state["~training"]["step"]) == 30
    # Every BatchNorm's moving averages were saved, having counted all 30 training steps:
    # the stem's, two per block and one per projected shortcut (blocks 1 and 2).
    counters = {m: v["counter"] for m, v in state.items() if m.endswith("mean_ema")}
    assert len(counters) == 1 + 2 * 3 + 2, counters.keys()
    assert all(int(c) == 30 for c in counters.values()), counters
    assert "logits" in params and "block_2/conv2_d_2" in params, params.keys()

    assert "restored step 30" in restored, restored
    assert running.logged_steps(restored) == []
    assert final_accuracy(restored) == final_accuracy(first) > 1 / 4
