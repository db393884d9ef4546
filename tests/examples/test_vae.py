"""Smoke test: the VAE's bound improves, beats the mean image, and training resumes."""

import re

from sonnax import convert
from tests.examples import running


def test_vae_trains_and_resumes(tmp_path):
    common = ["--workdir", str(tmp_path), "--hidden_size", "64", "--log_every", "50"]
    with running.example("vae") as run:
        first = run(*common, "--steps", "100", "--learning_rate", "3e-3")
        params, state = convert.load(tmp_path / "checkpoint.npz")
        resumed = run(*common, "--steps", "150", "--restore", "--learning_rate", "3e-3")
    assert running.logged_steps(first) == [50, 100]
    bounds = running.logged(first, "test_neg_elbo")
    assert bounds[-1] < bounds[0], first
    assert params["vae/~encode/statistics"]["w"].shape == (64, 2 * 8)
    assert int(state["~training"]["step"]) == 100

    assert "restored step 100" in resumed, resumed
    assert running.logged_steps(resumed) == [150]
    final, baseline = map(
        float, re.search(r"final test_neg_elbo (\S+) .* scores (\S+)\)", resumed).groups()
    )
    assert final < bounds[-1] and final < baseline, resumed
