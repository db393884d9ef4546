"""`GRU`: Sonnet's gated recurrent unit core."""

from __future__ import annotations

from typing import Any

import jax
import jax.numpy as jnp

from sonnax._src.core import params
from sonnax.compat._src import initializers, once, utils
from sonnax.compat._src.recurrent import rnn_core


class GRU(rnn_core.RNNCore):
    """Gated recurrent unit; the output is the new hidden state.

    With update gate `z`, reset gate `r` and candidate `a`:
    `h_t = (1 - z) * h_{t-1} + z * a`, `a = tanh(x W_ia + (r * h_{t-1}) W_ha + b_a)`.
    Variables: `w_i` `[input_size, 3 * hidden_size]`, `w_h` `[hidden_size, 3 *
    hidden_size]` and `b` `[3 * hidden_size]`, gates in the order `z, r, a`.
    Weights default to Glorot uniform (not Haiku's initializers).
    """

    def __init__(
        self,
        hidden_size: int,
        w_i_init: initializers.Initializer | None = None,
        w_h_init: initializers.Initializer | None = None,
        b_init: initializers.Initializer | None = None,
        dtype: Any = jnp.float32,
        name: str | None = None,
    ):
        """Constructs the core.

        Args:
          hidden_size: size of the hidden state.
          w_i_init: initializer of `w_i`; default Glorot uniform.
          w_h_init: initializer of `w_h`; default Glorot uniform.
          b_init: initializer of `b`; default zeros.
          dtype: dtype of the variables and of the initial state.
          name: the module's name.
        """
        super().__init__(name)
        self._hidden_size = hidden_size
        glorot_uniform = initializers.VarianceScaling(mode="fan_avg", distribution="uniform")
        self._w_i_init = w_i_init or glorot_uniform
        self._w_h_init = w_h_init or glorot_uniform
        self._b_init = b_init or initializers.Zeros()
        self._dtype = dtype

    def __call__(self, inputs: jax.Array, prev_state: jax.Array) -> tuple[jax.Array, jax.Array]:
        """Runs one step.

        Args:
          inputs: array of shape `[batch, input_size]`.
          prev_state: array of shape `[batch, hidden_size]`.

        Returns:
          `(next_state, next_state)`.
        """
        self._initialize(inputs)
        size = self._hidden_size
        gates_x = jnp.matmul(inputs, self._w_i)
        zr = gates_x[:, : 2 * size] + jnp.matmul(prev_state, self._w_h[:, : 2 * size])
        z, r = jnp.split(jax.nn.sigmoid(zr + self.b[: 2 * size]), 2, axis=1)
        a_h = jnp.matmul(r * prev_state, self._w_h[:, 2 * size :])
        a = jnp.tanh(gates_x[:, 2 * size :] + a_h + self.b[2 * size :])
        next_state = (1 - z) * prev_state + z * a
        return next_state, next_state

    def initial_state(self, batch_size: int) -> jax.Array:  # type: ignore[override]
        """Zeros of shape `[batch_size, hidden_size]`.

        Args:
          batch_size: the batch size.

        Returns:
          The initial state.
        """
        return jnp.zeros([batch_size, self._hidden_size], dtype=self._dtype)

    @property
    def input_to_hidden(self) -> jax.Array:
        """`w_i`, `[input_size, 3 * hidden_size]`."""
        return self._w_i

    @property
    def hidden_to_hidden(self) -> jax.Array:
        """`w_h`, `[hidden_size, 3 * hidden_size]`."""
        return self._w_h

    @once.once
    def _initialize(self, inputs: jax.Array) -> None:
        utils.assert_rank(inputs, 2, self)
        input_size = inputs.shape[1]
        dtype = rnn_core.check_inputs_dtype(inputs, self._dtype, self)
        gates = 3 * self._hidden_size
        self._w_i = params.get_parameter("w_i", [input_size, gates], dtype, init=self._w_i_init)
        self._w_h = params.get_parameter(
            "w_h", [self._hidden_size, gates], dtype, init=self._w_h_init
        )
        self.b = params.get_parameter("b", [gates], dtype, init=self._b_init)
