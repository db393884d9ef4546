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

_RNG_ERROR = (
    "{f} must be called with an RNG as the {position} argument, "
    "the required signature is: `{signature}`"
)
INIT_RNG_ERROR = _RNG_ERROR.format(f="Init", position="first", signature="init(rng, *a, **k)")
APPLY_RNG_ERROR = _RNG_ERROR.format(
    f="Apply", position="second", signature="apply(params, rng, *a, **k)"
)
APPLY_RNG_STATE_ERROR = _RNG_ERROR.format(
    f="Apply", position="third", signature="apply(params, state, rng, *a, **k)"
)
_TRACER_HINT = (
    "An UnexpectedTracerError was raised while inside a sonnax transformed function (see "
    "error above). Hint: are you using a JAX transform or control-flow function (jax.vmap, "
    "jax.lax.scan, ...) inside the transformed function? Use the sonnax version instead "
    "(hk.vmap, hk.scan, ...): raw JAX transforms need pure functions, and modules are not."
)
_STATE_IN_STATELESS = (
    "If your transformed function uses `hk.{get,set}_state` then use `hk.transform_with_state`."
)


class NonEmptyStateError(ValueError):
    """A function transformed without state used `get_state`/`set_state`."""


def new_context(
    *,
    params: Params | None = None,
    state: State | None = None,
    rng: jax.Array | int | rng_lib.PRNGSequence | None = None,
) -> frames.Context:
    """A context in which modules can be used outside `transform` (as init, or as
    apply when `params` is given).

    Args:
      params: parameters to use; `None` creates them (init).
      state: state to start from.
      rng: a key, seed or sequence for `next_rng_key`.

    Returns:
      The context; enter it with `with`.
    """
    sequence = rng_lib.to_prng_sequence(rng, "new_context needs a JAX key, an int seed or None")
    frozen = params is not None
    own_params = {bundle: dict(values) for bundle, values in (params or {}).items()}
    own_state = {bundle: dict(values) for bundle, values in (state or {}).items()}
    return frames.Context(own_params, own_state, sequence, frozen)


def check_mapping(name: str, mapping: Any) -> Mapping[str, Any]:
    """Returns `mapping` (or `{}` for `None`); raises `TypeError` if it is not a mapping."""
    if mapping is None:
        return {}
    if not isinstance(mapping, Mapping):
        raise TypeError(
            f"{name} argument does not appear valid. It should be a mapping but is of type "
            f"{type(mapping)}. For reference the parameters for apply are "
            "`apply(params, rng, ...)` for `hk.transform` and "
            "`apply(params, state, rng, ...)` for `hk.transform_with_state`.\n"
            f"The argument was: {mapping!r}."
        )
    return mapping


def _run(f: Callable[..., Any], context: frames.Context, args: Any, kwargs: Any) -> Any:
    with context:
        try:
            return f(*args, **kwargs)
        except jax.errors.UnexpectedTracerError as e:
            raise jax.errors.UnexpectedTracerError(_TRACER_HINT) from e


def _parameters(f: Callable[..., Any]) -> list[inspect.Parameter]:
    try:
        return list(inspect.signature(f).parameters.values())
    except (TypeError, ValueError):
        return [
            inspect.Parameter("args", inspect.Parameter.VAR_POSITIONAL),
            inspect.Parameter("kwargs", inspect.Parameter.VAR_KEYWORD),
        ]


def _leading(*names: str) -> list[inspect.Parameter]:
    return [inspect.Parameter(n, inspect.Parameter.POSITIONAL_OR_KEYWORD) for n in names]


class _TransformedFn:
    """Base of the init/apply callables: picklable, with a readable signature.

    The signature is `leading` followed by the wrapped function's parameters,
    less the first `replaces` of them (the ones this wrapper fills in or renames).
    """

    leading: tuple[str, ...] = ()
    replaces = 0

    def __init__(self, f: Callable[..., Any]):
        self._original_fn = getattr(f, "_original_fn", f)
        self._f = f

    @functools.cached_property
    def __signature__(self) -> inspect.Signature:
        # Cached: `jax.jit` asks for it on every trace.
        params = _leading(*self.leading) + _parameters(self._f)[self.replaces :]
        return inspect.Signature(params, __validate_parameters__=False)

    def __getstate__(self) -> dict[str, Any]:
        return {k: v for k, v in self.__dict__.items() if k != "__signature__"}

    def __repr__(self) -> str:
        name = getattr(self._original_fn, "__name__", repr(self._original_fn))
        return f"<{type(self).__name__.strip('_')} of {name}>"


class _InitWithState(_TransformedFn):
    leading = ("rng",)

    def __call__(
        self, rng_key: Any, *args: Any, **kwargs: Any
    ) -> tuple[MutableParams, MutableState]:
        sequence = rng_lib.to_prng_sequence(rng_key, INIT_RNG_ERROR)
        context = frames.Context({}, {}, sequence, params_frozen=False)
        _run(self._f, context, args, kwargs)
        return context.collect_params(), context.collect_initial_state()


