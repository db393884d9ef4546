"""`transform`: turns a function that uses modules into a pair of pure functions.

`init(rng, *args)` runs the function once to create parameters and state;
`apply(params, [state,] rng, *args)` runs it again with them. Both are plain
picklable objects, so they work with `jax.jit`, `pickle` and `copy.deepcopy`.
"""

from __future__ import annotations

import functools
import inspect
import typing
from collections.abc import Callable, Mapping
from typing import Any, NamedTuple

import jax

from sonnax._src.core import frames
from sonnax._src.core import rng as rng_lib
from sonnax._src.typing import MutableParams, MutableState, Params, State


def _bad_rng_message(function: str, position: str, signature: str) -> str:
    # "must be called with an RNG as the ... argument" is the phrase Haiku's tests match.
    return (
        f"{function} must be called with an RNG as the {position} argument: its signature is "
        f"`{signature}`, where rng is a JAX key, an int seed or None"
    )


INIT_RNG_ERROR = _bad_rng_message("Init", "first", "init(rng, *args, **kwargs)")
APPLY_RNG_ERROR = _bad_rng_message("Apply", "second", "apply(params, rng, *args, **kwargs)")
APPLY_RNG_STATE_ERROR = _bad_rng_message(
    "Apply", "third", "apply(params, state, rng, *args, **kwargs)"
)
_USES_STATE = (
    "The function transformed without state called `get_state`/`set_state`: transform it "
    "with `hk.transform_with_state` instead, and pass and receive the state explicitly."
)


class NonEmptyStateError(ValueError):
    """A function transformed without state used `get_state`/`set_state`."""


def check_mapping(name: str, mapping: Any) -> Mapping[str, Any]:
    """Returns `mapping` (or `{}` for `None`); raises `TypeError` if it is not a mapping."""
    if mapping is None:
        return {}
    if not isinstance(mapping, Mapping):
        raise TypeError(
            f"The {name} argument does not appear valid: expected a mapping "
            f"{{module_name: {{name: array}}}}, got {type(mapping).__name__} {mapping!r}. "
            "Apply's leading arguments are `apply(params, rng, ...)` after `hk.transform` "
            "and `apply(params, state, rng, ...)` after `hk.transform_with_state`."
        )
    return mapping


def _reserved_keyword(kwargs: Mapping[str, Any], name: str) -> None:
    if name in kwargs:
        raise TypeError(
            f"`apply` was given {name}= by keyword, but after this transform its `{name}` is "
            "filled in by sonnax. If the transformed function has an argument of that name, "
            "pass them positionally instead."
        )


def _run(f: Callable[..., Any], context: frames.Context, args: Any, kwargs: Any) -> Any:
    with context:
        try:
            return f(*args, **kwargs)
        except jax.errors.UnexpectedTracerError as e:
            raise jax.errors.UnexpectedTracerError(
                "A JAX tracer escaped while running a sonnax transformed function (see the error "
                "above). A raw JAX transform or control-flow function (jax.vmap, jax.lax.scan, "
                "...) used on code that calls modules is the usual cause: modules are not pure "
                "functions; use the sonnax version of the transform (hk.vmap, hk.scan, ...)."
            ) from e


class _TransformedFn:
    """Base of the init/apply callables: picklable, named, with a readable signature.

    The signature is `leading` followed by the wrapped function's parameters,
    less the first `replaces` of them (the ones this wrapper fills in or renames).
    """

    leading: tuple[str, ...] = ()
    replaces = 0
    role = "apply_fn"

    def __init__(self, f: Callable[..., Any]):
        self._original_fn = getattr(f, "_original_fn", f)
        self._f = f
        # JAX names jitted computations after `__name__` (e.g. `jit_apply_fn`).
        self.__name__ = self.__qualname__ = self.role

    @functools.cached_property
    def __signature__(self) -> inspect.Signature:
        # Cached: `jax.jit` reads it on every trace.
        try:
            wrapped = list(inspect.signature(self._f).parameters.values())
        except (TypeError, ValueError):
            wrapped = [
                inspect.Parameter("args", inspect.Parameter.VAR_POSITIONAL),
                inspect.Parameter("kwargs", inspect.Parameter.VAR_KEYWORD),
            ]
        kind = inspect.Parameter.POSITIONAL_OR_KEYWORD
        leading = [inspect.Parameter(name, kind) for name in self.leading]
        return inspect.Signature(leading + wrapped[self.replaces :], __validate_parameters__=False)

    def __getstate__(self) -> dict[str, Any]:
        return {k: v for k, v in self.__dict__.items() if k != "__signature__"}

    def __repr__(self) -> str:
        name = getattr(self._original_fn, "__name__", repr(self._original_fn))
        return f"<sonnax {self.__name__} of {name}>"


