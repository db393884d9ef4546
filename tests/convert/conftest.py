"""Checkpoints written by TensorFlow for the convert tests, generated once per session."""

import importlib.util
import os
import pathlib
import subprocess
import sys

import pytest

MAKE_FIXTURES = pathlib.Path(__file__).with_name("make_fixtures.py")


@pytest.fixture(scope="session")
def tf_fixtures(tmp_path_factory: pytest.TempPathFactory) -> pathlib.Path:
    """The folder `make_fixtures.py` fills: `<name>/` checkpoints and `<name>.json` oracles.

    TensorFlow runs in a subprocess, so that this process never imports it.
    """
    if not all(importlib.util.find_spec(name) for name in ("tensorflow", "sonnet")):
        message = "needs tensorflow and dm-sonnet (the `tf` extra) to write fixtures"
        # CI installs the test extra, which has them: there a missing oracle is a failure.
        pytest.fail(message) if os.environ.get("CI") else pytest.skip(message)
    out = tmp_path_factory.mktemp("tf_fixtures")
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3", "CUDA_VISIBLE_DEVICES": ""}
    result = subprocess.run(
        [sys.executable, str(MAKE_FIXTURES), str(out)],
        capture_output=True,
        text=True,
        env=env,
        timeout=600,
    )
    if result.returncode:
        pytest.fail(f"make_fixtures.py failed:\n{result.stderr[-5000:]}")
    return out
