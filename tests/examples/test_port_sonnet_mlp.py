"""The Sonnet-porting example: its JAX port gives TF's logits, then JAX trains on."""

import re

from tests.examples import running


def test_port_gives_tf_logits_and_training_continues():
    with running.example("port_sonnet_mlp") as run:
        stdout = run("--tf_steps", "20", "--jax_steps", "20")
    difference = float(re.search(r"max \|logits_jax - logits_tf\| = (\S+)", stdout).group(1))
    assert difference < 1e-4, stdout
    tf_losses = [float(x) for x in re.findall(r"^tf  step +\d+  loss (\S+)", stdout, re.M)]
    jax_losses = [float(x) for x in re.findall(r"^jax step +\d+  loss (\S+)", stdout, re.M)]
    assert tf_losses[-1] < tf_losses[0], stdout
    # JAX starts where TF stopped (the same weights) and goes on lowering the loss.
    assert jax_losses[0] < tf_losses[0], stdout
    assert jax_losses[-1] < jax_losses[0], stdout
    accuracy = float(re.search(r"jax accuracy (\S+)", stdout).group(1))
    assert accuracy > 0.6, stdout
