"""Smoke test: the data-parallel example trains on 8 host devices, under jit and pmap."""

import pathlib
import re
import subprocess
import sys

import pytest

EXAMPLE = pathlib.Path(__file__).resolve().parents[2] / "examples" / "data_parallel.py"


@pytest.mark.parametrize("mode", ["jit", "pmap"])
def test_data_parallel_runs_and_loss_decreases(mode):
    result = subprocess.run(
        [sys.executable, str(EXAMPLE), "--steps", "21", "--mode", mode],
        capture_output=True,
        text=True,
        check=True,
        timeout=300,
    )
    assert f"{mode}: 8 devices" in result.stdout, result.stdout
    losses = [float(x) for x in re.findall(r"loss (\d+\.\d+)", result.stdout)]
    assert len(losses) == 3, result.stdout
    assert losses[-1] < losses[0], result.stdout
