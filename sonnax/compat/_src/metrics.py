"""Sonnet's metrics: `Metric`, `Sum` and `Mean`, whose variables are sonnax state."""

from __future__ import annotations

import abc
from typing import Any

import jax
import jax.numpy as jnp

from sonnax._src.core import state
from sonnax.compat._src import base, once

# Sonnet's `tf.int64` counters; int32 unless jax_enable_x64 is on.
COUNTER_DTYPE = jax.dtypes.canonicalize_dtype(jnp.int64)


class Metric(base.Module):  # Module's metaclass is already an ABCMeta.
    """Base class of metrics: `update` with values, read `value`, `reset` to the start."""

    @abc.abstractmethod
    def initialize(self, value: Any) -> None:
        """Creates the variables that depend on the first value."""

    @abc.abstractmethod
    def update(self, value: Any) -> None:
        """Accumulates `value`."""

    @property
    @abc.abstractmethod
    def value(self) -> Any:
        """The metric's current value."""

    @abc.abstractmethod
    def reset(self) -> None:
        """Returns the metric to its state before any update."""

    def __call__(self, value: Any) -> Any:
        """Updates the metric with `value` and returns its new value."""
        self.update(value)
        return self.value


class Sum(Metric):
    """Element-wise sum of the values given; state `sum`."""

    def __init__(self, name: str | None = None):
        """Constructs the metric.

        Args:
          name: the module's name.
        """
        super().__init__(name=name)

    @once.once
    def initialize(self, value: jax.Array) -> None:
        """Creates `sum`, zeros shaped like `value`."""
        value = jnp.asarray(value)
        state.get_state("sum", value.shape, value.dtype, init=jnp.zeros)

    @property
    def sum(self) -> jax.Array:
        """The running sum."""
        return state.get_state("sum")

    def update(self, value: jax.Array) -> None:
        """Adds `value` to the sum."""
        self.initialize(value)
        # A TF variable assignment carries no gradient; neither does this state.
        state.set_state("sum", jax.lax.stop_gradient(self.sum + value))

    @property
    def value(self) -> jax.Array:
        """The sum so far."""
        return self.sum

    def reset(self) -> None:
        """Sets the sum to zeros."""
        state.set_state("sum", jnp.zeros_like(self.sum))


class Mean(Metric):
    """Element-wise mean of the values given; state `sum` and the integer `count`."""

    def __init__(self, name: str | None = None):
        """Constructs the metric.

        Args:
          name: the module's name.
        """
        super().__init__(name=name)
        state.get_state("count", [], COUNTER_DTYPE, init=jnp.zeros)

    @once.once
    def initialize(self, value: jax.Array) -> None:
        """Creates `sum`, zeros shaped like `value`."""
        value = jnp.asarray(value)
        state.get_state("sum", value.shape, value.dtype, init=jnp.zeros)

    @property
    def sum(self) -> jax.Array:
        """The running sum."""
        return state.get_state("sum")

    @property
    def count(self) -> jax.Array:
        """The number of updates."""
        return state.get_state("count")

    def update(self, value: jax.Array) -> None:
        """Adds `value` to the sum and one to the count."""
        self.initialize(value)
        # A TF variable assignment carries no gradient; neither does this state.
        state.set_state("sum", jax.lax.stop_gradient(self.sum + value))
        state.set_state("count", self.count + 1)

    @property
    def value(self) -> jax.Array:
        """The sum divided by the count."""
        total = self.sum
        return total / self.count.astype(total.dtype)

    def reset(self) -> None:
        """Sets the sum to zeros and the count to 0."""
        state.set_state("sum", jnp.zeros_like(self.sum))
        state.set_state("count", jnp.zeros_like(self.count))
