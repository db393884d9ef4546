"""`device_get`, `device_put`, `grad`, `jit`, `value_and_grad`: Sonnet's JAX-like API, on JAX.

Sonnet keeps these in `functional/jax.py`; the file is named otherwise here so that it
cannot shadow the `jax` package.

Sonnet wrote these for TF with JAX's semantics; here they are JAX's own, with Sonnet's
argument names. `jit`'s `device` places the arguments, so the computation runs there.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence
from typing import Any

import jax


def device_put(t: Any, device: Any = None) -> Any:
    """Copies the arrays of a pytree to `device` (a `jax.Device` or sharding; default device).

    Args:
      t: a pytree of arrays.
      device: where to put them; `None` for JAX's default device.

    Returns:
      The pytree, with arrays on `device`.
    """
    return jax.device_put(t, device)


def device_get(t: Any) -> Any:
    """Copies the arrays of a pytree to the host, as numpy arrays.

    Args:
      t: a pytree of arrays.

    Returns:
      The pytree, with numpy arrays.
    """
    return jax.device_get(t)


def jit(f: Callable[..., Any], device: Any = None) -> Callable[..., Any]:
    """Compiles `f` with `jax.jit`; with `device`, runs it there.

    Args:
      f: a pure function of arrays.
      device: a `jax.Device` to run on; `None` for where the arguments are (or the default).

    Returns:
      The compiled function.
    """
    compiled = jax.jit(f)
    if device is None:
        return compiled

    @functools.wraps(f)
    def on_device(*args: Any, **kwargs: Any) -> Any:
        args, kwargs = jax.device_put((args, kwargs), device)
        return compiled(*args, **kwargs)

    return on_device


def grad(
    f: Callable[..., Any], argnums: int | Sequence[int] = 0, has_aux: bool = False
) -> Callable[..., Any]:
    """The gradient of `f` with respect to the arguments at `argnums` (`jax.grad`).

    Args:
      f: a function returning a scalar (and, with `has_aux`, auxiliary data).
      argnums: the position, or positions, of the arguments to differentiate.
      has_aux: whether `f` returns `(value, aux)`.

    Returns:
      A function returning the gradients (and `aux`, with `has_aux`: `(grads, aux)`).
    """
    return jax.grad(f, argnums=argnums, has_aux=has_aux)


def value_and_grad(
    f: Callable[..., Any], argnums: int | Sequence[int] = 0, has_aux: bool = False
) -> Callable[..., Any]:
    """`f`'s value and its gradient (`jax.value_and_grad`).

    Args:
      f: a function returning a scalar (and, with `has_aux`, auxiliary data).
      argnums: the position, or positions, of the arguments to differentiate.
      has_aux: whether `f` returns `(value, aux)`.

    Returns:
      A function returning `(value, grads)`, or `((value, aux), grads)` with `has_aux`.
    """
    return jax.value_and_grad(f, argnums=argnums, has_aux=has_aux)
