"""Run one model builder under dm-haiku (the oracle) and sonnax, and compare the results.

A builder is `build(lib, *inputs)`: it uses `lib` (`haiku` or `sonnax`) exactly as a
Haiku program uses `hk`, and is transformed with `lib.transform`.
"""

from collections.abc import Callable, Mapping
from typing import Any

import haiku
import jax
import jax.numpy as jnp
import numpy as np
import pytest

import sonnax

KEY = jax.random.PRNGKey(42)
Build = Callable[..., Any]


def transformed(lib: Any, build: Build) -> Any:
    """`lib.transform` of the builder."""
    return lib.transform(lambda *inputs: build(lib, *inputs))


def run(lib: Any, build: Build, key: jax.Array, *inputs: Any, apply_key: Any = None) -> tuple:
    """`(params, output)` of init then apply under `lib`."""
    f = transformed(lib, build)
    params = f.init(key, *inputs)
    return params, f.apply(params, apply_key, *inputs)


def both(build: Build, key: jax.Array, *inputs: Any, apply_key: Any = None) -> tuple:
    """`((haiku_params, haiku_output), (sonnax_params, sonnax_output))`."""
    return tuple(run(lib, build, key, *inputs, apply_key=apply_key) for lib in (haiku, sonnax))


def assert_trees_equal(actual: Any, expected: Any) -> None:
    """Same structure (names), shapes, dtypes and bit-identical values."""
    assert jax.tree.structure(actual) == jax.tree.structure(expected)
    for a, e in zip(jax.tree.leaves(actual), jax.tree.leaves(expected), strict=True):
        assert (np.shape(a), jnp.result_type(a)) == (np.shape(e), jnp.result_type(e))
        np.testing.assert_array_equal(np.asarray(a), np.asarray(e))


def assert_trees_close(actual: Any, expected: Any, rtol: float = 1e-5, atol: float = 1e-6) -> None:
    """Same structure, shapes and dtypes; values equal to float32 tolerance."""
    assert jax.tree.structure(actual) == jax.tree.structure(expected)
    for a, e in zip(jax.tree.leaves(actual), jax.tree.leaves(expected), strict=True):
        assert (np.shape(a), jnp.result_type(a)) == (np.shape(e), jnp.result_type(e))
        np.testing.assert_allclose(np.asarray(a, np.float64), np.asarray(e, np.float64), rtol, atol)


def grads(lib: Any, build: Build, params: Any, *inputs: Any, apply_key: Any = None) -> Any:
    """`jax.grad` of a scalar loss of the output, w.r.t. params and float inputs."""
    f = transformed(lib, build)
    is_float = [jnp.issubdtype(jnp.result_type(x), jnp.floating) for x in inputs]

    def loss(params: Any, float_inputs: list) -> jax.Array:
        remaining = iter(float_inputs)
        full = [next(remaining) if flag else x for x, flag in zip(inputs, is_float, strict=True)]
        out = f.apply(params, apply_key, *full)
        return sum(jnp.sum(jnp.sin(leaf)) for leaf in jax.tree.leaves(out))

    float_inputs = [x for x, flag in zip(inputs, is_float, strict=True) if flag]
    return jax.grad(loss, argnums=(0, 1))(params, float_inputs)


def assert_matches_haiku(
    build: Build, *inputs: Any, key: jax.Array = KEY, apply_key: Any = None
) -> tuple:
    """Identical initial params; outputs and gradients equal to float32 tolerance.

    Returns:
      sonnax's `(params, output)`.
    """
    (hk_params, hk_out), (snx_params, snx_out) = both(build, key, *inputs, apply_key=apply_key)
    assert_trees_equal(snx_params, hk_params)
    assert_trees_close(snx_out, hk_out)
    expected = grads(haiku, build, hk_params, *inputs, apply_key=apply_key)
    assert_trees_close(grads(sonnax, build, snx_params, *inputs, apply_key=apply_key), expected)
    return snx_params, snx_out


def assert_jit_and_vmap_match(
    build: Build, *inputs: Any, key: jax.Array = KEY, apply_key: Any = None
) -> None:
    """sonnax's init and apply under `jax.jit`, and apply under `jax.vmap` (params
    broadcast, each input stacked with a shifted copy), equal Haiku's."""
    hk_f, snx_f = transformed(haiku, build), transformed(sonnax, build)
    hk_params = hk_f.init(key, *inputs)
    assert_trees_equal(jax.jit(snx_f.init)(key, *inputs), hk_params)
    expected = hk_f.apply(hk_params, apply_key, *inputs)
    assert_trees_close(jax.jit(snx_f.apply)(hk_params, apply_key, *inputs), expected)
    batched = [jnp.stack([x, x + 1]) for x in inputs]
    in_axes = (None, None, *[0] * len(inputs))
    expected = jax.vmap(hk_f.apply, in_axes)(hk_params, apply_key, *batched)
    assert_trees_close(jax.vmap(snx_f.apply, in_axes)(hk_params, apply_key, *batched), expected)


