"""`variables`, `transform`, `transform_with_state`, `without_state`: Sonnet's functional API.

Sonnet's functional API is "part of Haiku in TF2": `transform(f)` lifts the variables `f`
uses into `init`/`apply` functions. On sonnax this is sonnax's own transform, so the only
difference from Sonnet's is JAX's explicit randomness: `init(rng, *args)` and
`apply(params, [state,] rng, *args)` take an rng (a key, a seed, or `None`), where TF
draws from its global generator.

Sonnet also lets modules be constructed before the transform, inside
`snt.functional.variables()`, and then used by the transformed function; so does
`variables()` here. Compat modules normally exist only inside a transform: `variables()`
opens a construction scope (one per thread, so module names stay unique across blocks)
in which they can be constructed; random values a constructor draws come from the scope's
own key sequence (seeded 0), as TF's come from its global generator. Parameters and state
a constructor creates (such as an `ExponentialMovingAverage`'s counter) are kept on the
module and added to the params and state of a `transform`/`transform_with_state` from this
file when the module is first used there, as Sonnet's `init` returns the values of the
variables `f` uses.
"""

from __future__ import annotations

import contextlib
import inspect
import threading
from collections.abc import Callable, Iterator
from typing import Any

from sonnax._src.core import frames, interceptors
from sonnax._src.core import module as core_module
from sonnax._src.core import rng as rng_lib
from sonnax._src.core import transform as transform_lib

_CONSTRUCTED_ATTR = "_snt_functional_constructed"


class _ConstructionScope(threading.local):
    """This thread's construction scope, and the modules constructed in the open blocks."""

    def __init__(self) -> None:
        self.context: frames.Context | None = None
        self.constructed: list[core_module.Module] = []


_scope = _ConstructionScope()


def _record_constructed(
    next_fun: Callable[..., Any], args: Any, kwargs: Any, context: interceptors.MethodContext
) -> Any:
    out = next_fun(*args, **kwargs)
    if context.method_name == "__init__":
        _scope.constructed.append(context.module)
    return out


def _attach_created(context: frames.Context, modules: list[core_module.Module]) -> None:
    """Moves what the constructors created out of the scope and onto their modules."""
    for module in modules:
        name = module.__dict__.get("module_name")
        params = context.params.pop(name, None) if name else None
        state = context.state.pop(name, None) if name else None
        if name:
            context.initial_state.pop(name, None)
        if params or state:
            object.__setattr__(module, _CONSTRUCTED_ATTR, (params or {}, state or {}))
    leftover = sorted(
        f"{b}/{n}" for tree in (context.params, context.state) for b in tree for n in tree[b]
    )
    context.params.clear()
    context.state.clear()
    context.initial_state.clear()
    if leftover:
        raise ValueError(
            "Inside snt.functional.variables() only modules can be constructed; these values "
            f"were created outside any module constructor: {leftover}. Create them inside the "
            "transformed function."
        )


@contextlib.contextmanager
def variables() -> Iterator[None]:
    """A scope in which compat modules can be constructed outside a transform.

    >>> import jax, jax.numpy as jnp
    >>> from sonnax import compat as snt
    >>> with snt.functional.variables():
    ...     linear = snt.Linear(2)
    >>> f = snt.functional.transform(lambda x: linear(x))
    >>> params = f.init(jax.random.PRNGKey(0), jnp.ones([1, 3]))
    >>> jax.tree.map(jnp.shape, params[linear.module_name])
    {'b': (2,), 'w': (3, 2)}

    Module names are unique across all `variables()` blocks of a thread (`linear`,
    `linear_1`, ...), where TF's eager scopes would reuse a name: params need one name each.

    Inside a transform it does nothing: modules can be constructed there anyway.

    Yields:
      Nothing.
    """
    if frames.inside_transform():
        yield
        return
    if _scope.context is None:
        # Values drawn by constructors (an Embed's table) come from this thread's sequence.
        sequence = rng_lib.PRNGSequence(0)
        _scope.context = frames.Context({}, {}, sequence, params_frozen=False)
    context = _scope.context
    start = len(_scope.constructed)
    with context, interceptors.intercept_methods(_record_constructed):
        yield
    modules = _scope.constructed[start:]
    del _scope.constructed[start:]
    _attach_created(context, modules)


def _add_constructed(
    next_fun: Callable[..., Any], args: Any, kwargs: Any, context: interceptors.MethodContext
) -> Any:
    created = context.module.__dict__.get(_CONSTRUCTED_ATTR)
    if created is not None:
        frame = frames.current()
        params, state = created
        name = context.module.module_name
        if params and not frame.params_frozen:
            for key, value in params.items():
                frame.params.setdefault(name, {}).setdefault(key, value)
        for key, value in state.items():
            if key not in frame.state.get(name, {}):
                frame.state.setdefault(name, {})[key] = value
                frame.initial_state.setdefault(name, {})[key] = value
    return next_fun(*args, **kwargs)


class _UsingConstructed:
    """`f`, run with the values created by constructors in `variables()` available."""

    def __init__(self, f: Callable[..., Any]):
        self._f = f
        self._original_fn = getattr(f, "_original_fn", f)

    @property
    def __signature__(self) -> inspect.Signature:
        return inspect.signature(self._f)

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        with interceptors.intercept_methods(_add_constructed):
            return self._f(*args, **kwargs)


def transform_with_state(f: Callable[..., Any]) -> transform_lib.TransformedWithState:
    """Lifts the parameters and state that `f` uses into pure `init` and `apply` functions.

    >>> import jax, jax.numpy as jnp
    >>> from sonnax import compat as snt
    >>> with snt.functional.variables():
    ...     ema = snt.ExponentialMovingAverage(decay=0.5)
    >>> f = snt.functional.transform_with_state(ema)
    >>> params, state = f.init(None, 3.0)
    >>> y, state = f.apply(params, state, None, 3.0)
    >>> y, state = f.apply(params, state, None, 6.0)
    >>> float(y)
    5.0

    Args:
      f: a function (or module) that uses compat modules, built inside it or in
        `variables()`.

    Returns:
      `TransformedWithState(init, apply)`: `init(rng, *args) -> (params, state)` and
      `apply(params, state, rng, *args) -> (out, state)`.
    """
    transform_lib.transform_with_state(f)  # Refuses a jitted `f`, with sonnax's message.
    return transform_lib.transform_with_state(_UsingConstructed(f))


def without_state(with_state: transform_lib.TransformedWithState) -> transform_lib.Transformed:
    """Drops the state from `init` and `apply`, raising if the function has any.

    Args:
      with_state: the result of `transform_with_state`.

    Returns:
      `Transformed(init, apply)`: `init(rng, *args) -> params`, `apply(params, rng, *args)`.
    """
    return transform_lib.without_state(with_state)


def transform(f: Callable[..., Any]) -> transform_lib.Transformed:
    """Like `transform_with_state`, for a function without state.

    >>> import jax, jax.numpy as jnp
    >>> from sonnax import compat as snt
    >>> f = snt.functional.transform(lambda x: snt.Linear(1, w_init=snt.initializers.Ones())(x))
    >>> params = f.init(None, jnp.ones([1, 2]))
    >>> f.apply(params, None, jnp.ones([1, 2]))
    Array([[2.]], dtype=float32)

    Args:
      f: a function (or module) that uses compat modules.

    Returns:
      `Transformed(init, apply)`.
    """
    return without_state(transform_with_state(f))
