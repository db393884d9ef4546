"""`DeepRNN` and the deep RNNs with skip or residual connections."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import jax
import jax.numpy as jnp

from sonnax.compat._src.recurrent import rnn_core


def _concat(*arrays: jax.Array) -> jax.Array:
    return jnp.concatenate(arrays, axis=-1)


class _LegacyDeepRNN(rnn_core.RNNCore):
    """A chain of cores and callables, optionally with skip connections (as Sonnet 1's).

    Built by `DeepRNN` and `deep_rnn_with_*_connections`, not directly.
    """

    def __init__(
        self,
        layers: Sequence[rnn_core.RNNCore | Callable[[Any], Any]] | None,
        skip_connections: bool,
        concat_final_output_if_skip: bool = True,
        name: str | None = None,
    ):
        """Constructs the chain.

        Args:
          layers: `RNNCore`s and callables, applied in order.
          skip_connections: whether each layer after the first also sees the inputs
            (concatenated on the last axis).
          concat_final_output_if_skip: with skip connections, output the concatenation of
            every layer's outputs rather than the last layer's.
          name: the module's name.
        """
        super().__init__(name)
        self._layers = layers if layers is not None else []
        self._skip_connections = skip_connections
        self._concat_final_output_if_skip = concat_final_output_if_skip

    def __call__(self, inputs: Any, prev_state: Any) -> tuple[Any, tuple[Any, ...]]:
        """Runs each layer in turn; cores take their entry of `prev_state`.

        Args:
          inputs: a nest of arrays of shape `[batch, ...]`.
          prev_state: a tuple with one state per `RNNCore` layer.

        Returns:
          `(outputs, next_state)`, `next_state` a tuple with one state per core.
        """
        current_inputs = inputs
        outputs = []
        next_states = []
        recurrent_index = 0
        for index, layer in enumerate(self._layers):
            if self._skip_connections and index > 0:
                current_inputs = jax.tree.map(_concat, inputs, current_inputs)
            if isinstance(layer, rnn_core.RNNCore):
                current_inputs, next_state = layer(current_inputs, prev_state[recurrent_index])
                next_states.append(next_state)
                recurrent_index += 1
            else:
                current_inputs = layer(current_inputs)
            if self._skip_connections:
                outputs.append(current_inputs)
        if self._skip_connections and self._concat_final_output_if_skip:
            final_outputs = jax.tree.map(_concat, *outputs)
        else:
            final_outputs = current_inputs
        return final_outputs, tuple(next_states)

    def initial_state(self, batch_size: int, **kwargs: Any) -> tuple[Any, ...]:
        """A tuple of the initial states of the `RNNCore` layers.

        Args:
          batch_size: the batch size.
          **kwargs: passed to each core's `initial_state`.

        Returns:
          The initial state.
        """
        return tuple(
            layer.initial_state(batch_size, **kwargs)
            for layer in self._layers
            if isinstance(layer, rnn_core.RNNCore)
        )


class DeepRNN(_LegacyDeepRNN):
    """A chain of `RNNCore`s and callables run as one core.

    Each layer's outputs are the next layer's inputs; the state is a tuple with one
    entry per `RNNCore` layer (empty if there is none).
    """

    def __init__(
        self,
        layers: Sequence[rnn_core.RNNCore | Callable[[Any], Any]],
        name: str | None = None,
    ):
        """Constructs the chain.

        Args:
          layers: `RNNCore`s and callables, applied in order.
          name: the module's name.
        """
        super().__init__(layers, skip_connections=False, name=name)


def deep_rnn_with_skip_connections(
    layers: Sequence[rnn_core.RNNCore],
    concat_final_output: bool = True,
    name: str = "deep_rnn_with_skip_connections",
) -> rnn_core.RNNCore:
    """A `DeepRNN` in which each layer after the first sees `concat([inputs, previous outputs])`.

    Args:
      layers: the cores.
      concat_final_output: output the concatenation of every layer's outputs (default),
        or only the last layer's.
      name: the module's name.

    Returns:
      The core.

    Raises:
      ValueError: a layer is not an `RNNCore`.
    """
    if not all(isinstance(layer, rnn_core.RNNCore) for layer in layers):
        raise ValueError(
            "deep_rnn_with_skip_connections requires all layers to be instances of RNNCore, "
            f"got {[type(layer).__name__ for layer in layers]}"
        )
    return _LegacyDeepRNN(
        layers,
        skip_connections=True,
        concat_final_output_if_skip=concat_final_output,
        name=name,
    )


class _ResidualWrapper(rnn_core.RNNCore):
    """A core whose outputs are its base core's outputs plus its inputs."""

    def __init__(self, base_core: rnn_core.RNNCore):
        """Wraps `base_core`; the wrapper is named `<base name>_residual`.

        Args:
          base_core: the core to wrap.
        """
        super().__init__(name=base_core.name + "_residual")
        self._base_core = base_core

    def __call__(self, inputs: Any, prev_state: Any) -> tuple[Any, Any]:
        """Runs the base core and adds its inputs to its outputs.

        Args:
          inputs: a nest of arrays like the base core's outputs.
          prev_state: the base core's state.

        Returns:
          `(inputs + outputs, next_state)`.
        """
        outputs, next_state = self._base_core(inputs, prev_state)
        residual = jax.tree.map(lambda i, o: i + o, inputs, outputs)
        return residual, next_state

    def initial_state(self, batch_size: int, **kwargs: Any) -> Any:
        """The base core's initial state.

        Args:
          batch_size: the batch size.
          **kwargs: passed to the base core.

        Returns:
          The initial state.
        """
        return self._base_core.initial_state(batch_size, **kwargs)


def deep_rnn_with_residual_connections(
    layers: Sequence[rnn_core.RNNCore],
    name: str = "deep_rnn_with_residual_connections",
) -> rnn_core.RNNCore:
    """A `DeepRNN` in which each layer's outputs are added to its inputs.

    Args:
      layers: the cores; each one's outputs must have the shape of its inputs.
      name: the module's name.

    Returns:
      The core.

    Raises:
      ValueError: a layer is not an `RNNCore`.
    """
    if not all(isinstance(layer, rnn_core.RNNCore) for layer in layers):
        raise ValueError(
            "deep_rnn_with_residual_connections requires all layers to be instances of "
            f"RNNCore, got {[type(layer).__name__ for layer in layers]}"
        )
    return _LegacyDeepRNN(
        [_ResidualWrapper(layer) for layer in layers], skip_connections=False, name=name
    )
