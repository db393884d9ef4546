"""`RNNCore` and `UnrolledRNN`: the interfaces of Sonnet's recurrent modules."""

from __future__ import annotations

import abc
from typing import Any

import jax.numpy as jnp

from sonnax.compat._src import base


class RNNCore(base.Module):
    """Base class of recurrent cores: one time step, `(inputs, prev_state) -> (outputs, state)`.

    Subclasses implement `__call__` and `initial_state` (as in Sonnet, a subclass missing
    one can still be constructed); `static_unroll` and `dynamic_unroll` run a core over a
    time-major sequence.
    """

    @abc.abstractmethod
    def __call__(self, inputs: Any, prev_state: Any) -> tuple[Any, Any]:
        """Runs one step.

        Args:
          inputs: a nest of arrays of shape `[batch, ...]`.
          prev_state: the previous state of the core.

        Returns:
          `(outputs, next_state)`: a nest of `[batch, ...]` arrays and a state with the
          structure and shapes of `prev_state`.
        """

    @abc.abstractmethod
    def initial_state(self, batch_size: int, **kwargs: Any) -> Any:
        """Returns a state to start from.

        Args:
          batch_size: the batch size.
          **kwargs: options of the particular core.

        Returns:
          A nest of arrays with leading axis `batch_size`.
        """


class UnrolledRNN(base.Module):
    """Base class of recurrent networks that run over a whole sequence in one call."""

    @abc.abstractmethod
    def __call__(self, input_sequence: Any, initial_state: Any) -> tuple[Any, Any]:
        """Runs the network over a sequence.

        Args:
          input_sequence: a nest of arrays of shape `[time, batch, ...]`.
          initial_state: the state before the first step.

        Returns:
          `(output_sequence, final_state)`: a nest of `[time, batch, ...]` arrays and the
          state after the last step.
        """

    @abc.abstractmethod
    def initial_state(self, batch_size: int, **kwargs: Any) -> Any:
        """Returns a state to start from.

        Args:
          batch_size: the batch size.
          **kwargs: options of the particular network.

        Returns:
          A nest of arrays with leading axis `batch_size`.
        """


def _abstract_in_base_only(cls: type) -> None:
    """Makes `cls` abstract but lets its subclasses be built without every method.

    Sonnet's method wrappers drop the abstract marker, so an `RNNCore` subclass that
    only defines `__call__` (say, a core always given a state) can be constructed; a
    ported model may rely on it.
    """
    for name in cls.__abstractmethods__:  # type: ignore[attr-defined]
        getattr(cls, name).__isabstractmethod__ = False


_abstract_in_base_only(RNNCore)
_abstract_in_base_only(UnrolledRNN)


def check_inputs_dtype(inputs: Any, expected_dtype: Any, module: base.Module) -> Any:
    """Raises a `TypeError` naming `module` unless `inputs` has the module's dtype.

    Args:
      inputs: the array given to the module.
      expected_dtype: the dtype of the module's variables.
      module: the module checking its input.

    Returns:
      `expected_dtype` as a NumPy dtype.
    """
    expected = jnp.dtype(expected_dtype)
    if jnp.dtype(inputs.dtype) != expected:
        raise TypeError(
            f"{type(module).__name__} {module.module_name!r}: inputs must have dtype "
            f"{expected.name}, got {jnp.dtype(inputs.dtype).name}."
        )
    return expected
