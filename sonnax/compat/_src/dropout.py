"""`Dropout`: zeroes elements at random in training, scaling the rest up."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import jax
import jax.numpy as jnp

from sonnax._src.core import rng
from sonnax.compat._src import base


class Dropout(base.Module):
    """Zeroes each element with probability `rate` when training; keeps `x / (1 - rate)`.

    Random numbers come from the rng given to `apply` (`next_rng_key`); a `seed`, if
    given, is folded into that key, so it does not by itself fix the mask.
    """

    def __init__(
        self,
        rate: float,
        noise_shape: Sequence[int] | None = None,
        seed: int | None = None,
        name: str | None = None,
    ):
        """Constructs the module.

        Args:
          rate: probability of dropping an element, in `[0, 1)`.
          noise_shape: the shape of the random keep/drop mask, broadcast against the input
            (e.g. `[batch, 1, channels]` drops whole channels); default the input's shape.
          seed: an integer folded into the rng key.
          name: the module's name.
        """
        super().__init__(name=name)
        self._rate = rate
        self._noise_shape = noise_shape
        self._seed = seed

    def __call__(self, x: jax.Array, is_training: Any) -> jax.Array:
        """Applies dropout in training, the identity otherwise.

        Args:
          x: a floating-point array.
          is_training: a Python bool, or a scalar boolean array (then both results are
            computed and one is selected).

        Returns:
          An array like `x`.
        """
        if isinstance(is_training, bool | int) and not is_training:
            return x
        rate = self._rate
        if isinstance(rate, int | float) and not 0 <= rate < 1:
            raise ValueError(
                f"{type(self).__name__} {self.module_name!r}: rate must be a scalar tensor or "
                f"a float in the range [0, 1), got {rate}."
            )
        key = rng.next_rng_key()
        if self._seed is not None:
            key = jax.random.fold_in(key, self._seed)
        x = jnp.asarray(x)
        noise_shape = tuple(self._noise_shape) if self._noise_shape is not None else x.shape
        keep = jax.random.uniform(key, noise_shape, x.dtype) >= rate
        dropped = jnp.where(keep, x / (1 - jnp.asarray(rate, x.dtype)), jnp.zeros_like(x))
        if isinstance(is_training, bool | int):
            return dropped
        return jnp.where(jnp.asarray(is_training), dropped, x)
