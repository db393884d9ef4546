"""`grad`, `value_and_grad` and `remat` for functions that use modules, state or rng."""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence
from typing import Any

import jax

from sonnax._src.transforms.stateful import internal_state

# The carried params/state/rng travel as a keyword argument: JAX differentiates
# only positional arguments, and `remat` rebuilds keyword arguments as they are.
_CARRIED = "_sonnax_internal_state"


def value_and_grad(
    fun: Callable[..., Any],
    argnums: int | Sequence[int] = 0,
    has_aux: bool = False,
    holomorphic: bool = False,
) -> Callable[..., tuple[Any, Any]]:
    """`jax.value_and_grad` for a function that uses modules, params, state or rng.

    Needed only to differentiate inside a transformed function; state set by `fun`
    is kept.

    >>> import sonnax as hk
    >>> import jax.numpy as jnp
    >>> def f(x):
    ...     def square(x):
    ...         hk.set_state("last", x)
    ...         return x**2
    ...     return hk.value_and_grad(square)(x)
    >>> hk.transform_with_state(f).init(None, jnp.array(3.0))[1]
    {'~': {'last': Array(3., dtype=float32, weak_type=True)}}

    Args:
      fun: the function; returns a scalar (or `(scalar, aux)` with `has_aux`).
      argnums: which positional argument(s) to differentiate.
      has_aux: whether `fun` returns auxiliary data too.
      holomorphic: whether `fun` is holomorphic.

    Returns:
      A function returning `(value, grads)`, or `((value, aux), grads)`.

    Raises:
      ValueError: used outside `transform`.
    """
    return _value_and_grad("value_and_grad", fun, argnums, has_aux, holomorphic)


def _value_and_grad(
    public_name: str,
    fun: Callable[..., Any],
    argnums: int | Sequence[int],
    has_aux: bool,
    holomorphic: bool,
) -> Callable[..., Any]:
    internal_state.assert_transformed(public_name, f"jax.{public_name}")

    @functools.wraps(fun)
    def stateful_fun(*args: Any, **kwargs: Any) -> Any:
        carried = kwargs.pop(_CARRIED)
        with internal_state.running_with(carried):
            out = fun(*args, **kwargs)
            value, aux = out if has_aux else (out, None)
            return value, (aux, internal_state.changes(carried, internal_state.capture()))

    differentiated = jax.value_and_grad(
        stateful_fun, argnums=argnums, has_aux=True, holomorphic=holomorphic
    )

    @functools.wraps(fun)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        kwargs[_CARRIED] = internal_state.capture()
        (value, (aux, carried)), grads = differentiated(*args, **kwargs)
        internal_state.restore(carried)
        return ((value, aux), grads) if has_aux else (value, grads)

    return wrapper


def grad(
    fun: Callable[..., Any],
    argnums: int | Sequence[int] = 0,
    has_aux: bool = False,
    holomorphic: bool = False,
) -> Callable[..., Any]:
    """`jax.grad` for a function that uses modules, params, state or rng.

    Needed only to differentiate inside a transformed function; state set by `fun`
    is kept.

    >>> import sonnax as hk
    >>> import jax.numpy as jnp
    >>> def f(x):
    ...     return hk.grad(lambda x: hk.Linear(1, w_init=jnp.ones)(x).sum())(x)
    >>> f = hk.transform(f)
    >>> x = jnp.ones([1, 2])
    >>> f.apply(f.init(None, x), None, x)
    Array([[1., 1.]], dtype=float32)

    Args:
      fun: the function; returns a scalar (or `(scalar, aux)` with `has_aux`).
      argnums: which positional argument(s) to differentiate.
      has_aux: whether `fun` returns auxiliary data too.
      holomorphic: whether `fun` is holomorphic.

    Returns:
      A function returning the gradients, or `(grads, aux)` with `has_aux`.

    Raises:
      ValueError: used outside `transform`.
    """
    value_and_grad_fun = _value_and_grad("grad", fun, argnums, has_aux, holomorphic)

    @functools.wraps(fun)
    def grad_fun(*args: Any, **kwargs: Any) -> Any:
        value, grads = value_and_grad_fun(*args, **kwargs)
        return (grads, value[1]) if has_aux else grads

    return grad_fun


def remat(
    fun: Callable[..., Any],
    *,
    prevent_cse: bool = True,
    policy: Callable[..., bool] | None = None,
    static_argnums: int | tuple[int, ...] = (),
) -> Callable[..., Any]:
    """`jax.remat` (`jax.checkpoint`) for a function that uses modules, state or rng.

    Modules created inside are named as if created outside `remat`.

    >>> import sonnax as hk
    >>> import jax, jax.numpy as jnp
    >>> f = hk.transform(lambda x: hk.remat(hk.Linear(2))(x))
    >>> jax.tree.map(jnp.shape, f.init(jax.random.PRNGKey(0), jnp.ones([1, 3])))
    {'linear': {'b': (2,), 'w': (3, 2)}}

    Args:
      fun: the function whose activations are recomputed in the backward pass.
      prevent_cse: as for `jax.remat`.
      policy: as for `jax.remat`.
      static_argnums: as for `jax.remat`.

    Returns:
      The function, with params, state and rng carried through.

    Raises:
      ValueError: used outside `transform`.
    """
    internal_state.assert_transformed("remat", "jax.remat")

    def stateful_fun(*args: Any, **kwargs: Any) -> Any:
        carried = kwargs.pop(_CARRIED)
        with internal_state.running_with(carried, share_names=True):
            out = fun(*args, **kwargs)
            return out, internal_state.changes(carried, internal_state.capture())

    @functools.wraps(fun)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        kwargs[_CARRIED] = internal_state.capture()
        # A new function object per call: JAX caches traces by function identity,
        # and this function reads the frame, which differs between calls.
        checkpointed = jax.remat(
            functools.wraps(fun)(lambda *a, **k: stateful_fun(*a, **k)),
            prevent_cse=prevent_cse,
            policy=policy,
            static_argnums=static_argnums,
        )
        out, carried = checkpointed(*args, **kwargs)
        internal_state.restore(carried)
        return out

    return wrapper
