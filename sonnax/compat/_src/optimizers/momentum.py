"""`Momentum`: Sonnet's SGD with (optionally Nesterov) momentum."""

from __future__ import annotations

from typing import Any, NamedTuple

import jax
import optax

from sonnax.compat._src import base
from sonnax.compat._src.optimizers import optimizer_utils


class MomentumState(NamedTuple):
    """`Momentum`'s slots, named as Sonnet's attribute.

    Attributes:
      accumulated_momentum: one array per parameter, in the parameters' structure.
    """

    accumulated_momentum: Any


class Momentum(base.Optimizer):
    """SGD with momentum: `accum = momentum * accum + update`, then
    `parameter -= learning_rate * accum`, or with Nesterov momentum
    `parameter -= learning_rate * (momentum * accum + update)`.

    Attributes:
      learning_rate: the learning rate.
      momentum: the momentum scalar.
      use_nesterov: whether the update uses Nesterov momentum.
    """

    def __init__(
        self,
        learning_rate: Any,
        momentum: Any,
        use_nesterov: bool = False,
        name: str | None = None,
    ):
        """Constructs the optimizer.

        Args:
          learning_rate: the learning rate (a number or a scalar array).
          momentum: the momentum scalar.
          use_nesterov: whether to use Nesterov momentum.
          name: the optimizer's name.
        """
        super().__init__(name)
        self.learning_rate = learning_rate
        self.momentum = momentum
        self.use_nesterov = use_nesterov

    def gradient_transformation(self) -> optax.GradientTransformation:
        """The same update as an optax `GradientTransformation` (no `None` updates)."""
        return self._transform(None)

    def _transform(self, dtype: Any) -> optax.GradientTransformation:
        # optax's trace is `update + momentum * trace`, with the same Nesterov step, then
        # scaled by -learning_rate: Sonnet's arithmetic.
        return optax.sgd(
            optimizer_utils.cast(self.learning_rate, dtype),
            momentum=optimizer_utils.cast(self.momentum, dtype),
            nesterov=self.use_nesterov,
        )

    def init(self, parameters: Any) -> MomentumState:
        """Zero accumulated momentum for each parameter.

        Args:
          parameters: a pytree of arrays.

        Returns:
          The initial `MomentumState`.
        """
        return MomentumState(accumulated_momentum=optimizer_utils.zeros_like(parameters))

    def apply(
        self, opt_state: MomentumState, updates: Any, parameters: Any
    ) -> tuple[Any, MomentumState]:
        """Applies `updates` to `parameters`.

        Args:
          opt_state: the state from `init` or the previous `apply`.
          updates: a pytree like `parameters` (often gradients), `None` for no update
            (that parameter and its momentum are left as they are).
          parameters: a pytree of arrays.

        Returns:
          `(new_parameters, new_opt_state)`.

        Raises:
          ValueError: `updates` and `parameters` differ in structure or dtype, are empty,
            or no update is given.
        """

        def update_one(
            update: jax.Array, parameter: jax.Array, accumulated: jax.Array
        ) -> tuple[jax.Array, jax.Array]:
            transform = self._transform(update.dtype)
            state = optax.tree.set(transform.init(parameter), trace=accumulated)
            delta, state = transform.update(update, state, parameter)
            return optax.apply_updates(parameter, delta), optax.tree.get(state, "trace")

        new_parameters, (accumulated_momentum,) = optimizer_utils.apply_per_parameter(
            updates, parameters, (opt_state.accumulated_momentum,), update_one
        )
        return new_parameters, MomentumState(accumulated_momentum=accumulated_momentum)
