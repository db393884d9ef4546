"""`LSTM`, `UnrolledLSTM`, `LSTMState` and `lstm_with_recurrent_dropout`."""

from __future__ import annotations

import functools
from typing import Any, NamedTuple

import jax
import jax.numpy as jnp

from sonnax._src.core import params, rng
from sonnax.compat._src import initializers, once, utils
from sonnax.compat._src.recurrent import rnn_core, unroll


class LSTMState(NamedTuple):
    """The state of an LSTM.

    Attributes:
      hidden: the hidden state `h` (the core's output), `[batch, hidden or projection size]`.
      cell: the cell state `c`, `[batch, hidden_size]`.
    """

    hidden: Any
    cell: Any


class WithForgetBias(initializers.Initializer):
    """The gate biases `[i, f, g, o]`: those of `b_init`, plus `forget_bias` on `f`.

    Sonnet adds the forget bias to the initial value of `b` (it is stored in the
    variable), not to the pre-activations at every step.
    """

    def __init__(self, b_init: initializers.Initializer, forget_bias: float):
        """Creates the initializer.

        Args:
          b_init: the initializer of all four biases.
          forget_bias: added to the forget gate's quarter.
        """
        self.b_init = b_init
        self.forget_bias = forget_bias

    def __call__(self, shape: Any, dtype: Any) -> jax.Array:
        b_i, b_f, b_g, b_o = jnp.split(self.b_init(shape, dtype), 4)
        return jnp.concatenate([b_i, b_f + self.forget_bias, b_g, b_o]).astype(dtype)


def _lstm_fn(
    inputs: jax.Array,
    prev_state: LSTMState,
    w_i: jax.Array,
    w_h: jax.Array,
    b: jax.Array,
    projection: jax.Array | None = None,
) -> tuple[jax.Array, LSTMState]:
    """One LSTM step; the gates are laid out `[input, forget, cell update, output]`."""
    gates = jnp.matmul(inputs, w_i) + jnp.matmul(prev_state.hidden, w_h) + b
    i, f, g, o = jnp.split(gates, 4, axis=1)
    next_cell = jax.nn.sigmoid(f) * prev_state.cell + jax.nn.sigmoid(i) * jnp.tanh(g)
    next_hidden = jax.nn.sigmoid(o) * jnp.tanh(next_cell)
    if projection is not None:
        next_hidden = jnp.matmul(next_hidden, projection)
    return next_hidden, LSTMState(hidden=next_hidden, cell=next_cell)


def _gate_parameters(
    module: Any, input_size: int, recurrent_size: int, dtype: Any
) -> tuple[jax.Array, jax.Array, jax.Array]:
    """`w_i`, `w_h` and `b` of an LSTM (`LSTM` or `UnrolledLSTM`), in the module's scope.

    The gates are laid out `i, f, g, o` on the last axis; `b` starts with the forget bias
    added to its `f` block, as Sonnet stores it.
    """
    gates = 4 * module._hidden_size
    w_i_init = module._w_i_init or initializers.fan_in_truncated_normal(input_size)
    w_h_init = module._w_h_init or initializers.fan_in_truncated_normal(recurrent_size)
    b_init = WithForgetBias(module._b_init, module._forget_bias)
    return (
        params.get_parameter("w_i", [input_size, gates], dtype, init=w_i_init),
        params.get_parameter("w_h", [recurrent_size, gates], dtype, init=w_h_init),
        params.get_parameter("b", [gates], dtype, init=b_init),
    )


