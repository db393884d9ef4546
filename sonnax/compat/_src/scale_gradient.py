"""`scale_gradient`: the identity, with its gradient multiplied by `scale`."""

from __future__ import annotations

from typing import Any

import jax
import jax.numpy as jnp


@jax.custom_vjp
def _scale_gradient(t: jax.Array, scale: jax.Array) -> jax.Array:
    return t


def _scale_gradient_fwd(t: jax.Array, scale: jax.Array) -> tuple[jax.Array, jax.Array]:
    return t, scale


def _scale_gradient_bwd(scale: jax.Array, dy: jax.Array) -> tuple[jax.Array, jax.Array]:
    # Like Sonnet, `scale` itself gets no gradient.
    return (scale * dy).astype(dy.dtype), jnp.zeros_like(scale)


_scale_gradient.defvjp(_scale_gradient_fwd, _scale_gradient_bwd)


def scale_gradient(t: jax.Array, scale: Any) -> jax.Array:
    """Returns `t` unchanged; in the backward pass its gradient is multiplied by `scale`.

    Args:
      t: an array.
      scale: a scalar (Python number or array) multiplying the gradient.

    Returns:
      `t`.
    """
    t = jnp.asarray(t)
    return _scale_gradient(t, jnp.asarray(scale, t.dtype))
