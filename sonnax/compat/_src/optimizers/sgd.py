"""`SGD`: Sonnet's stochastic gradient descent, `parameter -= learning_rate * update`."""

from __future__ import annotations

from typing import Any

import jax
import optax

from sonnax.compat._src import base
from sonnax.compat._src.optimizers import optimizer_utils


class SGD(base.Optimizer):
    """Stochastic gradient descent; it has no slots, so its state is `optax.EmptyState()`.

    >>> import jax.numpy as jnp
    >>> from sonnax import compat as snt
    >>> opt = snt.optimizers.SGD(learning_rate=0.5)
    >>> params = [jnp.array([1.0, 2.0])]
    >>> params, state = opt.apply(opt.init(params), [jnp.array([2.0, 2.0])], params)
    >>> params
    [Array([0., 1.], dtype=float32)]

    Attributes:
      learning_rate: the learning rate.
    """

    def __init__(self, learning_rate: Any, name: str | None = None):
        """Constructs the optimizer.

        Args:
          learning_rate: the learning rate (a number or a scalar array).
          name: the optimizer's name.
        """
        super().__init__(name)
        self.learning_rate = learning_rate

    def gradient_transformation(self) -> optax.GradientTransformation:
        """The same update as an optax `GradientTransformation` (no `None` updates)."""
        return self._transform(None)

    def _transform(self, dtype: Any) -> optax.GradientTransformation:
        # optax.sgd scales by -learning_rate: the same product as Sonnet's, negated exactly.
        return optax.sgd(optimizer_utils.cast(self.learning_rate, dtype))

    def init(self, parameters: Any) -> optax.EmptyState:
        """The (empty) state.

        Args:
          parameters: a pytree of arrays.

        Returns:
          `optax.EmptyState()`.
        """
        del parameters
        return optax.EmptyState()

    def apply(
        self, opt_state: optax.EmptyState, updates: Any, parameters: Any
    ) -> tuple[Any, optax.EmptyState]:
        """Applies `updates` to `parameters`.

        Args:
          opt_state: the state from `init`.
          updates: a pytree like `parameters` (often gradients), `None` for no update.
          parameters: a pytree of arrays.

        Returns:
          `(new_parameters, opt_state)`.

        Raises:
          ValueError: `updates` and `parameters` differ in structure or dtype, are empty,
            or no update is given.
        """

        def update_one(update: jax.Array, parameter: jax.Array) -> tuple[jax.Array]:
            transform = self._transform(update.dtype)
            delta, _ = transform.update(update, transform.init(parameter), parameter)
            return (optax.apply_updates(parameter, delta),)

        new_parameters, _ = optimizer_utils.apply_per_parameter(updates, parameters, (), update_one)
        return new_parameters, opt_state
