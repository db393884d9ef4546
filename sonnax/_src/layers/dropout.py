"""`dropout`: zero random elements and rescale the rest."""

from __future__ import annotations

from collections.abc import Sequence

import jax
import jax.numpy as jnp

from sonnax._src.typing import PRNGKey


def dropout(
    rng: PRNGKey,
    rate: float | jax.Array,
    x: jax.Array,
    broadcast_dims: Sequence[int] = (),
) -> jax.Array:
    """Sets each element of `x` to zero with probability `rate`, scaling the rest.

    Kept elements are divided by `1 - rate`, so the expectation is unchanged.
    The mask is drawn exactly as Haiku draws it (one `jax.random.bernoulli` of
    the mask's shape), so the same key drops the same elements. A Python float
    `rate` draws 32-bit uniforms; a lower-precision `rate` (e.g.
    `np.float16(0.1)`) draws cheaper ones.

    >>> import sonnax as hk
    >>> import jax, jax.numpy as jnp
    >>> y = hk.dropout(jax.random.PRNGKey(0), 0.5, jnp.ones([2, 3]), broadcast_dims=[0])
    >>> bool((y[0] == y[1]).all()), set(y.ravel().tolist()) <= {0.0, 2.0}
    (True, True)

    Args:
      rng: the key for the mask.
      rate: the probability of dropping each element, in `[0, 1)`; may be
        traced (then it is not validated).
      x: the array to drop out.
      broadcast_dims: dimensions along which the mask is shared.

    Returns:
      `x` with dropped elements zeroed and kept ones scaled by `1 / (1 - rate)`.

    Raises:
      ValueError: `rate` is outside `[0, 1)`, or a broadcast dimension is not
        a dimension of `x`.
    """
    try:
        if rate < 0 or rate >= 1:
            raise ValueError(
                f"rate must be in [0, 1). `hk.dropout` got rate={rate} (the probability of "
                "dropping each element); use 0 to keep everything."
            )
        if rate == 0.0:
            return x
    except jax.errors.ConcretizationTypeError:
        pass  # A traced rate (e.g. under jit) cannot be checked; use it as it is.
    mask_shape = list(x.shape)
    for dim in broadcast_dims:
        # Haiku's bound check lets `dim == x.ndim` through to an IndexError and lets
        # negative dimensions index from the end; here both get the same ValueError.
        if not -len(mask_shape) <= dim < len(mask_shape):
            raise ValueError(
                "Broadcast dimension does not exist. Got dimension "
                f"{dim} for shape {list(x.shape)}: `hk.dropout` broadcast_dims must be "
                f"in [{-len(mask_shape)}, {len(mask_shape)})."
            )
        mask_shape[dim] = 1
    keep_rate = 1.0 - rate
    keep = jax.random.bernoulli(rng, keep_rate, shape=mask_shape)
    return jnp.broadcast_to(keep, x.shape) * x / keep_rate