class _ApplyWithState(_TransformedFn):
    leading = ("params", "state", "rng")

    def __call__(
        self, params: Params | None, state: State | None, rng_key: Any, *args: Any, **kwargs: Any
    ) -> tuple[Any, MutableState]:
        error = APPLY_RNG_STATE_ERROR if state is not None else APPLY_RNG_ERROR
        params = check_mapping("params", params)
        state = check_mapping("state", state)
        sequence = rng_lib.to_prng_sequence(rng_key, error)
        own_state = {bundle: dict(values) for bundle, values in state.items()}
        # Frozen params are only read, never written, so the caller's mapping is used as is.
        frozen = typing.cast(dict[str, dict[str, Any]], params)
        context = frames.Context(frozen, own_state, sequence, params_frozen=True)
        out = _run(self._f, context, args, kwargs)
        return out, context.collect_state()


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


def _check_not_jax_transformed(f: Any) -> None:
    if any(token in str(type(f)) for token in ("PmapFunction", "PjitFunction")):
        raise ValueError(
            "A common error is to pass an already jit (or pmap) decorated function into "
            "hk.transform (e.g. `hk.transform(jax.jit(f))`). Instead jit/pmap the init or "
            "apply function you get back (e.g. `jax.jit(hk.transform(f).apply)`): the "
            "function given to transform is not pure, init and apply are."
        )


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
    """
    _check_not_jax_transformed(f)
    return TransformedWithState(_InitWithState(f), _ApplyWithState(f))


class _InitWithoutState(_TransformedFn):
    leading, replaces = ("rng",), 1

    def __call__(self, *args: Any, **kwargs: Any) -> MutableParams:
        params, state = self._f(*args, **kwargs)
        if state:
            raise NonEmptyStateError(_STATE_IN_STATELESS)
        return params


class _ApplyWithoutState(_TransformedFn):
    leading, replaces = ("params",), 2

    def __call__(self, params: Params | None, *args: Any, **kwargs: Any) -> Any:
        if "state" in kwargs:
            raise TypeError(
                "Haiku transform adds three arguments (params, state, rng) to apply. If the "
                "functions you are transforming use the same names you must pass them "
                "positionally (e.g. `f.apply(.., my_state)` and not by name (e.g. "
                "`f.apply(.., state=my_state)`)"
            )
        out, state = self._f(params, None, *args, **kwargs)
        if state:
            raise NonEmptyStateError(_STATE_IN_STATELESS)
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
      apply_rng: removed; must be True (see `without_apply_rng`).

    Returns:
      `Transformed(init, apply)`.
    """
    if not apply_rng:
        raise ValueError(
            "The apply_rng argument has been removed and hk.transform now *always* applies "
            "an rng.\nReplace hk.transform(..., apply_rng=False) with "
            "hk.without_apply_rng(hk.transform(...)).\n"
            "Replace hk.transform(..., apply_rng=True) with hk.transform(...)."
        )
    return without_state(transform_with_state(f))


class _ApplyWithEmptyState(_TransformedFn):
    leading, replaces = ("params", "state"), 1

    def __call__(self, params: Params, state: State | None, *args: Any, **kwargs: Any) -> Any:
        return self._f(params, *args, **kwargs), {}


class _InitWithEmptyState(_TransformedFn):
    leading, replaces = ("rng",), 1

    def __call__(self, *args: Any, **kwargs: Any) -> tuple[MutableParams, MutableState]:
        return self._f(*args, **kwargs), {}


def with_empty_state(f: Transformed) -> TransformedWithState:
    """Gives a `Transformed` the `TransformedWithState` signatures, with empty state.

    Args:
      f: the transformed function.

    Returns:
      `TransformedWithState` whose init returns `(params, {})` and apply `(out, {})`.
    """
    return TransformedWithState(_InitWithEmptyState(f.init), _ApplyWithEmptyState(f.apply))


def get_original_fn(f: Any) -> Callable[..., Any]:
    """The function that was transformed (given a transformed pair or its init/apply)."""
    if isinstance(f, (Transformed, TransformedWithState)):
        f = f.init
    return f._original_fn


def running_init() -> bool:
    """Whether the current transform is running `init` (True) or `apply` (False)."""
    return not frames.assert_inside("running_init").params_frozen


def _refuse_rng_keyword(kwargs: dict[str, Any]) -> None:
    if "rng" in kwargs:
        raise TypeError(
            "Haiku transform adds three arguments (params, state, rng) to apply. If the "
            "functions you are transforming use the same names you must pass them "
            "positionally (e.g. `f.apply(.., my_rng)` and not by name (e.g. "
            "`f.apply(.., rng=my_rng)`)"
        )


class _ApplyWithoutRng(_TransformedFn):
    """Calls an apply function with `rng=None` after its `params` (and `state`)."""

    def __init__(self, f: Callable[..., Any], num_leading: int):
        super().__init__(f)
        self.leading = ("params", "state")[:num_leading]
        self.replaces = num_leading + 1

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        _refuse_rng_keyword(kwargs)
        n = len(self.leading)
        return self._f(*args[:n], None, *args[n:], **kwargs)


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
        num_leading = 2
    elif isinstance(f, (Transformed, multi_transform.MultiTransformed)):
        num_leading = 1
    else:
        raise ValueError(
            "Must be called with the result of `hk.transform`, `hk.multi_transform`, "
            "`hk.transform_with_state` or `hk.multi_transform_with_state`, "
            f"actually called with {type(f)}"
        )
    apply = jax.tree.map(lambda fn: _ApplyWithoutRng(fn, num_leading), f.apply)
    return type(f)(f.init, apply)
