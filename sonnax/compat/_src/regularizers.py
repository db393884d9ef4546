"""Sonnet's regularizers: penalties computed from a list of arrays (usually weights)."""

from __future__ import annotations

import abc
from collections.abc import Sequence
from typing import Any

import jax
import jax.numpy as jnp


def _check_scale(scale: Any) -> Any:
    if scale < 0:
        raise ValueError(f"scale must be >=0, got {scale!r}")
    return scale


class Regularizer(abc.ABC):
    """Base class of regularizers: called on a sequence of arrays, returns a scalar."""

    @abc.abstractmethod
    def __call__(self, tensors: Sequence[jax.Array]) -> jax.Array:
        """Computes the regularization loss.

        Args:
          tensors: the arrays to regularize.

        Returns:
          The combined loss, a scalar.
        """


class L1(Regularizer):
    """`scale * sum(|t|)` over every element of every array."""

    def __init__(self, scale: float):
        """Creates the regularizer.

        Args:
          scale: the non-negative factor of the penalty.

        Raises:
          ValueError: if `scale` is negative.
        """
        self.scale = _check_scale(scale)

    def __repr__(self) -> str:
        return f"L1(scale={self.scale})"

    __str__ = __repr__

    def __call__(self, tensors: Sequence[jax.Array]) -> jax.Array:
        """See `Regularizer`; an empty sequence gives zero."""
        if not tensors:
            return jnp.zeros_like(self.scale)
        return self.scale * sum(jnp.sum(jnp.abs(t)) for t in tensors)


class L2(Regularizer):
    """`scale * sum(t ** 2)` over every element of every array (no factor 1/2)."""

    def __init__(self, scale: float):
        """Creates the regularizer.

        Args:
          scale: the non-negative factor of the penalty.

        Raises:
          ValueError: if `scale` is negative.
        """
        self.scale = _check_scale(scale)

    def __repr__(self) -> str:
        return f"L2(scale={self.scale})"

    __str__ = __repr__

    def __call__(self, tensors: Sequence[jax.Array]) -> jax.Array:
        """See `Regularizer`; an empty sequence gives zero."""
        if not tensors:
            return jnp.zeros_like(self.scale)
        return self.scale * sum(jnp.sum(jnp.square(t)) for t in tensors)


class OffDiagonalOrthogonal(Regularizer):
    """`scale` times the sum of the off-diagonal entries of `(W^T W) ** 2`.

    `W` is each array reshaped to `[-1, last_axis]`; arrays need rank >= 2
    (see https://arxiv.org/abs/1809.11096).
    """

    def __init__(self, scale: float):
        """Creates the regularizer.

        Args:
          scale: the non-negative factor of the penalty.

        Raises:
          ValueError: if `scale` is negative.
        """
        self.scale = _check_scale(scale)

    def __repr__(self) -> str:
        # Sonnet's own repr names the class `Orthogonal`.
        return f"Orthogonal(scale={self.scale})"

    __str__ = __repr__

    def __call__(self, tensors: Sequence[jax.Array]) -> jax.Array:
        """See `Regularizer`; an empty sequence gives zero.

        Raises:
          ValueError: if an array has rank below 2.
        """
        if not tensors:
            return jnp.zeros_like(self.scale)
        total = []
        for t in tensors:
            t = jnp.asarray(t)
            if t.ndim < 2:
                raise ValueError(
                    f"OffDiagonalOrthogonal: array has rank {t.ndim} (shape {t.shape}), "
                    "expected rank >= 2."
                )
            w = jnp.reshape(t, [-1, t.shape[-1]])
            gram_sq = jnp.square(w.T @ w)
            total.append(jnp.sum(gram_sq) - jnp.trace(gram_sq))
        return self.scale * sum(total)
