"""Smoke test: the character transformer learns, with dropout, checkpoints, resumes and samples."""

import math

from sonnax import convert
from tests.examples import running

TINY = [
    *("--model_size", "16", "--num_layers", "1", "--num_heads", "2"),
    *("--sequence_length", "16", "--batch_size", "8", "--log_every", "15"),
]


def test_transformer_lm_trains_resumes_and_samples(tmp_path):
    common = [*TINY, "--workdir", str(tmp_path), "--learning_rate", "1e-2"]
    with running.example("transformer_lm") as run:
        first = run(*common, "--steps", "30", "--dropout_rate", "0.1", "--sample_length", "0")
        params, _ = convert.load(tmp_path / "checkpoint.npz")
        resumed = run(*common, "--steps", "45", "--restore", "--sample_length", "20")
    assert "corpus: argparse" in first
    assert running.logged_steps(first) == [15, 30]
    losses = running.logged(first, "test_loss")
    # From a uniform guess over bytes (log 256 = 5.5 nats) to better than that.
    assert losses[-1] < losses[0] < math.log(256) + 0.5, first
    assert params["char_transformer"]["positional_embeddings"].shape == (16, 16)
    assert params["char_transformer/embed"]["embeddings"].shape == (256, 16)

    assert "restored step 30" in resumed, resumed
    assert running.logged_steps(resumed) == [45]
    assert running.logged(resumed, "test_loss")[0] < losses[0]
    assert "--- sample after" in resumed and "--- sample" not in first
