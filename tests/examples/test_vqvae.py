"""Smoke test: the VQ-VAE learns with either quantizer, keeps the EMA codebook in state, resumes."""

import pytest

from sonnax import convert
from tests.examples import running

TINY = ["--channels", "8", "--embedding_dim", "4", "--num_embeddings", "8", "--log_every", "20"]


@pytest.mark.parametrize("quantizer", ["ema", "plain"])
def test_vqvae_trains_and_resumes(quantizer, tmp_path):
    common = [*TINY, "--quantizer", quantizer, "--workdir", str(tmp_path)]
    with running.example("vqvae") as run:
        first = run(*common, "--steps", "40", "--learning_rate", "3e-3")
        params, state = convert.load(tmp_path / "checkpoint.npz")
        resumed = run(*common, "--steps", "60", "--learning_rate", "3e-3", "--restore")
    assert running.logged_steps(first) == [20, 40]
    errors = running.logged(first, "test_error")
    assert errors[-1] < errors[0] < 1.5, first
    assert 1 <= running.logged(first, "perplexity")[-1] <= 8
    if quantizer == "ema":  # The codebook is state, updated by moving averages every step.
        assert state["vector_quantizer_ema"]["embeddings"].shape == (4, 8)
        assert int(state["vector_quantizer_ema/~/ema_dw"]["counter"]) == 40
        assert not any("quantizer" in module for module in params)
    else:  # The codebook is a parameter, and there is no model state.
        assert params["vector_quantizer"]["embeddings"].shape == (4, 8)
        assert set(state) == {"~training", "~training/opt_state"}

    assert "restored step 40" in resumed, resumed
    assert running.logged_steps(resumed) == [60]
    assert running.logged(resumed, "test_error")[0] < errors[0]
