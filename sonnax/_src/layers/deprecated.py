"""`one_hot` and `multinomial`: deprecated in Haiku, kept so Haiku programs still run.

New code should call `jax.nn.one_hot` and `jax.random.categorical` directly.
"""

from __future__ import annotations

from typing import Any

import jax
import jax.numpy as jnp

from sonnax._src.typing import PRNGKey


def one_hot(x: jax.Array, num_classes: int, dtype: Any = jnp.float32) -> jax.Array:
    """One-hot encodes integer indices (deprecated: use `jax.nn.one_hot`).

    Same as `jax.nn.one_hot(x, num_classes).astype(dtype)`, as in Haiku.

    >>> import sonnax as hk
    >>> import jax.numpy as jnp
    >>> hk.one_hot(jnp.array([0, 2]), 3)
    Array([[1., 0., 0.],
           [0., 0., 1.]], dtype=float32)

    Args:
      x: integer indices of any shape.
      num_classes: the size of the new last dimension.
      dtype: the result's dtype.

    Returns:
      An array of shape `x.shape + (num_classes,)`.
    """
    return jax.nn.one_hot(x, num_classes).astype(dtype)


def multinomial(rng: PRNGKey, logits: jax.Array, num_samples: int) -> jax.Array:
    """Draws category indices from logits (deprecated: use `jax.random.categorical`).

    Draws the same samples as Haiku's `multinomial` for the same key.

    >>> import sonnax as hk
    >>> import jax, jax.numpy as jnp
    >>> hk.multinomial(jax.random.PRNGKey(0), jnp.zeros([2, 5]), num_samples=3).shape
    (2, 3)

    Args:
      rng: the key.
      logits: unnormalised log-probabilities, categories on the last axis.
      num_samples: how many samples per row of logits.

    Returns:
      Integer samples of shape `logits.shape[:-1] + (num_samples,)`.
    """
    if num_samples == 1:
        return jax.random.categorical(rng, logits)[..., None]
    samples = jax.random.categorical(rng, logits, shape=(num_samples, *logits.shape[:-1]))
    return jnp.moveaxis(samples, 0, -1)
