"""Run a builder that uses the stateful transforms under dm-haiku and sonnax, and compare.

A builder is `build(lib, *inputs)` written as Haiku code with `lib` as `hk`.
"""

from typing import Any

import haiku
import jax
import jax.numpy as jnp
import pytest

import sonnax
from tests import helpers

INIT_KEY, APPLY_KEY = jax.random.PRNGKey(3), jax.random.PRNGKey(4)
BOTH = [pytest.param(sonnax, id="sonnax"), pytest.param(haiku, id="haiku")]


def run(lib: Any, build: helpers.Build, *inputs: Any, jit: bool = False) -> tuple:
    """`(params, state, output, new_state)` of init then apply, with rng in both."""
    f = lib.transform_with_state(lambda *args: build(lib, *args))
    init, apply = (jax.jit(f.init), jax.jit(f.apply)) if jit else (f.init, f.apply)
    params, state = init(INIT_KEY, *inputs)
    out, new_state = apply(params, state, APPLY_KEY, *inputs)
    return params, state, out, new_state


def assert_same_as_haiku(build: helpers.Build, *inputs: Any, jit: bool = False) -> tuple:
    """Identical params, state, outputs (rng draws included) and new state; returns ours."""
    expected = run(haiku, build, *inputs, jit=jit)
    actual = run(sonnax, build, *inputs, jit=jit)
    helpers.assert_trees_equal(actual, expected)
    return actual


def count(lib: Any, name: str = "count") -> jax.Array:
    """Increments an int32 counter in state; returns its value before."""
    value = lib.get_state(name, [], jnp.int32, init=jnp.zeros)
    lib.set_state(name, value + 1)
    return value


def noise(lib: Any, shape: Any = ()) -> jax.Array:
    """A uniform draw from the transform's rng."""
    return jax.random.uniform(lib.next_rng_key(), shape)


def zero_state(lib: Any, *names: str) -> None:
    """Creates int32 state entries at zero (before any branch or loop reads them)."""
    for name in names:
        lib.get_state(name, [], jnp.int32, init=jnp.zeros)
