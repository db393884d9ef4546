"""`DeepRNN` and `deep_rnn_with_skip_connections`: stacks of cores run as one core."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import jax
import jax.numpy as jnp

from sonnax._src.recurrent import rnn_core


def _concatenate_with_inputs(inputs: Any, previous_outputs: Any) -> Any:
    """Concatenates the core's inputs with the previous layer's outputs, leaf by leaf."""
    join = lambda x, *rest: None if x is None else jnp.concatenate((x, *rest), axis=-1)
    return jax.tree.map(join, inputs, previous_outputs, is_leaf=lambda x: x is None)


class _DeepRNN(rnn_core.RNNCore):
    """A stack of cores and plain callables, optionally with skip connections.

    Named as Haiku's class so that the default module name (`__deep_rnn`) matches.
    """

    def __init__(self, layers: Sequence[Any], skip_connections: bool, name: str | None = None):
        super().__init__(name=name)
        self.layers = layers
        self.skip_connections = skip_connections
        if skip_connections:
            for index, layer in enumerate(layers):
                if not isinstance(layer, rnn_core.RNNCore):
                    raise ValueError(
                        "skip_connections requires for all layers to be `hk.RNNCore`s. "
                        f"Layers is: {layers}; layer {index} ({layer!r}) of "
                        f"{self.module_name!r} is not an RNNCore."
                    )

    def __call__(self, inputs: Any, state: Sequence[Any]) -> tuple[Any, tuple[Any, ...]]:
        """Runs every layer once, feeding each the previous one's output.

        Args:
          inputs: the stack's inputs for this step.
          state: one state per `RNNCore` layer, in order.

        Returns:
          `(outputs, next_states)`: the last layer's output (with skip connections, every
          core's output concatenated on the last axis) and a tuple of next states.

        Raises:
          TypeError: skip connections with no layers, so there is no output to concatenate.
        """
        current = inputs
        next_states: list[Any] = []
        core_outputs: list[Any] = []
        for index, layer in enumerate(self.layers):
            if self.skip_connections and index > 0:
                current = _concatenate_with_inputs(inputs, current)
            if isinstance(layer, rnn_core.RNNCore):
                current, next_state = layer(current, state[len(next_states)])
                core_outputs.append(current)
                next_states.append(next_state)
            else:
                current = layer(current)
        if not self.skip_connections:
            return current, tuple(next_states)
        if not core_outputs:
            raise TypeError(
                f"{self.module_name!r} has skip connections but no layers: its output is the "
                "concatenation of its cores' outputs, so it needs at least one core."
            )
        concatenate = lambda *outputs: jnp.concatenate(outputs, axis=-1)
        return jax.tree.map(concatenate, *core_outputs), tuple(next_states)

    def initial_state(self, batch_size: int | None) -> tuple[Any, ...]:
        """A tuple of each `RNNCore` layer's initial state, in order."""
        return tuple(
            layer.initial_state(batch_size)
            for layer in self.layers
            if isinstance(layer, rnn_core.RNNCore)
        )


class DeepRNN(_DeepRNN):
    """Runs a sequence of cores and plain callables as one core.

    Each layer takes the previous layer's output; the state is a tuple with one
    entry per `RNNCore` layer (empty if there is none).

    >>> import sonnax as hk
    >>> import jax, jax.numpy as jnp
    >>> def f(x):
    ...     core = hk.DeepRNN([hk.LSTM(4), jax.nn.relu, hk.GRU(2)])
    ...     return core(x, core.initial_state(2))
    >>> params = hk.transform(f).init(jax.random.PRNGKey(0), jnp.ones([2, 3]))
    >>> for name, shapes in jax.tree.map(jnp.shape, params).items():
    ...     print(name, shapes)
    gru {'b': (6,), 'w_h': (2, 6), 'w_i': (4, 6)}
    lstm/linear {'b': (16,), 'w': (7, 16)}
    """

    def __init__(self, layers: Sequence[Any], name: str | None = None):
        """Constructs the stack.

        Args:
          layers: cores and callables, run in order.
          name: the module's name.
        """
        super().__init__(layers, skip_connections=False, name=name)


def deep_rnn_with_skip_connections(
    layers: Sequence[rnn_core.RNNCore], name: str | None = None
) -> rnn_core.RNNCore:
    """A deep core whose layers after the first also see the stack's inputs.

    Layer `i > 0` takes the concatenation of the stack's inputs and layer `i - 1`'s
    outputs; the stack's output is every layer's output, concatenated.

    >>> import sonnax as hk
    >>> import jax, jax.numpy as jnp
    >>> def f(x):
    ...     core = hk.deep_rnn_with_skip_connections([hk.GRU(4), hk.GRU(2)])
    ...     return core(x, core.initial_state(2))[0]
    >>> f, x = hk.transform(f), jnp.ones([2, 3])
    >>> f.apply(f.init(jax.random.PRNGKey(0), x), None, x).shape
    (2, 6)

    Args:
      layers: the cores, all `RNNCore`s.
      name: the module's name.

    Returns:
      The stacked core.

    Raises:
      ValueError: a layer is not an `RNNCore`.
    """
    return _DeepRNN(layers, skip_connections=True, name=name)