class LSTM(rnn_core.RNNCore):
    """Long short-term memory core, optionally with a projection of the hidden state.

    Variables: `w_i` `[input_size, 4 * hidden_size]`, `w_h` `[hidden_size or
    projection_size, 4 * hidden_size]`, `b` `[4 * hidden_size]` (gates in the order
    input, forget, cell update, output; `forget_bias` is added to the forget quarter
    of `b` at initialization) and, with `projection_size`, `projection`
    `[hidden_size, projection_size]`.
    """

    def __init__(
        self,
        hidden_size: int,
        projection_size: int | None = None,
        projection_init: initializers.Initializer | None = None,
        w_i_init: initializers.Initializer | None = None,
        w_h_init: initializers.Initializer | None = None,
        b_init: initializers.Initializer | None = None,
        forget_bias: float = 1.0,
        dtype: Any = jnp.float32,
        name: str | None = None,
    ):
        """Constructs the core.

        Args:
          hidden_size: size of the cell state (and hidden state without a projection).
          projection_size: if set, the hidden state is projected to this size.
          projection_init: initializer of the projection; default truncated normal, stddev
            `1 / sqrt(hidden_size)`. Must be `None` without a projection.
          w_i_init: initializer of `w_i`; default truncated normal, stddev
            `1 / sqrt(input_size)`.
          w_h_init: initializer of `w_h`; default truncated normal, stddev `1 / sqrt(h)`,
            `h` the hidden state's size.
          b_init: initializer of `b`; default zeros.
          forget_bias: added to the forget gate's bias at initialization.
          dtype: dtype of the variables and of the initial state.
          name: the module's name.
        """
        super().__init__(name)
        self._hidden_size = hidden_size
        self._projection_size = projection_size
        self._eff_hidden_size = projection_size or hidden_size
        self._projection_init = projection_init
        if projection_size is None and projection_init is not None:
            raise ValueError("projection_init must be None when projection is not used")
        self._w_i_init = w_i_init
        self._w_h_init = w_h_init
        self._b_init = b_init or initializers.Zeros()
        self._forget_bias = forget_bias
        self._dtype = dtype

    def __call__(self, inputs: jax.Array, prev_state: LSTMState) -> tuple[jax.Array, LSTMState]:
        """Runs one step.

        Args:
          inputs: array of shape `[batch, input_size]`.
          prev_state: the previous `LSTMState`.

        Returns:
          `(next_hidden, LSTMState(next_hidden, next_cell))`.
        """
        self._initialize(inputs)
        return _lstm_fn(inputs, prev_state, self._w_i, self._w_h, self.b, self.projection)

    def initial_state(self, batch_size: int) -> LSTMState:  # type: ignore[override]
        """Zero hidden and cell states.

        Args:
          batch_size: the batch size.

        Returns:
          The initial `LSTMState`.
        """
        return LSTMState(
            hidden=jnp.zeros([batch_size, self._eff_hidden_size], dtype=self._dtype),
            cell=jnp.zeros([batch_size, self._hidden_size], dtype=self._dtype),
        )

    @property
    def input_to_hidden(self) -> jax.Array:
        """`w_i`, `[input_size, 4 * hidden_size]`."""
        return self._w_i

    @property
    def hidden_to_hidden(self) -> jax.Array:
        """`w_h`, `[hidden_size or projection_size, 4 * hidden_size]`."""
        return self._w_h

    @once.once
    def _initialize(self, inputs: jax.Array) -> None:
        utils.assert_rank(inputs, 2, self)
        input_size = inputs.shape[1]
        dtype = rnn_core.check_inputs_dtype(inputs, self._dtype, self)
        self._w_i, self._w_h, self.b = _gate_parameters(
            self, input_size, self._eff_hidden_size, dtype
        )
        self.projection: jax.Array | None
        if self._projection_size is None:
            self.projection = None
        else:
            projection_init = self._projection_init or initializers.fan_in_truncated_normal(
                self._hidden_size
            )
            self.projection = params.get_parameter(
                "projection",
                [self._hidden_size, self._projection_size],
                dtype,
                init=projection_init,
            )


class UnrolledLSTM(rnn_core.UnrolledRNN):
    """An LSTM run over a whole time-major sequence in one call.

    Its variables (`w_i`, `w_h`, `b`) and results are those of an `LSTM` unrolled with
    `dynamic_unroll`; Sonnet picks a device-specialized kernel, here XLA compiles the loop.
    """

    def __init__(
        self,
        hidden_size: int,
        w_i_init: initializers.Initializer | None = None,
        w_h_init: initializers.Initializer | None = None,
        b_init: initializers.Initializer | None = None,
        forget_bias: float = 1.0,
        dtype: Any = jnp.float32,
        name: str | None = None,
    ):
        """Constructs the network.

        Args:
          hidden_size: size of the hidden and cell states.
          w_i_init: initializer of `w_i`; default truncated normal, stddev
            `1 / sqrt(input_size)`.
          w_h_init: initializer of `w_h`; default truncated normal, stddev
            `1 / sqrt(hidden_size)`.
          b_init: initializer of `b`; default zeros.
          forget_bias: added to the forget gate's bias at initialization.
          dtype: dtype of the variables and of the initial state.
          name: the module's name.
        """
        super().__init__(name)
        self._hidden_size = hidden_size
        self._w_i_init = w_i_init
        self._w_h_init = w_h_init
        self._b_init = b_init or initializers.Zeros()
        self._forget_bias = forget_bias
        self._dtype = dtype

    def __call__(
        self, input_sequence: jax.Array, initial_state: LSTMState
    ) -> tuple[jax.Array, LSTMState]:
        """Runs the LSTM over the sequence.

        Args:
          input_sequence: array of shape `[time, batch, input_size]`.
          initial_state: the `LSTMState` before the first step.

        Returns:
          `(hidden states [time, batch, hidden_size], final LSTMState)`.
        """
        self._initialize(input_sequence)
        step = functools.partial(_lstm_fn, w_i=self._w_i, w_h=self._w_h, b=self.b)
        return unroll.dynamic_unroll(step, input_sequence, initial_state)

    def initial_state(self, batch_size: int) -> LSTMState:  # type: ignore[override]
        """Zero hidden and cell states.

        Args:
          batch_size: the batch size.

        Returns:
          The initial `LSTMState`.
        """
        return LSTMState(
            hidden=jnp.zeros([batch_size, self._hidden_size], dtype=self._dtype),
            cell=jnp.zeros([batch_size, self._hidden_size], dtype=self._dtype),
        )

    @property
    def input_to_hidden(self) -> jax.Array:
        """`w_i`, `[input_size, 4 * hidden_size]`."""
        return self._w_i

    @property
    def hidden_to_hidden(self) -> jax.Array:
        """`w_h`, `[hidden_size, 4 * hidden_size]`."""
        return self._w_h

    @once.once
    def _initialize(self, input_sequence: jax.Array) -> None:
        utils.assert_rank(input_sequence, 3, self)
        input_size = input_sequence.shape[2]
        dtype = rnn_core.check_inputs_dtype(input_sequence, self._dtype, self)
        self._w_i, self._w_h, self.b = _gate_parameters(self, input_size, self._hidden_size, dtype)


