"""Use sonnax with Flax and Flax with sonnax (Haiku's `hk.experimental.flax`); needs `flax`."""

from sonnax._src.experimental.flax.flax_module import Module as Module
from sonnax._src.experimental.flax.lift import lift as lift
from sonnax._src.experimental.flax.variables import flatten_flax_to_haiku as flatten_flax_to_haiku

__all__ = [
    "Module",
    "flatten_flax_to_haiku",
    "lift",
]
