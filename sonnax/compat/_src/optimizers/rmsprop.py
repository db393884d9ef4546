"""`RMSProp`: Sonnet's RMSProp, optionally centered, with plain momentum."""

from __future__ import annotations

from typing import Any, NamedTuple

import jax
import optax

from sonnax.compat._src import base
from sonnax.compat._src.optimizers import optimizer_utils


class RMSPropState(NamedTuple):
    """`RMSProp`'s slots, named as Sonnet's attributes.

    Attributes:
      mom: the accumulated momentum, in the parameters' structure.
      ms: the moving average of the squared updates.
      mg: the moving average of the updates when centered, else `None`.
    """

    mom: Any
    ms: Any
    mg: Any


class RMSProp(base.Optimizer):
    """RMSProp: `ms = decay * ms + (1 - decay) * update**2`,
    `mom = momentum * mom + learning_rate * update / sqrt(ms + epsilon)`,
    `parameter -= mom`; centered, `ms - mg**2` replaces `ms` in the square root, with
    `mg = decay * mg + (1 - decay) * update`.

    Attributes:
      learning_rate: the learning rate.
      decay: the decay of the moving averages.
      momentum: the momentum scalar.
      epsilon: a small value to avoid a zero denominator.
      centered: whether updates are normalized by the estimated variance.
    """

    def __init__(
        self,
        learning_rate: Any,
        decay: Any = 0.9,
        momentum: Any = 0.0,
        epsilon: Any = 1e-10,
        centered: bool = False,
        name: str | None = None,
    ):
        """Constructs the optimizer.

        Args:
          learning_rate: the learning rate.
          decay: the decay of the moving averages.
          momentum: the momentum scalar.
          epsilon: a small value to avoid a zero denominator.
          centered: whether to normalize by the estimated variance of the updates
            rather than their uncentered second moment.
          name: the optimizer's name.
        """
        super().__init__(name)
        self.learning_rate = learning_rate
        self.decay = decay
        self.momentum = momentum
        self.epsilon = epsilon
        self.centered = centered

    def gradient_transformation(self) -> optax.GradientTransformation:
        """The same update as an optax `GradientTransformation` (no `None` updates).

        Its hyperparameters stay Python numbers, so `1 - decay` is rounded once from a
        double where `apply` (like Sonnet) subtracts in the parameters' dtype.
        """
        return self._transform(None)

    def _transform(self, dtype: Any) -> optax.GradientTransformation:
        # optax's RMSProp (epsilon inside the square root, zero initial scale, no bias
        # correction, momentum as a trace of the learning-rate-scaled step) is Sonnet's.
        cast = lambda value: optimizer_utils.cast(value, dtype)
        return optax.rmsprop(
            cast(self.learning_rate),
            decay=cast(self.decay),
            eps=cast(self.epsilon),
            centered=self.centered,
            momentum=cast(self.momentum),
        )

    def init(self, parameters: Any) -> RMSPropState:
        """Zero slots for each parameter (`mg` only when centered).

        Args:
          parameters: a pytree of arrays.

        Returns:
          The initial `RMSPropState`.
        """
        zeros = optimizer_utils.zeros_like
        return RMSPropState(
            mom=zeros(parameters),
            ms=zeros(parameters),
            mg=zeros(parameters) if self.centered else None,
        )

    def apply(
        self, opt_state: RMSPropState, updates: Any, parameters: Any
    ) -> tuple[Any, RMSPropState]:
        """Applies `updates` to `parameters`.

        Args:
          opt_state: the state from `init` or the previous `apply`.
          updates: a pytree like `parameters` (often gradients), `None` for no update
            (that parameter and its slots are left as they are).
          parameters: a pytree of arrays.

        Returns:
          `(new_parameters, new_opt_state)`.

        Raises:
          ValueError: `updates` and `parameters` differ in structure or dtype, are empty,
            or no update is given.
        """

        def update_one(
            update: jax.Array, parameter: jax.Array, mom: jax.Array, ms: jax.Array, *mg: jax.Array
        ) -> tuple[jax.Array, ...]:
            transform = self._transform(update.dtype)
            # optax traces the step after scaling by -learning_rate: its trace is -mom
            # (negation is exact, so the slot keeps Sonnet's sign and bits).
            slots = {"trace": -mom, "nu": ms, **({"mu": mg[0]} if self.centered else {})}
            state = optax.tree.set(transform.init(parameter), **slots)
            delta, state = transform.update(update, state, parameter)
            new_slots = [optax.tree.get(state, key) for key in slots]
            new_slots[0] = -new_slots[0]
            return (optax.apply_updates(parameter, delta), *new_slots)

        slots = (opt_state.mom, opt_state.ms) + ((opt_state.mg,) if self.centered else ())
        new_parameters, new_slots = optimizer_utils.apply_per_parameter(
            updates, parameters, slots, update_one
        )
        mg = new_slots[2] if self.centered else None
        return new_parameters, RMSPropState(mom=new_slots[0], ms=new_slots[1], mg=mg)
