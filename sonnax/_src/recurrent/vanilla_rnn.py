"""`VanillaRNN`: a fully connected recurrent core with a ReLU."""

from __future__ import annotations

import jax
import jax.numpy as jnp

from sonnax._src.layers import linear
from sonnax._src.recurrent import rnn_core


class VanillaRNN(rnn_core.RNNCore):
    """Fully connected RNN core: `h_t = relu(W_i x_t + b_i + W_h h_{t-1} + b_h)`.

    The output is the new hidden state. The two affine maps are `Linear` modules
    named `linear` (input to hidden) and `linear_1` (hidden to hidden), as in Haiku.

    >>> import sonnax as hk
    >>> import jax, jax.numpy as jnp
    >>> def f(x):
    ...     core = hk.VanillaRNN(4)
    ...     return core(x, core.initial_state(2))
    >>> params = hk.transform(f).init(jax.random.PRNGKey(0), jnp.ones([2, 3]))
    >>> for name, shapes in jax.tree.map(jnp.shape, params).items():
    ...     print(name, shapes)
    vanilla_rnn/linear {'b': (4,), 'w': (3, 4)}
    vanilla_rnn/linear_1 {'b': (4,), 'w': (4, 4)}
    """

    def __init__(self, hidden_size: int, double_bias: bool = True, name: str | None = None):
        """Constructs the core.

        Args:
          hidden_size: size of the hidden state.
          double_bias: whether the hidden-to-hidden map has its own bias too (Haiku's
            default, True); the two biases are redundant but both are kept for parity.
          name: the module's name.
        """
        super().__init__(name=name)
        self.hidden_size = hidden_size
        self.double_bias = double_bias

    def __call__(self, inputs: jax.Array, prev_state: jax.Array) -> tuple[jax.Array, jax.Array]:
        """Runs one step.

        Args:
          inputs: array of shape `[batch, input_size]` or `[input_size]`.
          prev_state: array of shape `[batch, hidden_size]` or `[hidden_size]`.

        Returns:
          `(h, h)`, the new hidden state as both output and state.
        """
        inputs, prev_state = jnp.asarray(inputs), jnp.asarray(prev_state)
        input_to_hidden = linear.Linear(self.hidden_size)
        hidden_to_hidden = linear.Linear(self.hidden_size, with_bias=self.double_bias)
        hidden = jax.nn.relu(input_to_hidden(inputs) + hidden_to_hidden(prev_state))
        return hidden, hidden

    def initial_state(self, batch_size: int | None) -> jax.Array:
        """Zeros of shape `[batch_size, hidden_size]` (`[hidden_size]` if `batch_size` is None)."""
        state = jnp.zeros([self.hidden_size])
        return state if batch_size is None else rnn_core.add_batch(state, batch_size)
