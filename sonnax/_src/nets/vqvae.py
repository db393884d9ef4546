"""`VectorQuantizer` and `VectorQuantizerEMA`: the VQ-VAE bottleneck (van den Oord et al.)."""

from __future__ import annotations

from typing import Any

import jax
import jax.numpy as jnp

from sonnax._src import initializers
from sonnax._src.core import module, params, state
from sonnax._src.layers import moving_averages


def _embeddings_init() -> initializers.VarianceScaling:
    return initializers.VarianceScaling(distribution="uniform")


def _nearest(flat_inputs: jax.Array, embeddings: jax.Array, again: jax.Array, size: int):
    """Squared distances to every codebook column, the nearest index and its one-hot.

    The codebook comes twice because Haiku's `VectorQuantizer` reads its parameter twice
    here, and custom getters see each read.
    """
    distances = (
        jnp.sum(jnp.square(flat_inputs), 1, keepdims=True)
        - 2 * jnp.matmul(flat_inputs, embeddings)
        + jnp.sum(jnp.square(again), 0, keepdims=True)
    )
    indices = jnp.argmax(-distances, 1)
    return distances, indices, jax.nn.one_hot(indices, size, dtype=distances.dtype)


def _lookup(embeddings: jax.Array, encoding_indices: jax.Array) -> jax.Array:
    # `device_put` turns a NumPy codebook (e.g. restored params) into a JAX array first.
    return jax.device_put(embeddings.swapaxes(1, 0))[(encoding_indices,)]


def _outputs(
    inputs: jax.Array,
    quantized: jax.Array,
    loss: jax.Array,
    distances: jax.Array,
    encodings: jax.Array,
    encoding_indices: jax.Array,
    cross_replica_axis: str | None,
) -> dict[str, jax.Array]:
    """The output dict shared by both quantizers (straight-through `quantize`)."""
    avg_probs = jnp.mean(encodings, 0)
    if cross_replica_axis:
        avg_probs = jax.lax.pmean(avg_probs, axis_name=cross_replica_axis)
    return {
        "quantize": inputs + jax.lax.stop_gradient(quantized - inputs),
        "loss": loss,
        "perplexity": jnp.exp(-jnp.sum(avg_probs * jnp.log(avg_probs + 1e-10))),
        "encodings": encodings,
        "encoding_indices": encoding_indices,
        "distances": distances,
    }