def assert_raises_like_haiku(error: type, phrase: str, context: str, trigger: Callable) -> None:
    """`trigger(lib)` raises `error` matching Haiku's `phrase` under both libraries,
    and sonnax's message also matches `context` (module path, expected vs actual)."""
    with pytest.raises(error, match=phrase):
        trigger(haiku)
    with pytest.raises(error, match=phrase) as excinfo:
        trigger(sonnax)
    excinfo.match(context)


def sharing(result: Any, source: Any) -> Any:
    """Which nodes of `result` are the very objects found at the same place in `source`."""
    same = result is source
    if isinstance(result, Mapping) and isinstance(source, Mapping):
        return same, {key: sharing(result[key], source[key]) for key in result if key in source}
    if isinstance(result, list | tuple) and isinstance(source, list | tuple):
        return same, [sharing(item, other) for item, other in zip(result, source, strict=False)]
    return same


def run_with_state(lib: Any, build: Build, key: jax.Array, *inputs: Any, apply_key: Any = None):
    """`(params, state, (output, new_state))` of init, then apply, with state."""
    f = lib.transform_with_state(lambda *args: build(lib, *args))
    params, state = f.init(key, *inputs)
    return params, state, f.apply(params, state, apply_key, *inputs)


def _grads_with_state(lib, build, params, state, *inputs, apply_key=None):
    f = lib.transform_with_state(lambda *args: build(lib, *args))

    def loss(params: Any, x: Any) -> jax.Array:
        out, _ = f.apply(params, state, apply_key, x, *inputs[1:])
        floats = [leaf for leaf in jax.tree.leaves(out) if jnp.issubdtype(leaf.dtype, jnp.floating)]
        return sum(jnp.sum(jnp.sin(leaf)) for leaf in floats)

    if jnp.issubdtype(jnp.result_type(inputs[0]), jnp.floating):
        return jax.grad(loss, argnums=(0, 1))(params, inputs[0])
    return jax.grad(loss)(params, inputs[0])


def assert_matches_haiku_with_state(
    build: Build, *inputs: Any, key: jax.Array = KEY, apply_key: Any = None
) -> tuple:
    """Like `assert_matches_haiku`, under `transform_with_state`: identical initial params and
    state; output and updated state equal to float32 tolerance; gradients w.r.t. params and
    the first input (when it is floating) equal to float32 tolerance.

    Returns:
      sonnax's `(params, state, (output, new_state))`.
    """
    hk_params, hk_state, hk_out = run_with_state(haiku, build, key, *inputs, apply_key=apply_key)
    ours = run_with_state(sonnax, build, key, *inputs, apply_key=apply_key)
    assert_trees_equal(ours[0], hk_params)
    assert_trees_equal(ours[1], hk_state)
    assert_trees_close(ours[2], hk_out)
    expected = _grads_with_state(haiku, build, hk_params, hk_state, *inputs, apply_key=apply_key)
    actual = _grads_with_state(sonnax, build, ours[0], ours[1], *inputs, apply_key=apply_key)
    assert_trees_close(actual, expected)
    return ours


def assert_jit_and_vmap_match_with_state(
    build: Build, *inputs: Any, key: Any = KEY, apply_key: Any = None
) -> None:
    """`assert_jit_and_vmap_match` under `transform_with_state`: sonnax's init and apply
    under `jax.jit`, and apply under `jax.vmap` (params and state broadcast, each input
    stacked with a shifted copy), equal Haiku's, new state included."""
    hk_f = haiku.transform_with_state(lambda *args: build(haiku, *args))
    snx_f = sonnax.transform_with_state(lambda *args: build(sonnax, *args))
    hk_params, hk_state = hk_f.init(key, *inputs)
    params, state = jax.jit(snx_f.init)(key, *inputs)
    assert_trees_equal(params, hk_params)
    assert_trees_close(state, hk_state)  # Initial state may be computed: jit can round it.
    expected = hk_f.apply(hk_params, hk_state, apply_key, *inputs)
    assert_trees_close(jax.jit(snx_f.apply)(hk_params, hk_state, apply_key, *inputs), expected)
    batched = [jnp.stack([x, x + 1]) for x in inputs]
    in_axes = (None, None, None, *[0] * len(inputs))
    expected = jax.vmap(hk_f.apply, in_axes)(hk_params, hk_state, apply_key, *batched)
    actual = jax.vmap(snx_f.apply, in_axes)(hk_params, hk_state, apply_key, *batched)
    assert_trees_close(actual, expected)
