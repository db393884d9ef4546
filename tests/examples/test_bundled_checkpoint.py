"""The bundled Sonnet checkpoint (which the README's main job reads) gives TensorFlow's values."""

import json
import os
import pathlib
import subprocess
import sys

import numpy as np

from sonnax import convert

ROOT = pathlib.Path(__file__).resolve().parents[2]
CHECKPOINT = ROOT / "examples" / "data" / "sonnet_mlp"

# The oracle: Sonnet rebuilds the modules and restores the checkpoint into them, in a
# subprocess so that this test process never imports TensorFlow.
_RESTORE_WITH_SONNET = """
import json, sys
import sonnet as snt
import tensorflow as tf
mlp = snt.nets.MLP([16, 8, 3], name="mlp")
batch_norm = snt.BatchNorm(create_scale=True, create_offset=True, name="batch_norm")
batch_norm(mlp(tf.zeros([1, 5])), is_training=False, test_local_stats=True)
checkpoint = tf.train.Checkpoint(mlp=mlp, batch_norm=batch_norm)
checkpoint.restore(tf.train.latest_checkpoint(sys.argv[1])).assert_existing_objects_matched()
variables = mlp.variables + batch_norm.variables
print(json.dumps({v.name.split(":")[0]: v.numpy().tolist() for v in variables}))
"""


def _place(name):
    """Where the README's name rule puts a Sonnet variable (written out independently)."""
    *scopes, leaf = name.split("/")
    moving_average = scopes[:2] in (
        ["batch_norm", "moving_mean"],
        ["batch_norm", "moving_variance"],
    )
    return ("state" if moving_average else "params"), "/~/".join(scopes), leaf


def test_readme_main_job_matches_sonnet(tmp_path):
    out = tmp_path / "sonnet_mlp.npz"
    command = [sys.executable, "-m", "sonnax.convert", str(CHECKPOINT), str(out), "--force"]
    result = subprocess.run(command, capture_output=True, text=True, check=True, timeout=120)
    assert "14 tensors" in result.stdout
    converted = dict(zip(("params", "state"), convert.load(out), strict=True))

    oracle = subprocess.run(
        [sys.executable, "-c", _RESTORE_WITH_SONNET, str(CHECKPOINT)],
        capture_output=True,
        text=True,
        check=True,
        timeout=300,
        env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"},
    )
    expected = json.loads(oracle.stdout.splitlines()[-1])
    assert len(expected) == 14
    for name, value in expected.items():
        tree, module, leaf = _place(name)
        np.testing.assert_array_equal(converted[tree][module][leaf], value, err_msg=name)
    assert sum(len(bundle) for tree in converted.values() for bundle in tree.values()) == 14
