"""Convolutional LSTMs: `ConvNDLSTM` and its 1-D, 2-D and 3-D forms."""

from __future__ import annotations

from collections.abc import Sequence

import jax
import jax.numpy as jnp

from sonnax._src.layers import conv
from sonnax._src.recurrent import lstm, rnn_core


def _gate_conv(core: ConvNDLSTM, name: str) -> conv.ConvND:
    """A convolution giving all four gates at once (a function, not a method, so that
    it opens no name scope of its own)."""
    return conv.ConvND(
        num_spatial_dims=core.num_spatial_dims,
        output_channels=4 * core.output_channels,
        kernel_shape=core.kernel_shape,
        name=name,
    )


class ConvNDLSTM(rnn_core.RNNCore):
    """An LSTM whose gates are convolutions over `num_spatial_dims` spatial axes.

    Two `ConvND`s with `4 * output_channels` outputs, `input_to_hidden` and
    `hidden_to_hidden` ("SAME" padding, channels last), give the input,
    cell-candidate, forget and output gates; the update is `LSTM`'s, with +1 on the
    forget gate. The output is the new hidden state.

    >>> import sonnax as hk
    >>> import jax, jax.numpy as jnp
    >>> def f(x):
    ...     core = hk.Conv1DLSTM(input_shape=[5], output_channels=2, kernel_shape=3)
    ...     return core(x, core.initial_state(4))
    >>> params = hk.transform(f).init(jax.random.PRNGKey(0), jnp.ones([4, 5, 3]))
    >>> for name, shapes in jax.tree.map(jnp.shape, params).items():
    ...     print(name, shapes)
    conv1_dlstm/hidden_to_hidden {'b': (8,), 'w': (3, 2, 8)}
    conv1_dlstm/input_to_hidden {'b': (8,), 'w': (3, 3, 8)}
    """

    def __init__(
        self,
        num_spatial_dims: int,
        input_shape: Sequence[int],
        output_channels: int,
        kernel_shape: int | Sequence[int],
        name: str | None = None,
    ):
        """Constructs the core.

        Args:
          num_spatial_dims: the number of spatial axes.
          input_shape: the spatial shape of the inputs (no batch axis), used for the state.
          output_channels: channels of the hidden and cell states.
          kernel_shape: the kernel size, an int or one per spatial axis.
          name: the module's name.
        """
        super().__init__(name=name)
        self.num_spatial_dims = num_spatial_dims
        self.input_shape = tuple(input_shape)
        self.output_channels = output_channels
        self.kernel_shape = kernel_shape

    def __call__(
        self, inputs: jax.Array, state: lstm.LSTMState
    ) -> tuple[jax.Array, lstm.LSTMState]:
        """Runs one step.

        Args:
          inputs: array `[batch, *spatial, channels]`, or `[*spatial, channels]` unbatched.
          state: an `LSTMState` of arrays `[batch, *input_shape, output_channels]`.

        Returns:
          `(h, LSTMState(h, c))`.

        Raises:
          ValueError: `inputs` is not of rank `num_spatial_dims + 1` or `+ 2`.
        """
        inputs = jnp.asarray(inputs)
        state = jax.tree.map(jnp.asarray, state)
        input_to_hidden = _gate_conv(self, "input_to_hidden")
        hidden_to_hidden = _gate_conv(self, "hidden_to_hidden")
        gates = input_to_hidden(inputs) + hidden_to_hidden(state.hidden)
        return lstm.lstm_update(gates, state.cell)

    def initial_state(self, batch_size: int | None) -> lstm.LSTMState:
        """Zero states of shape `[batch_size, *input_shape, output_channels]` (no batch if None)."""
        shape = (*self.input_shape, self.output_channels)
        state = lstm.LSTMState(jnp.zeros(shape), jnp.zeros(shape))
        return state if batch_size is None else rnn_core.add_batch(state, batch_size)


class Conv1DLSTM(ConvNDLSTM):
    """A convolutional LSTM over one spatial axis (see `ConvNDLSTM`).

    >>> import sonnax as hk
    >>> import jax, jax.numpy as jnp
    >>> def f(x):
    ...     core = hk.Conv1DLSTM(input_shape=[5], output_channels=2, kernel_shape=3)
    ...     return core(x, core.initial_state(4))[0]
    >>> f = hk.transform(f)
    >>> x = jnp.ones([4, 5, 3])
    >>> f.apply(f.init(jax.random.PRNGKey(0), x), None, x).shape
    (4, 5, 2)
    """

    def __init__(
        self,
        input_shape: Sequence[int],
        output_channels: int,
        kernel_shape: int | Sequence[int],
        name: str | None = None,
    ):
        """Constructs the core.

        Args:
          input_shape: the spatial shape of the inputs (length 1, no batch axis).
          output_channels: channels of the hidden and cell states.
          kernel_shape: the kernel size, an int or a sequence of length 1.
          name: the module's name.
        """
        super().__init__(1, input_shape, output_channels, kernel_shape, name=name)


class Conv2DLSTM(ConvNDLSTM):
    """A convolutional LSTM over two spatial axes (see `ConvNDLSTM`).

    >>> import sonnax as hk
    >>> import jax, jax.numpy as jnp
    >>> def f(x):
    ...     core = hk.Conv2DLSTM(input_shape=[5, 5], output_channels=2, kernel_shape=3)
    ...     return core(x, core.initial_state(4))
    >>> params = hk.transform(f).init(jax.random.PRNGKey(0), jnp.ones([4, 5, 5, 3]))
    >>> jax.tree.map(jnp.shape, params)["conv2_dlstm/input_to_hidden"]
    {'b': (8,), 'w': (3, 3, 3, 8)}
    """

    def __init__(
        self,
        input_shape: Sequence[int],
        output_channels: int,
        kernel_shape: int | Sequence[int],
        name: str | None = None,
    ):
        """Constructs the core.

        Args:
          input_shape: the spatial shape of the inputs (length 2, no batch axis).
          output_channels: channels of the hidden and cell states.
          kernel_shape: the kernel size, an int or a sequence of length 2.
          name: the module's name.
        """
        super().__init__(2, input_shape, output_channels, kernel_shape, name=name)


class Conv3DLSTM(ConvNDLSTM):
    """A convolutional LSTM over three spatial axes (see `ConvNDLSTM`).

    >>> import sonnax as hk
    >>> import jax, jax.numpy as jnp
    >>> def f(x):
    ...     core = hk.Conv3DLSTM(input_shape=[3, 3, 3], output_channels=2, kernel_shape=3)
    ...     return core(x, core.initial_state(1))
    >>> params = hk.transform(f).init(jax.random.PRNGKey(0), jnp.ones([1, 3, 3, 3, 2]))
    >>> jax.tree.map(jnp.shape, params)["conv3_dlstm/hidden_to_hidden"]
    {'b': (8,), 'w': (3, 3, 3, 2, 8)}
    """

    def __init__(
        self,
        input_shape: Sequence[int],
        output_channels: int,
        kernel_shape: int | Sequence[int],
        name: str | None = None,
    ):
        """Constructs the core.

        Args:
          input_shape: the spatial shape of the inputs (length 3, no batch axis).
          output_channels: channels of the hidden and cell states.
          kernel_shape: the kernel size, an int or a sequence of length 3.
          name: the module's name.
        """
        super().__init__(3, input_shape, output_channels, kernel_shape, name=name)
