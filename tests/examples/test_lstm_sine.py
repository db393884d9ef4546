"""Smoke test: the LSTM learns next values, forecasts better than zeros, and resumes."""

import re

from sonnax import convert
from tests.examples import running


def final_numbers(stdout: str) -> dict[str, float]:
    pairs = re.findall(
        r"(test_loss|last value scores|forecast_error|zeros scores) (\d\S*\d)", stdout
    )
    return {name: float(value) for name, value in pairs}


def test_lstm_sine_trains_forecasts_and_resumes(tmp_path):
    common = ["--workdir", str(tmp_path), "--hidden_size", "16", "--log_every", "40"]
    with running.example("lstm_sine") as run:
        first = run(*common, "--steps", "80", "--learning_rate", "1e-2")
        params, _ = convert.load(tmp_path / "checkpoint.npz")
        resumed = run(*common, "--steps", "120", "--learning_rate", "1e-2", "--restore")
    assert running.logged_steps(first) == [40, 80]
    losses = running.logged(first, "test_loss")
    assert losses[-1] < losses[0], first
    assert params["predictor/~/lstm/linear"]["w"].shape == (1 + 16, 4 * 16)

    assert "restored step 80" in resumed, resumed
    assert running.logged_steps(resumed) == [120]
    final = final_numbers(resumed.splitlines()[-1])
    assert final["test_loss"] < losses[-1]
    assert final["forecast_error"] < final["zeros scores"] / 2, resumed
