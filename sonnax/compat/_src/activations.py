"""Default activations as plain module-level functions, so modules using them pickle.

`jax.nn.relu` and `jnp.tanh` are JAX-wrapped callables that `pickle` cannot find by
name; Sonnet's modules (whose defaults are `tf.nn.relu` and `tf.tanh`) pickle, so these
defaults must too.
"""

import jax
import jax.numpy as jnp


def relu(x: jax.Array) -> jax.Array:
    """`max(x, 0)`, as `jax.nn.relu` (Sonnet's default: `tf.nn.relu`)."""
    return jax.nn.relu(x)


def tanh(x: jax.Array) -> jax.Array:
    """The hyperbolic tangent, as `jnp.tanh` (Sonnet's default: `tf.tanh`)."""
    return jnp.tanh(x)