class VectorQuantizer(module.Module):
    """Maps each vector on the last axis to its nearest entry of a learned codebook.

    The codebook is the parameter `embeddings` of shape `[embedding_dim, num_embeddings]`
    (Haiku's `VarianceScaling(distribution="uniform")` init). Leading axes are flattened
    into one batch. The loss is `q_latent_loss + commitment_cost * e_latent_loss`, and
    `quantize` passes gradients straight through to the inputs.

    >>> import sonnax as hk
    >>> import jax, jax.numpy as jnp
    >>> f = hk.transform(lambda x: hk.nets.VectorQuantizer(4, 8, 0.25)(x, is_training=True))
    >>> params = f.init(jax.random.PRNGKey(0), jnp.ones([2, 4]))
    >>> jax.tree.map(jnp.shape, params)
    {'vector_quantizer': {'embeddings': (4, 8)}}
    """

    def __init__(
        self,
        embedding_dim: int,
        num_embeddings: int,
        commitment_cost: float,
        dtype: Any = jnp.float32,
        name: str | None = None,
        cross_replica_axis: str | None = None,
    ):
        """Constructs the quantizer.

        Args:
          embedding_dim: size of each codebook vector (the inputs' last axis).
          num_embeddings: number of codebook vectors.
          commitment_cost: the weight of the encoder (commitment) loss, beta in the paper.
          dtype: dtype of the codebook.
          name: the module's name.
          cross_replica_axis: a `pmap` axis name; when set, perplexity is averaged across it.
        """
        super().__init__(name=name)
        self.embedding_dim = embedding_dim
        self.num_embeddings = num_embeddings
        self.commitment_cost = commitment_cost
        self.cross_replica_axis = cross_replica_axis
        self._embedding_shape = [embedding_dim, num_embeddings]
        self._embedding_dtype = dtype

    @property
    def embeddings(self) -> jax.Array:
        """The codebook parameter, `[embedding_dim, num_embeddings]`."""
        return params.get_parameter(
            "embeddings", self._embedding_shape, self._embedding_dtype, init=_embeddings_init()
        )

    def __call__(self, inputs: jax.Array, is_training: bool) -> dict[str, jax.Array]:
        """Quantizes `inputs`.

        Args:
          inputs: an array whose last axis has size `embedding_dim`.
          is_training: unused (kept for Haiku's signature).

        Returns:
          A dict with `quantize` (inputs' shape), `loss`, `perplexity`, `encodings`
          (one-hot, `[batch, num_embeddings]`), `encoding_indices` (inputs' leading
          shape) and `distances` (`[batch, num_embeddings]`).
        """
        del is_training
        flat_inputs = jnp.reshape(inputs, [-1, self.embedding_dim])
        distances, indices, encodings = _nearest(
            flat_inputs, self.embeddings, self.embeddings, self.num_embeddings
        )
        encoding_indices = jnp.reshape(indices, inputs.shape[:-1])
        quantized = self.quantize(encoding_indices)
        e_latent_loss = jnp.mean(jnp.square(jax.lax.stop_gradient(quantized) - inputs))
        q_latent_loss = jnp.mean(jnp.square(quantized - jax.lax.stop_gradient(inputs)))
        loss = q_latent_loss + self.commitment_cost * e_latent_loss
        return _outputs(
            inputs, quantized, loss, distances, encodings, encoding_indices, self.cross_replica_axis
        )

    def quantize(self, encoding_indices: jax.Array) -> jax.Array:
        """The codebook vectors at `encoding_indices` (shape `indices.shape + [embedding_dim]`)."""
        return _lookup(self.embeddings, encoding_indices)


