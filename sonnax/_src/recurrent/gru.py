"""`GRU`: the gated recurrent unit."""

from __future__ import annotations

import jax
import jax.numpy as jnp

from sonnax._src import initializers
from sonnax._src.core import params
from sonnax._src.recurrent import rnn_core
from sonnax._src.typing import Initializer


class GRU(rnn_core.RNNCore):
    """Gated recurrent unit (Chung et al. 2014, with biases).

    With update gate `z`, reset gate `r` and candidate `a`:
    `h_t = (1 - z) * h_{t-1} + z * a`, where `a = tanh(W_ia x + W_ha (r * h_{t-1}) + b_a)`.
    Parameters are `w_i` `[input_size, 3 * hidden_size]`, `w_h`
    `[hidden_size, 3 * hidden_size]` and `b` `[3 * hidden_size]`, each laid out as
    `[z, r, a]`. The output is the new hidden state.

    >>> import sonnax as hk
    >>> import jax, jax.numpy as jnp
    >>> def f(x):
    ...     core = hk.GRU(4)
    ...     return core(x, core.initial_state(2))
    >>> params = hk.transform(f).init(jax.random.PRNGKey(0), jnp.ones([2, 3]))
    >>> jax.tree.map(jnp.shape, params)
    {'gru': {'b': (12,), 'w_h': (4, 12), 'w_i': (3, 12)}}
    """

    def __init__(
        self,
        hidden_size: int,
        w_i_init: Initializer | None = None,
        w_h_init: Initializer | None = None,
        b_init: Initializer | None = None,
        name: str | None = None,
    ):
        """Constructs the core.

        Args:
          hidden_size: size of the hidden state.
          w_i_init: initializer for `w_i` (default, as Haiku: `VarianceScaling()`).
          w_h_init: initializer for `w_h` (default, as Haiku: `VarianceScaling()`).
          b_init: initializer for `b` (default: zeros).
          name: the module's name.
        """
        super().__init__(name=name)
        self.hidden_size = hidden_size
        self.w_i_init = w_i_init or initializers.VarianceScaling()
        self.w_h_init = w_h_init or initializers.VarianceScaling()
        self.b_init = b_init or jnp.zeros

    def __call__(self, inputs: jax.Array, state: jax.Array) -> tuple[jax.Array, jax.Array]:
        """Runs one step.

        Args:
          inputs: array of shape `[batch, input_size]` or `[input_size]`.
          state: array of shape `[batch, hidden_size]` or `[hidden_size]`.

        Returns:
          `(h, h)`, the new hidden state as both output and state.

        Raises:
          ValueError: `inputs` is not of rank 1 or 2.
        """
        inputs, state = jnp.asarray(inputs), jnp.asarray(state)
        if inputs.ndim not in (1, 2):
            raise ValueError(
                f"GRU input must be rank-1 or rank-2: module {self.module_name!r} got inputs "
                f"of shape {inputs.shape} (rank {inputs.ndim}); expected [batch, input_size] "
                "or [input_size]."
            )
        size, dtype = self.hidden_size, inputs.dtype
        w_i = params.get_parameter("w_i", [inputs.shape[-1], 3 * size], dtype, init=self.w_i_init)
        w_h = params.get_parameter("w_h", [size, 3 * size], dtype, init=self.w_h_init)
        b = params.get_parameter("b", [3 * size], dtype, init=self.b_init)
        from_inputs = jnp.matmul(inputs, w_i)
        update_reset_x, candidate_x = from_inputs[..., : 2 * size], from_inputs[..., 2 * size :]
        update_reset_h = jnp.matmul(state, w_h[:, : 2 * size])
        gates = (
            update_reset_x + update_reset_h + jnp.broadcast_to(b[: 2 * size], update_reset_h.shape)
        )
        update, reset = jnp.split(jax.nn.sigmoid(gates), 2, axis=-1)
        candidate_h = jnp.matmul(reset * state, w_h[:, 2 * size :])
        candidate_b = jnp.broadcast_to(b[2 * size :], candidate_h.shape)
        candidate = jnp.tanh(candidate_x + candidate_h + candidate_b)
        next_state = (1 - update) * state + update * candidate
        return next_state, next_state

    def initial_state(self, batch_size: int | None) -> jax.Array:
        """Zeros of shape `[batch_size, hidden_size]` (`[hidden_size]` if `batch_size` is None)."""
        state = jnp.zeros([self.hidden_size])
        return state if batch_size is None else rnn_core.add_batch(state, batch_size)