class _Init(_TransformedFn):
    leading = ("rng",)
    role = "init_fn"

    def __call__(self, rng: Any, *args: Any, **kwargs: Any) -> tuple[MutableParams, MutableState]:
        sequence = rng_lib.to_prng_sequence(rng, INIT_RNG_ERROR)
        context = frames.Context({}, {}, sequence, params_frozen=False)
        _run(self._f, context, args, kwargs)
        params, state = frames.copy_tree(context.params), frames.copy_tree(context.initial_state)
        return typing.cast(MutableParams, params), typing.cast(MutableState, state)


class _Apply(_TransformedFn):
    leading = ("params", "state", "rng")

    def __call__(
        self, params: Params | None, state: State | None, rng: Any, *args: Any, **kwargs: Any
    ) -> tuple[Any, MutableState]:
        sequence = rng_lib.to_prng_sequence(
            rng, APPLY_RNG_ERROR if state is None else APPLY_RNG_STATE_ERROR
        )
        # Frozen params are only read, never written, so the caller's mapping is used as is.
        frozen = typing.cast(dict[str, dict[str, Any]], check_mapping("params", params))
        own_state = frames.copy_tree(check_mapping("state", state))
        context = frames.Context(frozen, own_state, sequence, params_frozen=True)
        out = _run(self._f, context, args, kwargs)
        return out, typing.cast(MutableState, frames.copy_tree(context.state))


class TransformedWithState(NamedTuple):
    """The pure `init` and `apply` functions of a `transform_with_state`.

    Attributes:
      init: `init(rng, *args, **kwargs) -> (params, state)`.
      apply: `apply(params, state, rng, *args, **kwargs) -> (out, state)`.
    """

    init: Callable[..., tuple[MutableParams, MutableState]]
    apply: Callable[..., tuple[Any, MutableState]]


class Transformed(NamedTuple):
    """The pure `init` and `apply` functions of a `transform`.

    Attributes:
      init: `init(rng, *args, **kwargs) -> params`.
      apply: `apply(params, rng, *args, **kwargs) -> out`.
    """

    init: Callable[..., MutableParams]
    apply: Callable[..., Any]


def transform_with_state(f: Callable[..., Any]) -> TransformedWithState:
    """Transforms a function using modules, parameters and state into pure functions.

    >>> import sonnax as hk
    >>> import jax, jax.numpy as jnp
    >>> f = hk.transform_with_state(lambda x: hk.Linear(2)(x))
    >>> params, state = f.init(jax.random.PRNGKey(0), jnp.ones([1, 3]))
    >>> jax.tree.map(jnp.shape, params)
    {'linear': {'b': (2,), 'w': (3, 2)}}

    Args:
      f: a function that may use `get_parameter`, `get_state`, `set_state`,
        `next_rng_key` and modules.

    Returns:
      `TransformedWithState(init, apply)`.

    Raises:
      ValueError: `f` is already jitted or pmapped (transform first, then jit).
    """
    if callable(getattr(f, "lower", None)):  # What jax.jit and jax.pmap return.
        raise ValueError(
            f"hk.transform was given a function already wrapped by jax.jit or jax.pmap ({f!r}). "
            "The function given to transform uses modules, so it is not pure; transform it "
            "first and jit or pmap the pure result instead: `jax.jit(hk.transform(f).apply)`."
        )
    return TransformedWithState(_Init(f), _Apply(f))


class _InitWithoutState(_TransformedFn):
    leading, replaces = ("rng",), 1
    role = "init_fn"

    def __call__(self, rng: Any, *args: Any, **kwargs: Any) -> MutableParams:
        params, state = self._f(rng, *args, **kwargs)
        if state:
            raise NonEmptyStateError(_USES_STATE)
        return params


class _ApplyWithoutState(_TransformedFn):
    leading, replaces = ("params",), 2

    def __call__(self, params: Params | None, *args: Any, **kwargs: Any) -> Any:
        _reserved_keyword(kwargs, "state")
        out, state = self._f(params, None, *args, **kwargs)
        if state:
            raise NonEmptyStateError(_USES_STATE)
        return out


