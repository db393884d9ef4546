"""A Sonnet 2 classifier, trained in TensorFlow, ported to JAX by changing its import.

1. `define_classifier(sonnet)`: the Sonnet program's model, trained in TF for a few Adam steps
   on generated spirals, then saved as an ordinary TF checkpoint.
2. `define_classifier(sonnax.compat)`: the same source with `snt` bound to `sonnax.compat`,
   run in `sonnax.transform`; the checkpoint is read without TensorFlow (`sonnax.convert`)
   and the JAX model gives TF's logits.
3. Training goes on in JAX with the compat Adam, from TF's weights.

Needs TensorFlow and dm-sonnet (`pip install -e ".[tf,examples]"`).
Run: `python examples/port_sonnet_mlp.py --tf_steps 50 --jax_steps 50`.
"""

from __future__ import annotations

import tempfile
from collections.abc import Sequence
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np
from absl import app, flags

TF_STEPS = flags.DEFINE_integer("tf_steps", 50, "Adam steps of the Sonnet program in TF.")
JAX_STEPS = flags.DEFINE_integer("jax_steps", 50, "Adam steps in JAX after the port.")
NUM_CLASSES = 3


def define_classifier(snt: Any) -> type:
    """The model code of the Sonnet program, unchanged; `snt` is `sonnet` or `sonnax.compat`."""

    class Classifier(snt.Module):
        def __init__(self, num_classes: int, name: str | None = None):
            super().__init__(name=name)
            self.torso = snt.nets.MLP([64, 64], activate_final=True, name="torso")
            self.head = snt.Linear(num_classes, name="head")

        def __call__(self, x: Any) -> Any:
            return self.head(self.torso(x))

    return Classifier


def make_spirals(seed: int, num_examples: int = 768) -> tuple[np.ndarray, np.ndarray]:
    """Three interleaved 2-D spirals with noise: a small dataset that needs a nonlinear model."""
    rng = np.random.default_rng(seed)
    labels = rng.integers(0, NUM_CLASSES, size=num_examples)
    radius = rng.uniform(0.1, 1.0, size=num_examples)
    angle = 4.0 * radius + labels * (2 * np.pi / NUM_CLASSES) + rng.normal(0, 0.2, num_examples)
    points = np.stack([radius * np.cos(angle), radius * np.sin(angle)], axis=1)
    return points.astype(np.float32), labels.astype(np.int32)


def train_in_tf(images: np.ndarray, labels: np.ndarray, steps: int, ckpt_dir: str) -> np.ndarray:
    """The original Sonnet 2 program: trains, saves a checkpoint, returns its logits."""
    import sonnet
    import tensorflow as tf

    tf.random.set_seed(0)
    model = define_classifier(sonnet)(NUM_CLASSES, name="classifier")
    optimizer = sonnet.optimizers.Adam(learning_rate=1e-2)

    @tf.function
    def step(x: tf.Tensor, y: tf.Tensor) -> tf.Tensor:
        with tf.GradientTape() as tape:
            logits = model(x)
            loss = tf.reduce_mean(tf.nn.sparse_softmax_cross_entropy_with_logits(y, logits))
        grads = tape.gradient(loss, model.trainable_variables)
        optimizer.apply(grads, model.trainable_variables)
        return loss

    for i in range(steps):
        loss = step(images, labels)
        if i % 10 == 0 or i == steps - 1:
            print(f"tf  step {i:3d}  loss {float(loss):.4f}")
    tf.train.Checkpoint(model=model).write(f"{ckpt_dir}/ckpt")
    return model(images).numpy()


def port_to_jax(ckpt_dir: str) -> tuple[Any, Any]:
    """Reads the TF checkpoint without TensorFlow; returns the compat model and its params."""
    import sonnax
    from sonnax import compat, convert

    with convert.open_checkpoint(f"{ckpt_dir}/ckpt") as checkpoint:
        converted = convert.to_params(checkpoint)
    classifier = define_classifier(compat)
    model = sonnax.transform(lambda x: classifier(NUM_CLASSES, name="classifier")(x))
    return model, converted.params


def train_in_jax(
    model: Any, params: Any, images: np.ndarray, labels: np.ndarray, steps: int
) -> Any:
    """Continues training with the compat Adam (Sonnet's defaults, on optax)."""
    from sonnax import compat

    optimizer = compat.optimizers.Adam(learning_rate=1e-2)
    opt_state = optimizer.init(params)

    def loss_fn(params: Any, x: jax.Array, y: jax.Array) -> jax.Array:
        logits = model.apply(params, None, x)
        log_probs = jax.nn.log_softmax(logits)
        return -jnp.mean(jnp.take_along_axis(log_probs, y[:, None], axis=1))

    @jax.jit
    def step(params: Any, opt_state: Any, x: jax.Array, y: jax.Array) -> Any:
        loss, grads = jax.value_and_grad(loss_fn)(params, x, y)
        params, opt_state = optimizer.apply(opt_state, grads, params)
        return params, opt_state, loss

    for i in range(steps):
        params, opt_state, loss = step(params, opt_state, images, labels)
        if i % 10 == 0 or i == steps - 1:
            print(f"jax step {i:3d}  loss {float(loss):.4f}")
    return params


def main(argv: Sequence[str]) -> None:
    del argv  # Unused: everything comes in by flags.
    images, labels = make_spirals(seed=0)
    with tempfile.TemporaryDirectory() as ckpt_dir:
        tf_logits = train_in_tf(images, labels, TF_STEPS.value, ckpt_dir)
        model, params = port_to_jax(ckpt_dir)
    with jax.default_matmul_precision("highest"):
        jax_logits = np.asarray(model.apply(params, None, images))
    difference = float(np.max(np.abs(jax_logits - tf_logits)))
    print(f"max |logits_jax - logits_tf| = {difference:.2e}")
    if not np.allclose(jax_logits, tf_logits, rtol=1e-5, atol=1e-5):
        raise SystemExit("the ported model does not compute what the Sonnet model computes")
    params = train_in_jax(model, params, images, labels, JAX_STEPS.value)
    accuracy = float(np.mean(np.argmax(model.apply(params, None, images), -1) == labels))
    print(f"jax accuracy {accuracy:.3f}")


if __name__ == "__main__":
    app.run(main)