class VectorQuantizerEMA(module.Module):
    """A `VectorQuantizer` whose codebook follows moving averages instead of a loss.

    The codebook is the state `embeddings`, `[embedding_dim, num_embeddings]`; in training
    it is reset to the (epsilon-smoothed) ratio of two `ExponentialMovingAverage`s, of
    the assigned inputs' sum (`ema_dw`) and of the cluster sizes (`ema_cluster_size`).
    The loss is only `commitment_cost * e_latent_loss`.

    >>> import sonnax as hk
    >>> import jax, jax.numpy as jnp
    >>> vq = lambda x: hk.nets.VectorQuantizerEMA(4, 8, 0.25, decay=0.99)(x, is_training=True)
    >>> f = hk.transform_with_state(vq)
    >>> _, state = f.init(jax.random.PRNGKey(0), jnp.ones([2, 4]))
    >>> jax.tree.map(jnp.shape, state)["vector_quantizer_ema/~/ema_dw"]
    {'average': (4, 8), 'counter': (), 'hidden': (4, 8)}
    """

    def __init__(
        self,
        embedding_dim: int,
        num_embeddings: int,
        commitment_cost: float,
        decay: float,
        epsilon: float = 1e-5,
        dtype: Any = jnp.float32,
        cross_replica_axis: str | None = None,
        name: str | None = None,
    ):
        """Constructs the quantizer and its two moving averages.

        Args:
          embedding_dim: size of each codebook vector (the inputs' last axis).
          num_embeddings: number of codebook vectors.
          commitment_cost: the weight of the encoder (commitment) loss, beta in the paper.
          decay: the moving averages' decay, in `[0, 1]`.
          epsilon: smoothing of the cluster sizes, for numerical stability.
          dtype: dtype of the codebook and the averages.
          cross_replica_axis: a `pmap` axis name; when set, cluster statistics are summed
            and perplexity averaged across it.
          name: the module's name.

        Raises:
          ValueError: `decay` is outside `[0, 1]`.
        """
        super().__init__(name=name)
        if not 0 <= decay <= 1:
            raise ValueError(
                f"decay must be in range [0, 1]: {self.module_name} got decay={decay!r}."
            )
        self.embedding_dim = embedding_dim
        self.num_embeddings = num_embeddings
        self.decay = decay
        self.commitment_cost = commitment_cost
        self.epsilon = epsilon
        self.cross_replica_axis = cross_replica_axis
        self._embedding_shape = [embedding_dim, num_embeddings]
        self._dtype = dtype
        self._ema_cluster_size = moving_averages.ExponentialMovingAverage(
            decay=self.decay, name="ema_cluster_size"
        )
        self._ema_dw = moving_averages.ExponentialMovingAverage(decay=self.decay, name="ema_dw")

    @property
    def embeddings(self) -> jax.Array:
        """The codebook state, `[embedding_dim, num_embeddings]`."""
        return state.get_state(
            "embeddings", self._embedding_shape, self._dtype, init=_embeddings_init()
        )

    @property
    def ema_cluster_size(self) -> moving_averages.ExponentialMovingAverage:
        """The moving average of how many inputs each codebook vector is assigned."""
        self._ema_cluster_size.initialize([self.num_embeddings], self._dtype)
        return self._ema_cluster_size

    @property
    def ema_dw(self) -> moving_averages.ExponentialMovingAverage:
        """The moving average of the sum of the inputs assigned to each codebook vector."""
        self._ema_dw.initialize(self._embedding_shape, self._dtype)
        return self._ema_dw

    def __call__(self, inputs: jax.Array, is_training: bool) -> dict[str, jax.Array]:
        """Quantizes `inputs`, updating the codebook when training.

        Args:
          inputs: an array whose last axis has size `embedding_dim`.
          is_training: whether to update the moving averages and the codebook.

        Returns:
          The dict `VectorQuantizer` returns.
        """
        flat_inputs = jnp.reshape(inputs, [-1, self.embedding_dim])
        embeddings = self.embeddings
        distances, indices, encodings = _nearest(
            flat_inputs, embeddings, embeddings, self.num_embeddings
        )
        encoding_indices = jnp.reshape(indices, inputs.shape[:-1])
        quantized = self.quantize(encoding_indices)
        e_latent_loss = jnp.mean(jnp.square(jax.lax.stop_gradient(quantized) - inputs))
        if is_training:
            _update_codebook(self, flat_inputs, encodings)
        loss = self.commitment_cost * e_latent_loss
        return _outputs(
            inputs, quantized, loss, distances, encodings, encoding_indices, self.cross_replica_axis
        )

    def quantize(self, encoding_indices: jax.Array) -> jax.Array:
        """The codebook vectors at `encoding_indices` (shape `indices.shape + [embedding_dim]`)."""
        return _lookup(self.embeddings, encoding_indices)


def _update_codebook(vq: VectorQuantizerEMA, flat_inputs: jax.Array, encodings: jax.Array) -> None:
    # A function, not a method: a method would be one more call seen by interceptors.
    cluster_size = jnp.sum(encodings, axis=0)
    dw = jnp.matmul(flat_inputs.T, encodings)
    if vq.cross_replica_axis:
        cluster_size = jax.lax.psum(cluster_size, axis_name=vq.cross_replica_axis)
        dw = jax.lax.psum(dw, axis_name=vq.cross_replica_axis)
    updated_cluster_size = vq.ema_cluster_size(cluster_size)
    updated_dw = vq.ema_dw(dw)
    n = jnp.sum(updated_cluster_size)
    smoothed = (updated_cluster_size + vq.epsilon) / (n + vq.num_embeddings * vq.epsilon) * n
    state.set_state("embeddings", updated_dw / jnp.reshape(smoothed, [1, -1]))
