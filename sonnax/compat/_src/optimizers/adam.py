"""`Adam`: Sonnet's adaptive moment estimation optimizer (Kingma and Ba, Algorithm 1)."""

from __future__ import annotations

from typing import Any, NamedTuple

import jax
import jax.numpy as jnp
import optax

from sonnax.compat._src import base
from sonnax.compat._src.optimizers import optimizer_utils


class AdamState(NamedTuple):
    """`Adam`'s slots, named as Sonnet's attributes.

    Attributes:
      step: the number of `apply` calls made (Sonnet's `t` variable; int32 here).
      m: the biased first moment estimates, in the parameters' structure.
      v: the biased second raw moment estimates, in the parameters' structure.
    """

    step: jax.Array
    m: Any
    v: Any


class Adam(base.Optimizer):
    """Adam: `m = beta1 * m + (1 - beta1) * update`, `v = beta2 * v + (1 - beta2) * update**2`,
    `parameter -= learning_rate * m_hat / (sqrt(v_hat) + epsilon)` with bias-corrected
    `m_hat`, `v_hat`.

    Attributes:
      learning_rate: the step size (`alpha` in the paper).
      beta1: the decay rate of the first moment estimate.
      beta2: the decay rate of the second moment estimate.
      epsilon: a small value to avoid a zero denominator.
    """

    def __init__(
        self,
        learning_rate: Any = 0.001,
        beta1: Any = 0.9,
        beta2: Any = 0.999,
        epsilon: Any = 1e-8,
        name: str | None = None,
    ):
        """Constructs the optimizer.

        Args:
          learning_rate: the step size (`alpha` in the paper).
          beta1: the decay rate of the first moment estimate.
          beta2: the decay rate of the second moment estimate.
          epsilon: a small value to avoid a zero denominator.
          name: the optimizer's name.
        """
        super().__init__(name=name)
        self.learning_rate = learning_rate
        self.beta1 = beta1
        self.beta2 = beta2
        self.epsilon = epsilon

    def gradient_transformation(self) -> optax.GradientTransformation:
        """The same update as an optax `GradientTransformation` (no `None` updates).

        Its hyperparameters stay Python numbers, so `1 - beta2` is rounded once from a
        double where `apply` (like Sonnet) subtracts in the parameters' dtype.
        """
        return self._transform(None)

    def _transform(self, dtype: Any) -> optax.GradientTransformation:
        # optax's Adam is Sonnet's Algorithm 1: the same moment updates, bias correction
        # with the incremented step, and epsilon outside the square root.
        cast = lambda value: optimizer_utils.cast(value, dtype)
        return optax.adam(
            cast(self.learning_rate),
            b1=cast(self.beta1),
            b2=cast(self.beta2),
            eps=cast(self.epsilon),
        )

    def init(self, parameters: Any) -> AdamState:
        """Step zero and zero moments for each parameter.

        Args:
          parameters: a pytree of arrays.

        Returns:
          The initial `AdamState`.
        """
        return AdamState(
            step=jnp.zeros([], jnp.int32),
            m=optimizer_utils.zeros_like(parameters),
            v=optimizer_utils.zeros_like(parameters),
        )

    def apply(self, opt_state: AdamState, updates: Any, parameters: Any) -> tuple[Any, AdamState]:
        """Applies `updates` to `parameters`; the step counts every call.

        Args:
          opt_state: the state from `init` or the previous `apply`.
          updates: a pytree like `parameters` (often gradients), `None` for no update
            (that parameter and its moments are left as they are).
          parameters: a pytree of arrays.

        Returns:
          `(new_parameters, new_opt_state)`.

        Raises:
          ValueError: `updates` and `parameters` differ in structure or dtype, are empty,
            or no update is given.
        """

        def update_one(
            update: jax.Array, parameter: jax.Array, m: jax.Array, v: jax.Array
        ) -> tuple[jax.Array, jax.Array, jax.Array]:
            transform = self._transform(update.dtype)
            state = optax.tree.set(transform.init(parameter), count=opt_state.step, mu=m, nu=v)
            delta, state = transform.update(update, state, parameter)
            return (
                optax.apply_updates(parameter, delta),
                optax.tree.get(state, "mu"),
                optax.tree.get(state, "nu"),
            )

        new_parameters, (m, v) = optimizer_utils.apply_per_parameter(
            updates, parameters, (opt_state.m, opt_state.v), update_one
        )
        return new_parameters, AdamState(step=opt_state.step + 1, m=m, v=v)
