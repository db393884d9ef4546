"""Quickstart: an MLP classifier trained for a few SGD steps on generated data.

The loss is written exactly as in Haiku's quickstart, with `import sonnax as snx`.
Run: `python examples/quickstart.py --steps 100`.
"""

import argparse

import jax
import jax.numpy as jnp
import numpy as np
import optax

import sonnax as snx


def make_dataset(seed: int, num_examples: int = 1024) -> tuple[np.ndarray, np.ndarray]:
    """Ten Gaussian clusters in 784 dimensions, standing in for MNIST."""
    rng = np.random.default_rng(seed)
    centers = rng.normal(size=(10, 784)).astype(np.float32)
    labels = rng.integers(0, 10, size=num_examples)
    images = centers[labels] + 2.0 * rng.normal(size=(num_examples, 784)).astype(np.float32)
    return images, labels


def loss_fn(images: jax.Array, labels: jax.Array) -> jax.Array:
    mlp = snx.Sequential(
        [snx.Linear(300), jax.nn.relu, snx.Linear(100), jax.nn.relu, snx.Linear(10)]
    )
    logits = mlp(images)
    return optax.softmax_cross_entropy_with_integer_labels(logits, labels).mean()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--steps", type=int, default=100)
    parser.add_argument("--batch-size", type=int, default=128)
    parser.add_argument("--learning-rate", type=float, default=0.01)
    args = parser.parse_args()

    images, labels = make_dataset(seed=0)
    loss = snx.without_apply_rng(snx.transform(loss_fn))
    params = loss.init(jax.random.PRNGKey(42), images[:1], labels[:1])

    @jax.jit
    def sgd_step(params, images, labels):
        value, grads = jax.value_and_grad(loss.apply)(params, images, labels)
        params = jax.tree.map(lambda p, g: p - args.learning_rate * g, params, grads)
        return params, value

    for step in range(args.steps):
        start = (step * args.batch_size) % (len(images) - args.batch_size)
        batch = slice(start, start + args.batch_size)
        params, value = sgd_step(params, jnp.asarray(images[batch]), jnp.asarray(labels[batch]))
        if step % 10 == 0 or step == args.steps - 1:
            print(f"step {step:4d}  loss {float(value):.4f}")


if __name__ == "__main__":
    main()