def without_state(f: TransformedWithState) -> Transformed:
    """Drops state from a `TransformedWithState`; raises if the function uses state.

    Args:
      f: the transformed function.

    Returns:
      `Transformed(init, apply)` with `init -> params` and `apply(params, rng, ...)`.
    """
    return Transformed(_InitWithoutState(f.init), _ApplyWithoutState(f.apply))


def transform(f: Callable[..., Any], *, apply_rng: bool = True) -> Transformed:
    """Transforms a function using modules and parameters into pure `init`/`apply`.

    >>> import sonnax as hk
    >>> import jax, jax.numpy as jnp
    >>> f = hk.transform(lambda x: hk.nets.MLP([3, 1])(x))
    >>> params = f.init(jax.random.PRNGKey(0), jnp.ones([2, 4]))
    >>> f.apply(params, None, jnp.ones([2, 4])).shape
    (2, 1)

    Args:
      f: a function that may use `get_parameter`, `next_rng_key` and modules
        (use `transform_with_state` if it uses state).
      apply_rng: no longer supported except as True (see `without_apply_rng`).

    Returns:
      `Transformed(init, apply)`.
    """
    if not apply_rng:
        raise ValueError(
            "hk.transform(f, apply_rng=False) is not supported: apply always takes an rng "
            "argument. For an apply without one, use hk.without_apply_rng(hk.transform(f))."
        )
    return without_state(transform_with_state(f))


class _InitWithEmptyState(_TransformedFn):
    leading, replaces = ("rng",), 1
    role = "init_fn"

    def __call__(self, rng: Any, *args: Any, **kwargs: Any) -> tuple[MutableParams, MutableState]:
        return self._f(rng, *args, **kwargs), {}


class _ApplyWithEmptyState(_TransformedFn):
    leading, replaces = ("params", "state"), 1

    def __call__(self, params: Params, state: State | None, *args: Any, **kwargs: Any) -> Any:
        return self._f(params, *args, **kwargs), {}


def with_empty_state(f: Transformed) -> TransformedWithState:
    """Gives a `Transformed` the `TransformedWithState` signatures, with empty state.

    Args:
      f: the transformed function.

    Returns:
      `TransformedWithState` whose init returns `(params, {})` and apply `(out, {})`.
    """
    return TransformedWithState(_InitWithEmptyState(f.init), _ApplyWithEmptyState(f.apply))


def running_init() -> bool:
    """Whether the current transform is running `init` (True) or `apply` (False)."""
    return not frames.assert_inside("running_init").params_frozen


class _ApplyWithoutRng(_TransformedFn):
    """`apply(params, *args)`: calls the wrapped apply with `rng=None`."""

    leading, replaces = ("params",), 2

    def __call__(self, params: Params | None, *args: Any, **kwargs: Any) -> Any:
        _reserved_keyword(kwargs, "rng")
        return self._f(params, None, *args, **kwargs)


class _ApplyWithStateWithoutRng(_TransformedFn):
    """`apply(params, state, *args)`: calls the wrapped apply with `rng=None`."""

    leading, replaces = ("params", "state"), 3

    def __call__(
        self, params: Params | None, state: State | None, *args: Any, **kwargs: Any
    ) -> Any:
        _reserved_keyword(kwargs, "rng")
        return self._f(params, state, None, *args, **kwargs)


def without_apply_rng(f: Any) -> Any:
    """Removes the `rng` argument from `apply` (it will be called with `rng=None`).

    >>> import sonnax as hk
    >>> import jax, jax.numpy as jnp
    >>> f = hk.without_apply_rng(hk.transform(lambda x: hk.Linear(1)(x)))
    >>> params = f.init(jax.random.PRNGKey(0), jnp.ones([1, 2]))
    >>> f.apply(params, jnp.ones([1, 2])).shape
    (1, 1)

    Args:
      f: a `Transformed`, `TransformedWithState`, `MultiTransformed` or
        `MultiTransformedWithState`.

    Returns:
      The same kind of object, whose apply functions take no rng.
    """
    from sonnax._src.transforms import multi_transform  # Import cycle: it builds on transform.

    if isinstance(f, (TransformedWithState, multi_transform.MultiTransformedWithState)):
        wrapper: type[_TransformedFn] = _ApplyWithStateWithoutRng
    elif isinstance(f, (Transformed, multi_transform.MultiTransformed)):
        wrapper = _ApplyWithoutRng
    else:
        raise ValueError(
            "without_apply_rng takes the result of hk.transform, hk.transform_with_state, "
            f"hk.multi_transform or hk.multi_transform_with_state; it was given {type(f)}."
        )
    return type(f)(f.init, jax.tree.map(wrapper, f.apply))
