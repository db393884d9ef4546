"""`Conv1DLSTM`, `Conv2DLSTM` and `Conv3DLSTM`: LSTMs whose matmuls are convolutions."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import jax
import jax.numpy as jnp

from sonnax._src.core import params
from sonnax.compat._src import conv, initializers, once
from sonnax.compat._src.recurrent import rnn_core
from sonnax.compat._src.recurrent.lstm import LSTMState, WithForgetBias


class _ConvNDLSTM(rnn_core.RNNCore):
    """Convolutional LSTM over `num_spatial_dims` spatial axes.

    The gates `[input, forget, cell update, output]` are `SAME`-padded convolutions of
    the inputs (submodule `input_to_hidden`) and of the previous hidden state
    (`hidden_to_hidden`), neither with a bias, plus the core's bias `b`
    `[4 * output_channels]`, which holds `forget_bias` in its forget quarter from
    initialization on.

    As in Sonnet, the gates are split on the last axis and `b` is added on the last
    axis, so the computation assumes channels-last inputs.
    """

    def __init__(
        self,
        num_spatial_dims: int,
        input_shape: Sequence[int],
        output_channels: int,
        kernel_shape: int | Sequence[int],
        data_format: str | None = None,
        w_i_init: initializers.Initializer | None = None,
        w_h_init: initializers.Initializer | None = None,
        b_init: initializers.Initializer | None = None,
        forget_bias: float = 1.0,
        dtype: Any = jnp.float32,
        name: str | None = None,
    ):
        """Constructs the core.

        Args:
          num_spatial_dims: the number of spatial axes.
          input_shape: the shape of one input without the batch axis.
          output_channels: the number of channels of the hidden and cell states.
          kernel_shape: the kernel size, an int or one per spatial axis.
          data_format: the input's layout, e.g. `"NHWC"`.
          w_i_init: initializer of the input convolution's `w`; default truncated normal,
            stddev `1 / sqrt(fan_in)`.
          w_h_init: initializer of the hidden convolution's `w`; default as `w_i_init`.
          b_init: initializer of `b`; default zeros.
          forget_bias: added to the forget gate's bias at initialization.
          dtype: dtype of the variables and of the initial state.
          name: the module's name.
        """
        super().__init__(name)
        self._num_spatial_dims = num_spatial_dims
        self._input_shape = list(input_shape)
        self._channel_index = 1 if data_format is not None and data_format.startswith("NC") else -1
        self._output_channels = output_channels
        self._b_init = b_init or initializers.Zeros()
        self._forget_bias = forget_bias
        self._dtype = dtype
        self._input_to_hidden = conv.ConvND(
            num_spatial_dims,
            output_channels=4 * output_channels,
            kernel_shape=kernel_shape,
            padding="SAME",
            with_bias=False,
            w_init=w_i_init,
            data_format=data_format,
            name="input_to_hidden",
        )
        self._hidden_to_hidden = conv.ConvND(
            num_spatial_dims,
            output_channels=4 * output_channels,
            kernel_shape=kernel_shape,
            padding="SAME",
            with_bias=False,
            w_init=w_h_init,
            data_format=data_format,
            name="hidden_to_hidden",
        )

    def __call__(self, inputs: jax.Array, prev_state: LSTMState) -> tuple[jax.Array, LSTMState]:
        """Runs one step.

        Args:
          inputs: array of shape `[batch, *input_shape]`.
          prev_state: the previous `LSTMState`, arrays of shape `[batch, *spatial,
            output_channels]`.

        Returns:
          `(next_hidden, LSTMState(next_hidden, next_cell))`.
        """
        self._initialize(inputs)
        gates = self._input_to_hidden(inputs)
        gates = gates + self._hidden_to_hidden(prev_state.hidden)
        gates = gates + self.b
        i, f, g, o = jnp.split(gates, 4, axis=self._num_spatial_dims + 1)
        next_cell = jax.nn.sigmoid(f) * prev_state.cell + jax.nn.sigmoid(i) * jnp.tanh(g)
        next_hidden = jax.nn.sigmoid(o) * jnp.tanh(next_cell)
        return next_hidden, LSTMState(hidden=next_hidden, cell=next_cell)

    @property
    def input_to_hidden(self) -> jax.Array:
        """The input convolution's kernel, `[*kernel_shape, input_channels, 4 * channels]`."""
        return self._input_to_hidden.w

    @property
    def hidden_to_hidden(self) -> jax.Array:
        """The hidden convolution's kernel, `[*kernel_shape, channels, 4 * channels]`."""
        return self._hidden_to_hidden.w

    def initial_state(self, batch_size: int) -> LSTMState:  # type: ignore[override]
        """Zero hidden and cell states: `input_shape` with `output_channels` channels.

        Args:
          batch_size: the batch size.

        Returns:
          The initial `LSTMState`.
        """
        shape = list(self._input_shape)
        shape[self._channel_index] = self._output_channels
        shape = [batch_size, *shape]
        return LSTMState(
            hidden=jnp.zeros(shape, dtype=self._dtype), cell=jnp.zeros(shape, dtype=self._dtype)
        )

    @once.once
    def _initialize(self, inputs: jax.Array) -> None:
        dtype = rnn_core.check_inputs_dtype(inputs, self._dtype, self)
        b_init = WithForgetBias(self._b_init, self._forget_bias)
        self.b = params.get_parameter("b", [4 * self._output_channels], dtype, init=b_init)


