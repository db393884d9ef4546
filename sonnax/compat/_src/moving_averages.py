"""`ExponentialMovingAverage`: Sonnet's debiased moving average, with sonnax state."""

from __future__ import annotations

import jax
import jax.numpy as jnp

from sonnax._src.core import state
from sonnax.compat._src import metrics, once


class ExponentialMovingAverage(metrics.Metric):
    """Debiased exponential moving average (as in Adam), with state `counter`, `hidden`
    and `average`.

    Starting from `hidden = 0`, each update with `value` sets
    `hidden -= (hidden - value) * (1 - decay)`, then `average = hidden / (1 - decay**counter)`.
    """

    def __init__(self, decay: float, name: str | None = None):
        """Constructs the moving average.

        Args:
          decay: the decay; near 1 averages slowly, near 0 tracks the values closely.
          name: the module's name.
        """
        super().__init__(name=name)
        self._decay = decay
        state.get_state("counter", [], metrics.COUNTER_DTYPE, init=jnp.zeros)

    @once.once
    def initialize(self, value: jax.Array) -> None:
        """Creates `hidden` and `average`, zeros shaped like `value`."""
        value = jnp.asarray(value)
        state.get_state("hidden", value.shape, value.dtype, init=jnp.zeros)
        state.get_state("average", value.shape, value.dtype, init=jnp.zeros)

    @property
    def average(self) -> jax.Array:
        """The current (debiased) average."""
        return state.get_state("average")

    def update(self, value: jax.Array) -> None:
        """Folds `value` into the average."""
        self.initialize(value)
        # A Sonnet variable holds the assigned value, not its history: no gradient flows
        # from the average back to the values folded into it.
        value = jax.lax.stop_gradient(jnp.asarray(value))
        counter = state.get_state("counter") + 1
        state.set_state("counter", counter)
        hidden = state.get_state("hidden")
        hidden = hidden - (hidden - value) * (1 - self._decay)
        state.set_state("hidden", jax.lax.stop_gradient(hidden))
        debias = 1.0 - jnp.power(jnp.asarray(self._decay, value.dtype), counter.astype(value.dtype))
        # A TF variable assignment carries no gradient; neither does this state.
        state.set_state("average", jax.lax.stop_gradient(hidden / debias))

    @property
    def value(self) -> jax.Array:
        """The current (debiased) average."""
        return self.average

    def reset(self) -> None:
        """Sets the counter, hidden value and average back to zeros."""
        for name in ("counter", "hidden", "average"):
            state.set_state(name, jnp.zeros_like(state.get_state(name)))