def _map_optional(fn: Any, tree: Any, optional: Any) -> Any:
    """`fn(leaf, entry)` over `tree`, `entry` the matching (possibly `None`) part of `optional`."""
    leaves, treedef = jax.tree.flatten(tree)
    entries = jax.tree.flatten(optional, is_leaf=lambda e: e is None)[0]
    return jax.tree.unflatten(treedef, [fn(x, e) for x, e in zip(leaves, entries, strict=True)])


class _RecurrentDropoutWrapper(rnn_core.RNNCore):
    """Applies fixed dropout masks to a base core's previous state.

    The masks are drawn in `initial_state` (one per state leaf whose rate is not
    `None`) and carried, unchanged, in the state: `(core_state, masks)`.
    Built by `lstm_with_recurrent_dropout`, not directly.
    """

    def __init__(self, base_core: rnn_core.RNNCore, rates: Any, seed: int | None = None):
        """Wraps `base_core`; the wrapper is named `<base name>_recurrent_dropout`.

        Args:
          base_core: the core to wrap.
          rates: dropout rates like the base core's state, `None` for no dropout.
          seed: if given, the masks depend only on it, not on the transform's rng.
        """
        super().__init__(name=base_core.name + "_recurrent_dropout")
        self._base_core = base_core
        self._rates = rates
        self._seed = seed

    def __call__(self, inputs: Any, prev_state: Any) -> tuple[Any, Any]:
        """Runs the base core on the masked previous state.

        Args:
          inputs: the base core's inputs.
          prev_state: `(core_state, dropout_masks)`.

        Returns:
          `(outputs, (next_core_state, dropout_masks))`.
        """
        prev_core_state, dropout_masks = prev_state
        prev_core_state = _map_optional(
            lambda s, mask: s if mask is None else s * mask, prev_core_state, dropout_masks
        )
        outputs, next_core_state = self._base_core(inputs, prev_core_state)
        return outputs, (next_core_state, dropout_masks)

    def initial_state(self, batch_size: int, **kwargs: Any) -> tuple[Any, Any]:
        """The base core's initial state and freshly drawn dropout masks.

        A mask is `1 / (1 - rate)` where a unit is kept and `0` where it is dropped.
        Without `seed` this draws a key from the transform's rng.

        Args:
          batch_size: the batch size.
          **kwargs: passed to the base core's `initial_state`.

        Returns:
          `(core_initial_state, dropout_masks)`.
        """
        core_initial_state = self._base_core.initial_state(batch_size, **kwargs)

        def mask(s: jax.Array, rate: float | None) -> jax.Array | None:
            if rate is None:
                return None
            key = rng.next_rng_key() if self._seed is None else jax.random.PRNGKey(self._seed)
            keep = jax.random.bernoulli(key, 1.0 - rate, jnp.shape(s))
            return jnp.where(keep, 1.0 / (1.0 - rate), 0.0).astype(s.dtype)

        return core_initial_state, _map_optional(mask, core_initial_state, self._rates)


def lstm_with_recurrent_dropout(
    hidden_size: int, dropout: float = 0.5, seed: int | None = None, **kwargs: Any
) -> tuple[rnn_core.RNNCore, LSTM]:
    """An `LSTM` with dropout on its previous hidden state, and the same `LSTM` without.

    The training core's state is `(LSTMState, LSTMState(hidden=mask, cell=None))`; its
    `initial_state` draws the mask (so it needs an rng unless `seed` is given).

    Args:
      hidden_size: the LSTM's hidden size.
      dropout: probability of dropping a unit of the hidden state, in `[0, 1)`.
      seed: if given, the mask depends only on it.
      **kwargs: passed to the `LSTM` constructor.

    Returns:
      `(train_lstm, test_lstm)`: the wrapped core and the plain `LSTM` it shares.

    Raises:
      ValueError: `dropout` is not in `[0, 1)`.
    """
    if dropout < 0 or dropout >= 1:
        raise ValueError(f"dropout must be in the range [0, 1), got {dropout}")
    lstm = LSTM(hidden_size, **kwargs)
    rate = LSTMState(hidden=dropout, cell=None)
    return _RecurrentDropoutWrapper(lstm, rate, seed), lstm
