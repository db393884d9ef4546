"""Sonnet's mixed precision: `enable`, `disable`, `scope` and the `modes` decorator.

As in Sonnet, the mode is one process-wide setting, and a method decorated with
`modes(valid_types)` runs in the enabled dtype when that dtype is one of `valid_types`:
its floating-point arguments and the variables it reads are cast to it, and its
floating-point outputs are cast back to float32. A module's first call creates its
variables, so Sonnet runs it in float32; here that is its first call in an `init`, so
parameters are float32 while `apply` computes in the lower precision.
"""

from __future__ import annotations

import contextlib
import functools
import weakref
from collections.abc import Callable, Iterable, Iterator
from typing import Any, TypeVar

import jax
import jax.numpy as jnp
import numpy as np

from sonnax._src.core import frames
from sonnax.compat._src import base, custom_getter, once

F = TypeVar("F", bound=Callable[..., Any])
_mode: jnp.dtype | None = None


def enable(dtype: Any) -> None:
    """Sets the mixed precision mode: methods decorated with `modes` compute in `dtype`.

    Args:
      dtype: the compute dtype (e.g. `jnp.float16`, `jnp.bfloat16`); `None` disables.
    """
    global _mode
    _mode = None if dtype is None else jnp.dtype(dtype)


def disable() -> None:
    """Turns mixed precision off: decorated methods run in the dtypes they are given."""
    enable(None)


@contextlib.contextmanager
def scope(dtype: Any) -> Iterator[None]:
    """Enables `dtype` inside the block, and restores the previous mode after it.

    Args:
      dtype: the compute dtype inside the block.

    Yields:
      Nothing.
    """
    previous = _mode
    enable(dtype)
    try:
        yield
    finally:
        enable(previous)


def _cast_floats(tree: Any, dtype: Any) -> Any:
    def cast(x: Any) -> Any:
        # NumPy arrays too: JAX code passes them where TF code passes tensors.
        if isinstance(x, jax.Array | np.ndarray) and jnp.issubdtype(x.dtype, jnp.floating):
            return x.astype(dtype)
        return x

    return jax.tree.map(cast, tree)


def _creates_variables(key: Any, first_calls: weakref.WeakKeyDictionary[Any, Any]) -> bool:
    """Whether this is `key`'s first call where variables may be made: in an `init`, or
    (as in Sonnet) ever, outside any transform."""
    if frames.inside_transform() and frames.current().params_frozen:
        return False
    run = once.current_run()
    if first_calls.get(key) == run:
        return False
    first_calls[key] = run
    return True


def modes(valid_types: Iterable[Any]) -> Callable[[F], F]:
    """A decorator that runs a method (or function) in the mixed precision mode.

    >>> import jax, jax.numpy as jnp
    >>> import sonnax
    >>> from sonnax import compat as snt
    >>> class Linear(snt.Linear):
    ...     __call__ = snt.mixed_precision.modes([jnp.float32, jnp.bfloat16])(
    ...         snt.Linear.__call__)
    >>> f = sonnax.transform(lambda x: Linear(2, name="linear")(x))
    >>> x = jnp.ones([1, 3])
    >>> params = f.init(jax.random.PRNGKey(0), x)  # First call: float32, as in Sonnet.
    >>> with snt.mixed_precision.scope(jnp.bfloat16):
    ...     y = f.apply(params, None, x)  # Computes in bfloat16, returns float32.
    >>> params["linear"]["w"].dtype, y.dtype
    (dtype('float32'), dtype('float32'))

    Args:
      valid_types: the dtypes the decorated function may compute in.

    Returns:
      The decorator.
    """
    valid = {jnp.dtype(t) for t in valid_types}

    def decorator(f: F) -> F:
        first_calls: weakref.WeakKeyDictionary[Any, Any] = weakref.WeakKeyDictionary()

        @functools.wraps(f)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            dtype = _mode
            if dtype is None or dtype not in valid:
                return f(*args, **kwargs)
            instance = args[0] if args and isinstance(args[0], base.Module) else None
            key = wrapper if instance is None else instance
            if _creates_variables(key, first_calls):
                return f(*args, **kwargs)
            args, kwargs = _cast_floats((args, kwargs), dtype)
            if frames.inside_transform():
                # As in Sonnet, every variable read inside the call is cast, submodules' too.
                getter = functools.partial(_cast_floats, dtype=dtype)
                with custom_getter.custom_variable_getter(getter):
                    out = f(*args, **kwargs)
            else:
                out = f(*args, **kwargs)
            return _cast_floats(out, jnp.float32)

        return wrapper  # type: ignore[return-value]

    return decorator
