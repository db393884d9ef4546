"""`Entry`: a module under test, and its deterministic input."""

import dataclasses
from collections.abc import Callable
from typing import Any

import jax
import jax.numpy as jnp


@dataclasses.dataclass(frozen=True)
class Entry:
    """A module under test.

    Attributes:
      name: the test id.
      build: `build(lib)` returns a function of one input array using `lib`'s modules.
      input_shape: the input's shape; the leading axis is the batch.
      needs_rng: whether apply must be given a key.
    """

    name: str
    build: Callable[[Any], Callable[[jax.Array], jax.Array]]
    input_shape: tuple[int, ...] = (8, 6)
    needs_rng: bool = False


def inputs(entry: Entry, dtype: Any = jnp.float32) -> jax.Array:
    """A deterministic input for `entry`."""
    return jax.random.normal(jax.random.PRNGKey(1), entry.input_shape).astype(dtype)