class Conv1DLSTM(_ConvNDLSTM):
    """1-D convolutional LSTM (see `_ConvNDLSTM` for the computation and variables)."""

    def __init__(
        self,
        input_shape: Sequence[int],
        output_channels: int,
        kernel_shape: int | Sequence[int],
        data_format: str = "NWC",
        w_i_init: initializers.Initializer | None = None,
        w_h_init: initializers.Initializer | None = None,
        b_init: initializers.Initializer | None = None,
        forget_bias: float = 1.0,
        dtype: Any = jnp.float32,
        name: str | None = None,
    ):
        """Constructs a 1-D convolutional LSTM.

        Args:
          input_shape: the shape of one input without the batch axis.
          output_channels: the number of channels of the hidden and cell states.
          kernel_shape: the kernel size, an int or 1 ints.
          data_format: the input's layout.
          w_i_init: initializer of the input convolution's `w`; default truncated normal,
            stddev `1 / sqrt(fan_in)`.
          w_h_init: initializer of the hidden convolution's `w`; default as `w_i_init`.
          b_init: initializer of `b`; default zeros.
          forget_bias: added to the forget gate's bias at initialization.
          dtype: dtype of the variables and of the initial state.
          name: the module's name.
        """
        super().__init__(
            num_spatial_dims=1,
            input_shape=input_shape,
            output_channels=output_channels,
            kernel_shape=kernel_shape,
            data_format=data_format,
            w_i_init=w_i_init,
            w_h_init=w_h_init,
            b_init=b_init,
            forget_bias=forget_bias,
            dtype=dtype,
            name=name,
        )


class Conv2DLSTM(_ConvNDLSTM):
    """2-D convolutional LSTM (see `_ConvNDLSTM` for the computation and variables)."""

    def __init__(
        self,
        input_shape: Sequence[int],
        output_channels: int,
        kernel_shape: int | Sequence[int],
        data_format: str = "NHWC",
        w_i_init: initializers.Initializer | None = None,
        w_h_init: initializers.Initializer | None = None,
        b_init: initializers.Initializer | None = None,
        forget_bias: float = 1.0,
        dtype: Any = jnp.float32,
        name: str | None = None,
    ):
        """Constructs a 2-D convolutional LSTM.

        Args:
          input_shape: the shape of one input without the batch axis.
          output_channels: the number of channels of the hidden and cell states.
          kernel_shape: the kernel size, an int or 2 ints.
          data_format: the input's layout.
          w_i_init: initializer of the input convolution's `w`; default truncated normal,
            stddev `1 / sqrt(fan_in)`.
          w_h_init: initializer of the hidden convolution's `w`; default as `w_i_init`.
          b_init: initializer of `b`; default zeros.
          forget_bias: added to the forget gate's bias at initialization.
          dtype: dtype of the variables and of the initial state.
          name: the module's name.
        """
        super().__init__(
            num_spatial_dims=2,
            input_shape=input_shape,
            output_channels=output_channels,
            kernel_shape=kernel_shape,
            data_format=data_format,
            w_i_init=w_i_init,
            w_h_init=w_h_init,
            b_init=b_init,
            forget_bias=forget_bias,
            dtype=dtype,
            name=name,
        )


class Conv3DLSTM(_ConvNDLSTM):
    """3-D convolutional LSTM (see `_ConvNDLSTM` for the computation and variables)."""

    def __init__(
        self,
        input_shape: Sequence[int],
        output_channels: int,
        kernel_shape: int | Sequence[int],
        data_format: str = "NDHWC",
        w_i_init: initializers.Initializer | None = None,
        w_h_init: initializers.Initializer | None = None,
        b_init: initializers.Initializer | None = None,
        forget_bias: float = 1.0,
        dtype: Any = jnp.float32,
        name: str | None = None,
    ):
        """Constructs a 3-D convolutional LSTM.

        Args:
          input_shape: the shape of one input without the batch axis.
          output_channels: the number of channels of the hidden and cell states.
          kernel_shape: the kernel size, an int or 3 ints.
          data_format: the input's layout.
          w_i_init: initializer of the input convolution's `w`; default truncated normal,
            stddev `1 / sqrt(fan_in)`.
          w_h_init: initializer of the hidden convolution's `w`; default as `w_i_init`.
          b_init: initializer of `b`; default zeros.
          forget_bias: added to the forget gate's bias at initialization.
          dtype: dtype of the variables and of the initial state.
          name: the module's name.
        """
        super().__init__(
            num_spatial_dims=3,
            input_shape=input_shape,
            output_channels=output_channels,
            kernel_shape=kernel_shape,
            data_format=data_format,
            w_i_init=w_i_init,
            w_h_init=w_h_init,
            b_init=b_init,
            forget_bias=forget_bias,
            dtype=dtype,
            name=name,
        )
