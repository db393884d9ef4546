"""`RNNCore`: the interface every recurrent core implements."""

from __future__ import annotations

import abc
from typing import Any

import jax
import jax.numpy as jnp

from sonnax._src.core import module


class RNNCore(module.Module):
    """Base class for recurrent cores.

    A core maps `(inputs, prev_state)` to `(outputs, next_state)` for one time
    step, and builds a starting state with `initial_state`. `static_unroll` and
    `dynamic_unroll` run a core over a whole sequence. Both methods are abstract
    (`Module`'s metaclass is an `abc.ABCMeta`, so no `abc.ABC` base is needed).

    >>> import sonnax as hk
    >>> import jax.numpy as jnp
    >>> class Accumulate(hk.RNNCore):
    ...     def __call__(self, inputs, prev_state):
    ...         total = prev_state + inputs
    ...         return total, total
    ...     def initial_state(self, batch_size):
    ...         return jnp.zeros([batch_size, 2])
    >>> f = hk.transform(lambda x: hk.static_unroll(Accumulate(), x, jnp.zeros([1, 2]))[0])
    >>> f.apply(None, None, jnp.ones([3, 1, 2]))[:, 0, 0]
    Array([1., 2., 3.], dtype=float32)
    """

    @abc.abstractmethod
    def __call__(self, inputs: Any, prev_state: Any) -> tuple[Any, Any]:
        """Runs one step of the core.

        Args:
          inputs: a nest of arrays for this time step.
          prev_state: the state after the previous step.

        Returns:
          `(outputs, next_state)`; `next_state` has the structure and shapes of
          `prev_state`.
        """

    @abc.abstractmethod
    def initial_state(self, batch_size: int | None) -> Any:
        """Builds the state to start an unroll from.

        Args:
          batch_size: the leading batch size of the state, or None for a state
            without a batch axis (where the core supports it).

        Returns:
          A nest of arrays.
        """


def add_batch(nest: Any, batch_size: int | None) -> Any:
    """Broadcasts every leaf of `nest` along a new leading axis of size `batch_size`.

    Args:
      nest: a nest of arrays.
      batch_size: the size of the new leading axis.

    Returns:
      The nest with each leaf of shape `[batch_size, *leaf.shape]`.
    """
    return jax.tree.map(lambda leaf: jnp.broadcast_to(leaf, (batch_size, *leaf.shape)), nest)
