"""Smoke test: the quickstart example trains and its loss falls."""

import pathlib
import re
import subprocess
import sys

EXAMPLE = pathlib.Path(__file__).resolve().parents[2] / "examples" / "quickstart.py"


def test_quickstart_runs_and_loss_decreases():
    result = subprocess.run(
        [sys.executable, str(EXAMPLE), "--steps", "30"],
        capture_output=True,
        text=True,
        check=True,
        timeout=300,
    )
    losses = [float(x) for x in re.findall(r"loss (\d+\.\d+)", result.stdout)]
    assert len(losses) >= 3, result.stdout
    assert losses[-1] < losses[0], result.stdout
