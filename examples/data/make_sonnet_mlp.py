"""Writes `sonnet_mlp/`: a small Sonnet 2 MLP checkpoint, bundled for the README's convert demo.

Needs TensorFlow and dm-sonnet (`pip install -e ".[tf]"`); the output is committed, so users
and CI never run this. Run: `python examples/data/make_sonnet_mlp.py examples/data/sonnet_mlp`.
"""

import sys

import sonnet as snt
import tensorflow as tf


def main(out_dir: str) -> None:
    tf.random.set_seed(0)
    mlp = snt.nets.MLP([16, 8, 3], name="mlp")
    batch_norm = snt.BatchNorm(create_scale=True, create_offset=True, name="batch_norm")
    inputs = tf.random.normal([4, 5])
    batch_norm(mlp(inputs), is_training=True)
    checkpoint = tf.train.Checkpoint(mlp=mlp, batch_norm=batch_norm)
    manager = tf.train.CheckpointManager(checkpoint, out_dir, max_to_keep=1)
    print(manager.save())


if __name__ == "__main__":
    main(sys.argv[1])
