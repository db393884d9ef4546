"""Smoke test: Keras trains the sonnax model through JaxLayer, saves it, and resumes from it.

Both runs share one fresh interpreter: Keras fixes its backend at import, and this process may
have imported it already on TensorFlow's (through a parity test's `import sonnet`).
"""

import json
import os
import pathlib
import subprocess
import sys

from sonnax import convert
from tests.examples import running

ROOT = pathlib.Path(__file__).resolve().parents[2]
_RUN_TWICE = """
import json, sys
from tests.examples import running
with running.example("keras_interop") as run:
    for argv in json.loads(sys.argv[1]):
        print(run(*argv), end="=====\\n")
"""


def test_keras_fits_saves_and_resumes(tmp_path):
    common = [
        *("--workdir", str(tmp_path), "--hidden_size", "32"),
        *("--batch_size", "100", "--learning_rate", "1e-2"),
    ]
    runs = [[*common, "--epochs", "2"], [*common, "--epochs", "3", "--restore"]]
    result = subprocess.run(
        [sys.executable, "-c", _RUN_TWICE, json.dumps(runs)],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=ROOT,
        env={**os.environ, "KERAS_BACKEND": "tensorflow"},  # The example must choose JAX.
    )
    assert result.returncode == 0, result.stdout + result.stderr
    first, resumed, _ = result.stdout.split("=====\n")
    epochs = running.logged(first, "loss", prefix="epoch")
    assert len(epochs) == 2 and epochs[1] < epochs[0], first
    assert running.logged(first, "test_accuracy", prefix="epoch")[-1] > 0.5, first

    params, state = convert.load(tmp_path / "checkpoint.npz")
    assert params["linear"]["w"].shape == (64, 32) and params["linear_1"]["w"].shape == (32, 10)
    steps_per_epoch = 1500 // 100
    # Keras ran the model in training mode for every step: BatchNorm's state and Adam's
    # step counter (the optimizer's first variable) both counted all of them.
    assert int(state["batch_norm/~/mean_ema"]["counter"]) == 3 * steps_per_epoch
    assert int(state["~training/opt_state"]["00000"]) == 3 * steps_per_epoch
    assert int(state["~training"]["step"]) == 3

    assert "restored epoch 2" in resumed, resumed
    resumed_losses = running.logged(resumed, "loss", prefix="epoch")
    assert len(resumed_losses) == 1 and resumed_losses[0] < epochs[0], resumed
