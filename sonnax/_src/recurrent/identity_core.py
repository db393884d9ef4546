"""`IdentityCore`: a recurrent core that passes its inputs through."""

from __future__ import annotations

from typing import Any

from sonnax._src.recurrent import rnn_core


class IdentityCore(rnn_core.RNNCore):
    """A core whose output is its input and whose state is empty, `()`.

    Useful to swap a recurrent part of a model for a feed-forward one without
    changing how the model is unrolled.

    >>> import sonnax as hk
    >>> import jax.numpy as jnp
    >>> f = hk.transform(lambda x: hk.IdentityCore()(x, ()))
    >>> f.apply(None, None, jnp.ones([2]))
    (Array([1., 1.], dtype=float32), ())
    """

    def __call__(self, inputs: Any, state: Any) -> tuple[Any, Any]:
        """Returns `(inputs, state)` unchanged.

        Args:
          inputs: any nest.
          state: any nest (normally `()`).

        Returns:
          `(inputs, state)`.
        """
        return inputs, state

    def initial_state(self, batch_size: int | None) -> tuple[()]:
        """The empty state, `()`, whatever `batch_size` is."""
        return ()
