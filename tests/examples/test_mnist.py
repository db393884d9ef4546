"""Smoke test: the digits classifier trains, saves a checkpoint and resumes from it."""

import pytest

from sonnax import convert
from tests.examples import running


@pytest.mark.parametrize("model", ["mlp", "convnet"])
def test_mnist_trains_saves_and_resumes(model, tmp_path):
    common = ["--model", model, "--workdir", str(tmp_path), "--log_every", "10"]
    with running.example("mnist") as run:
        first = run(*common, "--steps", "30")
        params, state = convert.load(tmp_path / "checkpoint.npz")
        resumed = run(*common, "--steps", "40", "--restore")
    losses = running.logged(first, "loss")
    assert running.logged_steps(first) == [10, 20, 30]
    assert losses[-1] < losses[0], first
    assert any("linear" in module for module in params), params.keys()
    assert int(state["~training"]["step"]) == 30

    assert "restored step 30" in resumed, resumed
    assert running.logged_steps(resumed) == [40]
    # A fresh start would be back near the first loss (about log 10 = 2.3).
    assert running.logged(resumed, "loss")[0] < losses[0]
    assert running.logged(resumed, "test_accuracy")[0] > 0.5
