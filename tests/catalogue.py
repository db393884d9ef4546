"""One entry per public module: how to build it in a library, and the input it takes.

Cross-cutting tests (`test_catalogue.py`) run every entry under jit, grad, vmap,
pmap, sharded jit and bfloat16, with dm-haiku as the oracle. Add an entry when a
module lands; `build(lib)` must work with both `haiku` and `sonnax` as `lib`.
"""

import dataclasses
from collections.abc import Callable
from typing import Any

import jax
import jax.numpy as jnp


@dataclasses.dataclass(frozen=True)
class Entry:
    """A module under test.

    Attributes:
      name: the test id.
      build: `build(lib)` returns a function of one input array using `lib`'s modules.
      input_shape: the input's shape; the leading axis is the batch.
      needs_rng: whether apply must be given a key.
    """

    name: str
    build: Callable[[Any], Callable[[jax.Array], jax.Array]]
    input_shape: tuple[int, ...] = (8, 6)
    needs_rng: bool = False


def _sequential(lib):
    return lib.Sequential([lib.Linear(5), jax.nn.relu, lib.Linear(3)])


def _batch_apply(lib):
    return lambda x: lib.BatchApply(lib.Linear(4))(x)


def _deferred(lib):
    return lambda x: lib.Deferred(lambda: lib.Linear(3))(x)


def _mlp_with_dropout(lib):
    return lambda x: lib.nets.MLP([7, 2])(x, dropout_rate=0.5, rng=lib.next_rng_key())


ENTRIES = [
    Entry("linear", lambda lib: lib.Linear(4)),
    Entry("linear_no_bias", lambda lib: lib.Linear(4, with_bias=False)),
    Entry("bias", lambda lib: lib.Bias()),
    Entry("flatten", lambda lib: lambda x: lib.Flatten()(x), (8, 2, 3)),
    Entry("reshape", lambda lib: lambda x: lib.Reshape((3, 2))(x)),
    Entry("sequential", _sequential),
    Entry("batch_apply", _batch_apply, (8, 2, 6)),
    Entry("deferred", _deferred),
    Entry("mlp", lambda lib: lib.nets.MLP([7, 2])),
    Entry("mlp_dropout", _mlp_with_dropout, needs_rng=True),
    Entry("expand_apply", lambda lib: lambda x: lib.expand_apply(lib.Linear(3))(x[0])),
    Entry(
        "dropout", lambda lib: lambda x: lib.dropout(lib.next_rng_key(), 0.25, x), needs_rng=True
    ),
]


def inputs(entry: Entry, dtype: Any = jnp.float32) -> jax.Array:
    """A deterministic input for `entry`."""
    return jax.random.normal(jax.random.PRNGKey(1), entry.input_shape).astype(dtype)
