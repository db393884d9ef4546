"""Sonnet's VQ-VAE quantizers (van den Oord et al., https://arxiv.org/abs/1711.00937)."""

from __future__ import annotations

from typing import Any

import jax
import jax.numpy as jnp

from sonnax._src.core import params, state
from sonnax.compat._src import base, initializers, moving_averages


def _quantize_outputs(
    inputs: jax.Array, embeddings: jax.Array, embedding_dim: int, num_embeddings: int
) -> dict[str, jax.Array]:
    """Distances, nearest codes and their one-hot encodings, shared by both quantizers."""
    flat_inputs = jnp.reshape(inputs, [-1, embedding_dim])
    distances = (
        jnp.sum(flat_inputs**2, 1, keepdims=True)
        - 2 * jnp.matmul(flat_inputs, embeddings)
        + jnp.sum(embeddings**2, 0, keepdims=True)
    )
    flat_indices = jnp.argmax(-distances, 1)
    encodings = jax.nn.one_hot(flat_indices, num_embeddings, dtype=distances.dtype)
    return {
        "flat_inputs": flat_inputs,
        "distances": distances,
        "encodings": encodings,
        "encoding_indices": jnp.reshape(flat_indices, inputs.shape[:-1]),
    }


def _perplexity(encodings: jax.Array) -> jax.Array:
    avg_probs = jnp.mean(encodings, 0)
    return jnp.exp(-jnp.sum(avg_probs * jnp.log(avg_probs + 1e-10)))


def _lookup(embeddings: jax.Array, encoding_indices: jax.Array) -> jax.Array:
    return jnp.take(jnp.transpose(embeddings, [1, 0]), encoding_indices, axis=0)


class VectorQuantizer(base.Module):
    """Quantizes each vector on the last axis to its nearest of `num_embeddings` codes.

    The codebook is the parameter `embeddings` `[embedding_dim, num_embeddings]`, learned
    through the loss `q_latent_loss + commitment_cost * e_latent_loss`; gradients reach
    the inputs through the straight-through estimator.

    Attributes:
      embedding_dim: the size of the vectors quantized (the inputs' last axis).
      num_embeddings: the number of codes.
      commitment_cost: the weight of the commitment loss (beta in the paper).
    """

    def __init__(
        self,
        embedding_dim: int,
        num_embeddings: int,
        commitment_cost: Any,
        dtype: Any = jnp.float32,
        name: str = "vector_quantizer",
    ):
        """Creates the codebook.

        Args:
          embedding_dim: the size of the vectors quantized (the inputs' last axis).
          num_embeddings: the number of codes.
          commitment_cost: the weight of the commitment loss (beta in the paper).
          dtype: the dtype of `embeddings`.
          name: the module's name.
        """
        super().__init__(name=name)
        self.embedding_dim = embedding_dim
        self.num_embeddings = num_embeddings
        self.commitment_cost = commitment_cost
        self._dtype = dtype
        self._codebook()  # Made here, as Sonnet makes its variable in `__init__`.

    def _codebook(self) -> jax.Array:
        # Read again at each use: a module may serve several runs (`functional.variables`).
        return params.get_parameter(
            "embeddings",
            [self.embedding_dim, self.num_embeddings],
            self._dtype,
            init=initializers.VarianceScaling(distribution="uniform"),
        )

    @property
    def embeddings(self) -> jax.Array:
        """The codebook, `[embedding_dim, num_embeddings]` (a parameter)."""
        return self._codebook()

    def __call__(self, inputs: jax.Array, is_training: Any) -> dict[str, jax.Array]:
        """Quantizes `inputs`.

        Args:
          inputs: array whose last axis has size `embedding_dim`; the other axes are
            flattened into one batch.
          is_training: unused (kept for Sonnet's signature).

        Returns:
          A dict: `quantize` (the quantized inputs, shaped as `inputs`), `loss`,
          `perplexity`, `encodings` (one-hot, `[batch, num_embeddings]`),
          `encoding_indices` (int32, `inputs.shape[:-1]`) and `distances`.
        """
        del is_training
        found = _quantize_outputs(inputs, self.embeddings, self.embedding_dim, self.num_embeddings)
        quantized = self.quantize(found["encoding_indices"])
        e_latent_loss = jnp.mean((jax.lax.stop_gradient(quantized) - inputs) ** 2)
        q_latent_loss = jnp.mean((quantized - jax.lax.stop_gradient(inputs)) ** 2)
        loss = q_latent_loss + self.commitment_cost * e_latent_loss
        quantized = inputs + jax.lax.stop_gradient(quantized - inputs)
        return {
            "quantize": quantized,
            "loss": loss,
            "perplexity": _perplexity(found["encodings"]),
            "encodings": found["encodings"],
            "encoding_indices": found["encoding_indices"],
            "distances": found["distances"],
        }

    def quantize(self, encoding_indices: jax.Array) -> jax.Array:
        """The codes for a batch of indices, shaped `encoding_indices.shape + [embedding_dim]`."""
        return _lookup(self.embeddings, encoding_indices)


