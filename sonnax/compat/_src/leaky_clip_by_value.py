"""`leaky_clip_by_value`: clips values, but lets gradients lead back into the range."""

from __future__ import annotations

from typing import Any

import jax
import jax.numpy as jnp


@jax.custom_vjp
def _leaky_clip(t: jax.Array, clip_value_min: Any, clip_value_max: Any) -> jax.Array:
    return jnp.clip(t, clip_value_min, clip_value_max)


def _leaky_clip_fwd(t: jax.Array, clip_value_min: Any, clip_value_max: Any) -> Any:
    return _leaky_clip(t, clip_value_min, clip_value_max), (t, clip_value_min, clip_value_max)


def _leaky_clip_bwd(residuals: Any, dy: jax.Array) -> tuple[jax.Array, Any, Any]:
    t, clip_value_min, clip_value_max = residuals
    # Below the range, a descent step (-dy) would only push `t` lower when dy > 0; above
    # it, higher when dy < 0. Those gradients are dropped; the rest pass through, as in
    # Sonnet. The bounds get no gradient (Sonnet returns `None` for them).
    blocked = ((t < clip_value_min) & (dy > 0)) | ((t > clip_value_max) & (dy < 0))
    return (
        jnp.where(blocked, jnp.zeros_like(dy), dy),
        jax.tree_util.tree_map(jnp.zeros_like, clip_value_min),
        jax.tree_util.tree_map(jnp.zeros_like, clip_value_max),
    )


_leaky_clip.defvjp(_leaky_clip_fwd, _leaky_clip_bwd)


def leaky_clip_by_value(
    t: jax.Array, clip_value_min: Any, clip_value_max: Any, name: str | None = None
) -> jax.Array:
    """Clips `t` to `[clip_value_min, clip_value_max]` with a leaky gradient.

    Where `t` is inside the range the gradient passes unchanged. Where `t` is outside it,
    the gradient passes only if a gradient-descent step moves `t` towards the range.

    Args:
      t: the array to clip.
      clip_value_min: the lower bound (scalar or broadcastable to `t`).
      clip_value_max: the upper bound (scalar or broadcastable to `t`).
      name: unused (TF's op name).

    Returns:
      The clipped array.
    """
    del name
    t = jnp.asarray(t)
    return _leaky_clip(
        t, jnp.asarray(clip_value_min, t.dtype), jnp.asarray(clip_value_max, t.dtype)
    )
