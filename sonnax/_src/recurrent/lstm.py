"""`LSTM` and its state, `LSTMState`."""

from __future__ import annotations

from typing import NamedTuple

import jax
import jax.numpy as jnp

from sonnax._src.layers import linear
from sonnax._src.recurrent import rnn_core


class LSTMState(NamedTuple):
    """The state of an LSTM core.

    Attributes:
      hidden: the hidden state `h`, also the core's output.
      cell: the cell state `c`.
    """

    hidden: jax.Array
    cell: jax.Array


def lstm_update(gates: jax.Array, prev_cell: jax.Array) -> tuple[jax.Array, LSTMState]:
    """The LSTM update from pre-activation gates laid out as `[i, g, f, o]` on the last axis.

    One is added to the forget gate's pre-activation (as Sonnet and Haiku do) so that
    early in training the cell forgets little.

    Args:
      gates: input, cell-candidate, forget and output pre-activations, concatenated.
      prev_cell: the previous cell state.

    Returns:
      `(h, LSTMState(h, c))`.
    """
    input_gate, candidate, forget_gate, output_gate = jnp.split(gates, 4, axis=-1)
    forget = jax.nn.sigmoid(forget_gate + 1)
    cell = forget * prev_cell + jax.nn.sigmoid(input_gate) * jnp.tanh(candidate)
    hidden = jax.nn.sigmoid(output_gate) * jnp.tanh(cell)
    return hidden, LSTMState(hidden, cell)


class LSTM(rnn_core.RNNCore):
    """Long short-term memory core.

    One `Linear` of size `4 * hidden_size` maps `[x_t, h_{t-1}]` to the input,
    cell-candidate, forget and output gates (in that order). The forget gate gets
    a bias of +1 before its sigmoid. The output is the new hidden state.

    >>> import sonnax as hk
    >>> import jax, jax.numpy as jnp
    >>> def f(x):
    ...     core = hk.LSTM(4)
    ...     return core(x, core.initial_state(2))
    >>> params = hk.transform(f).init(jax.random.PRNGKey(0), jnp.ones([2, 3]))
    >>> jax.tree.map(jnp.shape, params)
    {'lstm/linear': {'b': (16,), 'w': (7, 16)}}
    """

    def __init__(self, hidden_size: int, name: str | None = None):
        """Constructs the core.

        Args:
          hidden_size: size of the hidden and cell states.
          name: the module's name.
        """
        super().__init__(name=name)
        self.hidden_size = hidden_size

    def __call__(self, inputs: jax.Array, prev_state: LSTMState) -> tuple[jax.Array, LSTMState]:
        """Runs one step.

        Args:
          inputs: array of shape `[batch, input_size]` or `[input_size]`.
          prev_state: an `LSTMState` whose arrays have `hidden_size` on the last axis.

        Returns:
          `(h, LSTMState(h, c))`.

        Raises:
          ValueError: `inputs` is not of rank 1 or 2.
        """
        inputs = jnp.asarray(inputs)
        prev_state = jax.tree.map(jnp.asarray, prev_state)
        if inputs.ndim not in (1, 2):
            raise ValueError(
                f"LSTM input must be rank-1 or rank-2: module {self.module_name!r} got inputs "
                f"of shape {inputs.shape} (rank {inputs.ndim}); expected [batch, input_size] "
                "or [input_size]."
            )
        inputs_and_hidden = jnp.concatenate([inputs, prev_state.hidden], axis=-1)
        gates = linear.Linear(4 * self.hidden_size)(inputs_and_hidden)
        return lstm_update(gates, prev_state.cell)

    def initial_state(self, batch_size: int | None) -> LSTMState:
        """Zero hidden and cell states, with a leading batch axis unless `batch_size` is None."""
        state = LSTMState(jnp.zeros([self.hidden_size]), jnp.zeros([self.hidden_size]))
        return state if batch_size is None else rnn_core.add_batch(state, batch_size)
