"""`Program`: a model of any JAX library as pure functions, and the training step built on it.

Every JAX library (hand-written, sonnax, dm-haiku, Flax linen and nnx, sonnax.compat) gives
the same four functions, so the training step, its optimizer and its loss are one piece of
code for all of them: what differs between libraries is only what the library itself does.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, NamedTuple

import jax
import jax.numpy as jnp
import optax

from benchmarks import specs

LEARNING_RATE = 0.01
MOMENTUM = 0.9


class Program(NamedTuple):
    """One model in one library.

    Attributes:
      init: `init(key, inputs) -> (params, state)`; pure, so it can be jitted.
      train_apply: `train_apply(params, state, inputs) -> (outputs, state)` in training mode.
      forward: `forward(params, state, inputs) -> outputs` in inference mode.
      bind: `bind(params, state) -> apply`, where `apply(inputs) -> outputs` is the
        un-jitted inference call as the library's users write it.
      optimizer: the optax optimizer (SGD with momentum; compat's is its own port).
    """

    init: Callable[[jax.Array, jax.Array], tuple[Any, Any]]
    train_apply: Callable[[Any, Any, jax.Array], tuple[jax.Array, Any]]
    forward: Callable[[Any, Any, jax.Array], jax.Array]
    bind: Callable[[Any, Any], Callable[[jax.Array], jax.Array]]
    optimizer: optax.GradientTransformation = optax.sgd(LEARNING_RATE, momentum=MOMENTUM)


def loss(model: specs.ModelSpec, outputs: jax.Array, targets: jax.Array) -> jax.Array:
    """Mean softmax cross-entropy for classifiers, else mean squared error."""
    if model.classifies:
        return optax.softmax_cross_entropy_with_integer_labels(outputs, targets).mean()
    return jnp.mean(jnp.square(outputs - targets))


def train_step(model: specs.ModelSpec, program: Program) -> Callable[..., Any]:
    """`step(params, state, opt_state, inputs, targets) -> (params, state, opt_state, loss)`.

    Forward, backward and an optax update; the caller jits it with the first three
    arguments donated, as a training loop at its best does.
    """

    def objective(params: Any, state: Any, inputs: jax.Array, targets: jax.Array) -> Any:
        outputs, state = program.train_apply(params, state, inputs)
        return loss(model, outputs, targets), state

    def step(params: Any, state: Any, opt_state: Any, inputs: jax.Array, targets: jax.Array):
        grad_fn = jax.value_and_grad(objective, has_aux=True)
        (value, state), grads = grad_fn(params, state, inputs, targets)
        updates, opt_state = program.optimizer.update(grads, opt_state, params)
        return optax.apply_updates(params, updates), state, opt_state, value

    return step
