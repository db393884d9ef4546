"""`VanillaRNN`: the fully connected recurrent core."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import jax
import jax.numpy as jnp

from sonnax._src.core import params
from sonnax.compat._src import activations, initializers, linear, once
from sonnax.compat._src.recurrent import rnn_core


class VanillaRNN(rnn_core.RNNCore):
    """`h_t = activation(x_t @ w_i + h_{t-1} @ w_h + b)`; the output is `h_t`.

    `w_i` and `w_h` are the `w` of the `Linear` submodules `input_to_hidden` and
    `hidden_to_hidden` (no bias); `b` belongs to the core.
    """

    def __init__(
        self,
        hidden_size: int,
        activation: Callable[[jax.Array], jax.Array] = activations.tanh,
        w_i_init: initializers.Initializer | None = None,
        w_h_init: initializers.Initializer | None = None,
        b_init: initializers.Initializer | None = None,
        dtype: Any = jnp.float32,
        name: str | None = None,
    ):
        """Constructs the core.

        Args:
          hidden_size: size of the hidden state.
          activation: applied to the pre-activation; default `tanh`.
          w_i_init: initializer of the input-to-hidden weights; default truncated normal,
            stddev `1 / sqrt(input_size)`.
          w_h_init: initializer of the hidden-to-hidden weights; default truncated normal,
            stddev `1 / sqrt(hidden_size)`.
          b_init: initializer of the bias; default zeros.
          dtype: dtype of the variables and of the initial state.
          name: the module's name.
        """
        super().__init__(name)
        self._hidden_size = hidden_size
        self._activation = activation
        self._b_init = b_init or initializers.Zeros()
        self._dtype = dtype
        self._input_to_hidden = linear.Linear(
            hidden_size, with_bias=False, w_init=w_i_init, name="input_to_hidden"
        )
        self._hidden_to_hidden = linear.Linear(
            hidden_size, with_bias=False, w_init=w_h_init, name="hidden_to_hidden"
        )

    @property
    def input_to_hidden(self) -> jax.Array:
        """The input-to-hidden weights, `[input_size, hidden_size]`."""
        return self._input_to_hidden.w

    @property
    def hidden_to_hidden(self) -> jax.Array:
        """The hidden-to-hidden weights, `[hidden_size, hidden_size]`."""
        return self._hidden_to_hidden.w

    def __call__(self, inputs: jax.Array, prev_state: jax.Array) -> tuple[jax.Array, jax.Array]:
        """Runs one step.

        Args:
          inputs: array of shape `[batch, input_size]`.
          prev_state: array of shape `[batch, hidden_size]`.

        Returns:
          `(outputs, next_state)`, both the new hidden state.
        """
        self._initialize(inputs)
        outputs = self._activation(
            self._input_to_hidden(inputs) + self._hidden_to_hidden(prev_state) + self._b
        )
        return outputs, outputs

    def initial_state(self, batch_size: int) -> jax.Array:  # type: ignore[override]
        """Zeros of shape `[batch_size, hidden_size]`.

        Args:
          batch_size: the batch size.

        Returns:
          The initial state.
        """
        return jnp.zeros([batch_size, self._hidden_size], dtype=self._dtype)

    @once.once
    def _initialize(self, inputs: jax.Array) -> None:
        dtype = rnn_core.check_inputs_dtype(inputs, self._dtype, self)
        self._b = params.get_parameter("b", [self._hidden_size], dtype, init=self._b_init)
