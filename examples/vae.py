"""A variational autoencoder on scikit-learn's bundled 8x8 digits, binarised.

The encoder maps an image to the mean and log standard deviation of a diagonal Gaussian over a
small latent code; a code drawn with the reparameterisation trick (`snx.next_rng_key`, so the
transformed function takes an rng) is decoded to per-pixel Bernoulli logits. Training minimises
the negative evidence lower bound (reconstruction cross-entropy plus the KL divergence to the
standard normal prior), in nats per image; lower is better.
Run: `python examples/vae.py` (2,000 steps by default: held-out negative ELBO about 19 nats,
against about 25 for independent pixels with the mean training image's probabilities).
"""

from typing import NamedTuple

import checkpointing
import digits
import jax
import jax.numpy as jnp
import numpy as np
import optax
import tqdm
from absl import app, flags

import sonnax as snx

_STEPS = flags.DEFINE_integer("steps", 2000, "Total number of training steps.")
_BATCH_SIZE = flags.DEFINE_integer("batch_size", 64, "Images per training step.")
_LATENT_SIZE = flags.DEFINE_integer("latent_size", 8, "Dimensions of the latent code.")
_HIDDEN_SIZE = flags.DEFINE_integer("hidden_size", 256, "Width of the encoder and decoder.")
_LEARNING_RATE = flags.DEFINE_float("learning_rate", 1e-3, "Adam learning rate.")
_LOG_EVERY = flags.DEFINE_integer("log_every", 250, "Steps between loss lines.")
_CHECKPOINT_EVERY = flags.DEFINE_integer("checkpoint_every", 500, "Steps between checkpoints.")
_WORKDIR = flags.DEFINE_string("workdir", "/tmp/sonnax_vae", "Where checkpoints are written.")
_RESTORE = flags.DEFINE_bool("restore", False, "Resume from the checkpoint in --workdir.")
_SEED = flags.DEFINE_integer("seed", 0, "Seed for the initial params, batches and codes.")


class VAEOutput(NamedTuple):
    logits: jax.Array  # Bernoulli logits of each pixel, shaped like the images.
    mean: jax.Array  # The encoder's Gaussian over codes, [N, latent_size] each.
    log_std: jax.Array


class VAE(snx.Module):
    def __init__(self, latent_size: int, hidden_size: int, name: str | None = None):
        super().__init__(name=name)
        self.latent_size = latent_size
        self.hidden_size = hidden_size

    def __call__(self, images: jax.Array) -> VAEOutput:
        mean, log_std = self.encode(images)
        code = mean + jnp.exp(log_std) * jax.random.normal(snx.next_rng_key(), mean.shape)
        return VAEOutput(self.decode(code).reshape(images.shape), mean, log_std)

    def encode(self, images: jax.Array) -> tuple[jax.Array, jax.Array]:
        hidden = snx.nets.MLP([self.hidden_size], activate_final=True, name="encoder")
        features = hidden(snx.Flatten()(images))
        statistics = snx.Linear(2 * self.latent_size, name="statistics")(features)
        return statistics[:, : self.latent_size], statistics[:, self.latent_size :]

    def decode(self, code: jax.Array) -> jax.Array:
        return snx.nets.MLP([self.hidden_size, 64], name="decoder")(code)


def negative_elbo(images: jax.Array) -> jax.Array:
    """The mean over the batch of -ELBO, for one code sample per image."""
    out = VAE(_LATENT_SIZE.value, _HIDDEN_SIZE.value)(images)
    reconstruction = optax.sigmoid_binary_cross_entropy(out.logits, images).sum(axis=(1, 2, 3))
    variance = jnp.exp(2 * out.log_std)
    kl = 0.5 * jnp.sum(variance + out.mean**2 - 1 - 2 * out.log_std, axis=-1)
    return jnp.mean(reconstruction + kl)


def mean_image_score(train: np.ndarray, test: np.ndarray) -> float:
    """-log p of the test images under independent pixels with the training set's means."""
    p = np.clip(train.mean(axis=0), 1e-3, 1 - 1e-3)
    cross_entropy = -(test * np.log(p) + (1 - test) * np.log(1 - p))
    return float(cross_entropy.sum(axis=(1, 2, 3)).mean())


def binarised(split: digits.Split) -> digits.Split:
    """Pixels at half intensity or more become 1, the rest 0: images a Bernoulli can fit."""
    return split._replace(images=(split.images >= 0.5).astype(np.float32))


def main(argv: list[str]) -> None:
    del argv
    train, test = map(binarised, digits.load())
    model = snx.transform(negative_elbo)
    optimizer = optax.adam(_LEARNING_RATE.value)

    @jax.jit
    def update(params, opt_state, rng, images):
        loss, grads = jax.value_and_grad(model.apply)(params, rng, images)
        updates, opt_state = optimizer.update(grads, opt_state)
        return optax.apply_updates(params, updates), opt_state, loss

    # The same code samples at every evaluation, so the numbers compare across steps.
    test_loss = jax.jit(lambda params: model.apply(params, jax.random.PRNGKey(1), test.images))

    def init():
        params = model.init(jax.random.PRNGKey(_SEED.value), train.images[:1])
        return params, None, optimizer.init(params)

    start, params, _, opt_state = checkpointing.init_or_restore(
        _WORKDIR.value, init, resume=_RESTORE.value
    )
    code_key = jax.random.PRNGKey(_SEED.value + 1)
    for step in tqdm.tqdm(range(start, _STEPS.value), initial=start, total=_STEPS.value):
        batch = np.random.default_rng([_SEED.value, step]).choice(
            len(train.images), _BATCH_SIZE.value, replace=False
        )
        rng = jax.random.fold_in(code_key, step)
        params, opt_state, loss = update(params, opt_state, rng, train.images[batch])
        done = step + 1
        if done % _LOG_EVERY.value == 0 or done == _STEPS.value:
            held_out = float(test_loss(params))
            tqdm.tqdm.write(f"step {done:5d}  loss {float(loss):.4f}  test_neg_elbo {held_out:.4f}")
        if done % _CHECKPOINT_EVERY.value == 0 or done == _STEPS.value:
            checkpointing.save(_WORKDIR.value, done, params, None, opt_state)
    baseline = mean_image_score(train.images, test.images)
    print(
        f"final test_neg_elbo {float(test_loss(params)):.4f} ({_STEPS.value} steps; "
        f"the mean training image scores {baseline:.4f})"
    )


if __name__ == "__main__":
    app.run(main)