class VectorQuantizerEMA(base.Module):
    """`VectorQuantizer` whose codebook follows exponential moving averages of the inputs
    assigned to each code, rather than a loss (so it is independent of the optimizer).

    The codebook `embeddings` is state, as are the moving averages `ema_cluster_size`
    (codes' counts) and `ema_dw` (sums of the inputs assigned to each code); all are
    updated when `is_training`.

    Attributes:
      embedding_dim: the size of the vectors quantized (the inputs' last axis).
      num_embeddings: the number of codes.
      commitment_cost: the weight of the commitment loss.
      decay: the decay of the moving averages.
      epsilon: the Laplace smoothing of the counts.
    """

    def __init__(
        self,
        embedding_dim: int,
        num_embeddings: int,
        commitment_cost: Any,
        decay: Any,
        epsilon: Any = 1e-5,
        dtype: Any = jnp.float32,
        name: str = "vector_quantizer_ema",
    ):
        """Creates the codebook and its moving averages.

        Args:
          embedding_dim: the size of the vectors quantized (the inputs' last axis).
          num_embeddings: the number of codes.
          commitment_cost: the weight of the commitment loss (beta in the paper).
          decay: the decay of the moving averages, in `[0, 1]`.
          epsilon: the Laplace smoothing of the counts (for numerical stability).
          dtype: the dtype of `embeddings` and the averages.
          name: the module's name.

        Raises:
          ValueError: `decay` is outside `[0, 1]`.
        """
        super().__init__(name=name)
        self.embedding_dim = embedding_dim
        self.num_embeddings = num_embeddings
        if not 0 <= decay <= 1:
            raise ValueError(f"decay must be in range [0, 1], got {decay} ({self.module_name!r}).")
        self.decay = decay
        self.commitment_cost = commitment_cost
        self.epsilon = epsilon
        self._dtype = dtype
        self.ema_cluster_size = moving_averages.ExponentialMovingAverage(
            decay=self.decay, name="ema_cluster_size"
        )
        self.ema_cluster_size.initialize(jnp.zeros([num_embeddings], dtype=dtype))
        self.ema_dw = moving_averages.ExponentialMovingAverage(decay=self.decay, name="ema_dw")
        self.ema_dw.initialize(self.embeddings)

    @property
    def embeddings(self) -> jax.Array:
        """The codebook, `[embedding_dim, num_embeddings]` (state, moved by the averages)."""
        return self._codebook()

    def _codebook(self) -> jax.Array:
        # Read from the current state at each use, never kept on the instance.
        return state.get_state(
            "embeddings",
            [self.embedding_dim, self.num_embeddings],
            self._dtype,
            init=initializers.VarianceScaling(distribution="uniform"),
        )

    def __call__(self, inputs: jax.Array, is_training: bool) -> dict[str, jax.Array]:
        """Quantizes `inputs`, and when training moves the codebook towards them.

        Args:
          inputs: array whose last axis has size `embedding_dim`; the other axes are
            flattened into one batch.
          is_training: whether to update the moving averages and the codebook (a Python
            bool).

        Returns:
          A dict: `quantize` (the quantized inputs, shaped as `inputs`), `loss`,
          `perplexity`, `encodings` (one-hot, `[batch, num_embeddings]`),
          `encoding_indices` (int32, `inputs.shape[:-1]`) and `distances`.
        """
        found = _quantize_outputs(inputs, self.embeddings, self.embedding_dim, self.num_embeddings)
        encodings = found["encodings"]
        quantized = self.quantize(found["encoding_indices"])
        e_latent_loss = jnp.mean((jax.lax.stop_gradient(quantized) - inputs) ** 2)
        if is_training:
            updated_ema_cluster_size = self.ema_cluster_size(jnp.sum(encodings, axis=0))
            dw = jnp.matmul(jnp.transpose(found["flat_inputs"]), encodings)
            updated_ema_dw = self.ema_dw(dw)
            n = jnp.sum(updated_ema_cluster_size)
            updated_ema_cluster_size = (
                (updated_ema_cluster_size + self.epsilon)
                / (n + self.num_embeddings * self.epsilon)
                * n
            )
            codebook = updated_ema_dw / jnp.reshape(updated_ema_cluster_size, [1, -1])
            state.set_state("embeddings", codebook)
        loss = self.commitment_cost * e_latent_loss
        quantized = inputs + jax.lax.stop_gradient(quantized - inputs)
        return {
            "quantize": quantized,
            "loss": loss,
            "perplexity": _perplexity(encodings),
            "encodings": encodings,
            "encoding_indices": found["encoding_indices"],
            "distances": found["distances"],
        }

    def quantize(self, encoding_indices: jax.Array) -> jax.Array:
        """The codes for a batch of indices, shaped `encoding_indices.shape + [embedding_dim]`."""
        return _lookup(self.embeddings, encoding_indices)
