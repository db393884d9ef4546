"""Writes `sonnet_mlp/`: a small Sonnet 2 checkpoint, and the outputs TF gave when saving it.

The model is an MLP followed by a BatchNorm, trained for one batch so that the BatchNorm's
moving statistics are off their initial values. Next to the checkpoint, `tf_outputs.npz` holds
an input batch and the model's outputs for it in TF (BatchNorm in eval mode), recorded by
`sonnax.parity.record`, so `examples/convert_and_compare.py` can check the converted model
without TensorFlow.

Needs TensorFlow and dm-sonnet (`pip install -e ".[tf]"`); the output is committed, so users
and CI never run this. Run: `python examples/data/make_sonnet_mlp.py examples/data/sonnet_mlp`.
"""

import os
import shutil
import sys

import sonnet as snt
import tensorflow as tf

from sonnax import parity


def main(out_dir: str) -> None:
    tf.config.experimental.enable_tensor_float_32_execution(False)
    tf.random.set_seed(0)
    mlp = snt.nets.MLP([16, 8, 3], name="mlp")
    batch_norm = snt.BatchNorm(create_scale=True, create_offset=True, name="batch_norm")
    batch_norm(mlp(tf.random.normal([4, 5])), is_training=True)
    # Non-trivial scale and offset: their initial ones and zeros would hide a swapped pair.
    batch_norm.scale.assign(tf.random.uniform(batch_norm.scale.shape, 0.5, 1.5))
    batch_norm.offset.assign(tf.random.normal(batch_norm.offset.shape))
    if os.path.isdir(out_dir):
        shutil.rmtree(out_dir)  # One checkpoint only: ckpt-1, as the README shows.
    checkpoint = tf.train.Checkpoint(mlp=mlp, batch_norm=batch_norm)
    manager = tf.train.CheckpointManager(checkpoint, out_dir, max_to_keep=1)
    print(manager.save())
    inputs = tf.random.normal([3, 5])
    outputs = batch_norm(mlp(inputs), is_training=False)
    parity.record(os.path.join(out_dir, "tf_outputs.npz"), [inputs], outputs)


if __name__ == "__main__":
    main(sys.argv[1])
