"""`Embed`: Sonnet's embedding lookup table."""

from __future__ import annotations

import math
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np

from sonnax._src.core import params, state
from sonnax.compat._src import base, initializers


class Embed(base.Module):
    """A `[vocab_size, embed_dim]` table `embeddings`, indexed by integer ids.

    The table is made when the module is constructed, as in Sonnet. With `trainable=False`
    it is state rather than a parameter. `densify_gradients` is accepted for Sonnet's
    signature; JAX's gradients are always dense.
    """

    def __init__(
        self,
        vocab_size: int | None = None,
        embed_dim: int | None = None,
        existing_vocab: Any = None,
        densify_gradients: bool = False,
        initializer: initializers.Initializer | None = None,
        trainable: bool = True,
        dtype: Any = jnp.float32,
        name: str | None = None,
    ):
        """Constructs the table.

        Args:
          vocab_size: the number of ids; inferred from `existing_vocab` if that is given.
          embed_dim: the embedding size; default `round(6 * vocab_size ** 0.25)`.
          existing_vocab: a `[vocab_size, embed_dim]` array to start from (then
            `vocab_size`, `embed_dim` and `initializer` must not be given).
          densify_gradients: no effect in JAX (kept for Sonnet's signature).
          initializer: initializer for the table; default `TruncatedNormal()`.
          trainable: whether the table is a parameter (else state).
          dtype: the table's dtype.
          name: the module's name.

        Raises:
          ValueError: if neither `vocab_size` nor `existing_vocab` is given, or both kinds.
        """
        super().__init__(name=name)
        if vocab_size is None and existing_vocab is None:
            raise ValueError("Must provide one of vocab_size or existing_vocab.")
        if existing_vocab is not None and (vocab_size or embed_dim or initializer):
            raise ValueError(
                "If `existing_vocab` is provided, none of `vocab_size`, `embedding_dim`, "
                "`initializer` are needed."
            )
        dtype = jnp.dtype(getattr(dtype, "as_numpy_dtype", dtype))
        init: initializers.Initializer | Any
        if existing_vocab is None:
            assert vocab_size is not None
            if embed_dim is None:
                embed_dim = embedding_dim(vocab_size)
            init = initializer if initializer is not None else initializers.TruncatedNormal()
        else:
            vocab = np.asarray(existing_vocab, dtype=dtype)
            vocab_size, embed_dim = vocab.shape

            def init(shape: Any, dtype: Any) -> jax.Array:
                del shape
                return jnp.asarray(vocab, dtype)

        self.vocab_size = vocab_size
        self.embed_dim = embed_dim
        self.densify_gradients = densify_gradients
        shape = (vocab_size, embed_dim)
        if trainable:
            self.embeddings = params.get_parameter("embeddings", shape, dtype, init=init)
        else:
            self.embeddings = state.get_state("embeddings", shape, dtype, init=init)

    def __call__(self, inputs: jax.Array) -> jax.Array:
        """Looks up `inputs`.

        Args:
          inputs: integer ids of any shape.

        Returns:
          Array of shape `inputs.shape + [embed_dim]`.
        """
        return jnp.take(self.embeddings, inputs, axis=0)


def embedding_dim(vocab_size: int) -> int:
    """Sonnet's rule of thumb for the embedding size: `round(6 * vocab_size ** 0.25)`.

    Args:
      vocab_size: the number of ids.

    Returns:
      The embedding size.

    Raises:
      ValueError: if `vocab_size` is not positive.
    """
    if not vocab_size or vocab_size <= 0:
        raise ValueError(f"Invalid vocab_size {vocab_size:g}.")
    return int(round(6.0 * math.sqrt(math.sqrt(vocab_size))))
