"""The small regression problem every multi-device test trains, and its Haiku reference.

A builder takes `lib` (`haiku` or `sonnax`), so the reference is dm-haiku running the same
code on one device over the full batch.
"""

import functools
from typing import Any

import haiku
import jax
import jax.numpy as jnp
import numpy as np
from jax.sharding import Mesh

import sonnax

NUM_DEVICES = 8
BATCH, IN, HIDDEN, OUT = 16, 6, 8, 4
LEARNING_RATE = 0.1
STEPS = 3

X = jax.random.normal(jax.random.PRNGKey(1), [BATCH, IN])
Y = jax.random.normal(jax.random.PRNGKey(2), [BATCH, OUT])
KEY = jax.random.PRNGKey(42)


def loss_fn(lib: Any):
    """Mean squared error of a two-layer MLP (`linear` then `linear_1`)."""

    def loss(x, y):
        hidden = jax.nn.relu(lib.Linear(HIDDEN)(x))
        return jnp.mean((lib.Linear(OUT)(hidden) - y) ** 2)

    return lib.without_apply_rng(lib.transform(loss))


def sgd(params, grads):
    return jax.tree.map(lambda p, g: p - LEARNING_RATE * g, params, grads)


@functools.cache
def sonnax_params():
    """sonnax's initial params of `loss_fn`, from a jitted `init` (compiled once per run)."""
    return jax.jit(loss_fn(sonnax).init)(KEY, X, Y)


@functools.cache
def haiku_training():
    """`(params, losses)` after `STEPS` full-batch SGD steps of dm-haiku on one device."""
    f = loss_fn(haiku)
    params = jax.jit(f.init)(KEY, X, Y)
    value_and_grad = jax.jit(jax.value_and_grad(f.apply))
    losses = []
    for _ in range(STEPS):
        value, grads = value_and_grad(params, X, Y)
        params = sgd(params, grads)
        losses.append(value)
    return params, np.array(losses)


def data_mesh() -> Mesh:
    """All 8 devices on one "data" axis (automatic sharding)."""
    return Mesh(np.array(jax.devices()), ("data",))


def data_model_mesh() -> Mesh:
    """A 4x2 ("data", "model") mesh (automatic sharding)."""
    return Mesh(np.array(jax.devices()).reshape([4, 2]), ("data", "model"))
