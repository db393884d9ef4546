"""An MNIST-style classifier (an MLP or a small convnet) on scikit-learn's bundled digits.

The 1,797 8x8 digit images ship with scikit-learn, so nothing is downloaded. The model is a
plain function of the images, transformed with `snx.transform` and trained with optax's Adam;
every `--checkpoint_every` steps params and optimizer state are saved to `--workdir`, and
`--restore` carries on from the last checkpoint.
Run: `python examples/mnist.py --model convnet` (1,500 steps by default: about 99% test accuracy).
"""

import checkpointing
import digits
import jax
import jax.numpy as jnp
import numpy as np
import optax
import tqdm
from absl import app, flags

import sonnax as snx

_MODEL = flags.DEFINE_enum("model", "mlp", ["mlp", "convnet"], "Which classifier to train.")
_STEPS = flags.DEFINE_integer("steps", 1500, "Total number of training steps.")
_BATCH_SIZE = flags.DEFINE_integer("batch_size", 64, "Images per training step.")
_LEARNING_RATE = flags.DEFINE_float("learning_rate", 1e-3, "Adam learning rate.")
_LOG_EVERY = flags.DEFINE_integer("log_every", 250, "Steps between loss/accuracy lines.")
_CHECKPOINT_EVERY = flags.DEFINE_integer("checkpoint_every", 500, "Steps between checkpoints.")
_WORKDIR = flags.DEFINE_string("workdir", "/tmp/sonnax_mnist", "Where checkpoints are written.")
_RESTORE = flags.DEFINE_bool("restore", False, "Resume from the checkpoint in --workdir.")
_SEED = flags.DEFINE_integer("seed", 0, "Seed for the initial params and the batches.")


def mlp(images: jax.Array) -> jax.Array:
    return snx.nets.MLP([300, 100, 10])(snx.Flatten()(images))


def convnet(images: jax.Array) -> jax.Array:
    net = snx.Sequential(
        [
            snx.Conv2D(32, kernel_shape=3),
            jax.nn.relu,
            snx.Conv2D(64, kernel_shape=3, stride=2),
            jax.nn.relu,
            snx.Flatten(),
            snx.Linear(128),
            jax.nn.relu,
            snx.Linear(10),
        ]
    )
    return net(images)


def batch_indices(step: int, num_examples: int) -> np.ndarray:
    """The batch of a step depends only on the seed and the step, so a resumed run sees the same."""
    rng = np.random.default_rng([_SEED.value, step])
    return rng.choice(num_examples, _BATCH_SIZE.value, replace=False)


def main(argv: list[str]) -> None:
    del argv
    (train_images, train_labels), (test_images, test_labels) = digits.load()
    model = snx.without_apply_rng(snx.transform(mlp if _MODEL.value == "mlp" else convnet))
    optimizer = optax.adam(_LEARNING_RATE.value)

    def loss_fn(params, images, labels):
        logits = model.apply(params, images)
        return optax.softmax_cross_entropy_with_integer_labels(logits, labels).mean()

    @jax.jit
    def update(params, opt_state, images, labels):
        loss, grads = jax.value_and_grad(loss_fn)(params, images, labels)
        updates, opt_state = optimizer.update(grads, opt_state)
        return optax.apply_updates(params, updates), opt_state, loss

    @jax.jit
    def accuracy(params, images, labels):
        return jnp.mean(jnp.argmax(model.apply(params, images), axis=-1) == labels)

    def init():
        params = model.init(jax.random.PRNGKey(_SEED.value), train_images[:1])
        return params, None, optimizer.init(params)

    start, params, _, opt_state = checkpointing.init_or_restore(
        _WORKDIR.value, init, resume=_RESTORE.value
    )

    for step in tqdm.tqdm(range(start, _STEPS.value), initial=start, total=_STEPS.value):
        batch = batch_indices(step, len(train_images))
        params, opt_state, loss = update(
            params, opt_state, train_images[batch], train_labels[batch]
        )
        done = step + 1
        if done % _LOG_EVERY.value == 0 or done == _STEPS.value:
            test_accuracy = accuracy(params, test_images, test_labels)
            tqdm.tqdm.write(
                f"step {done:5d}  loss {float(loss):.4f}  test_accuracy {float(test_accuracy):.4f}"
            )
        if done % _CHECKPOINT_EVERY.value == 0 or done == _STEPS.value:
            checkpointing.save(_WORKDIR.value, done, params, None, opt_state)
    final = accuracy(params, test_images, test_labels)
    print(f"final test_accuracy {float(final):.4f} ({_MODEL.value}, {_STEPS.value} steps)")


if __name__ == "__main__":
    app.run(main)
