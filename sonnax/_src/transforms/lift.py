"""Lifting: registering the params and state of an inner transform in the outer one.

An inner `init` called inside a transformed function creates params that the
outer transform would otherwise never see. A lifting module runs that `init`
during the outer init and files its results under the module's name; during
the outer apply it hands the same values back, read from the outer params.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping
from typing import Any, TypeVar

from sonnax._src.core import frames, module, naming, transform
from sonnax._src.typing import Params, State

T = TypeVar("T")
_Tree = dict[str, dict[str, Any]]


def _pack(
    source: Mapping[str, Mapping[str, Any]],
    destinations: tuple[_Tree, ...],
    prefix: str,
    check_reuse: bool,
) -> None:
    """Copies `source` into each destination, its module names under `prefix`."""
    for module_name, values in source.items():
        name = f"{prefix}/{module_name}" if prefix else module_name
        if check_reuse and name in destinations[0]:
            raise ValueError(
                f"Key '{name}' already exists in the destination params. To prevent "
                "accidental parameter re-use during lift, you can't re-use a parameter "
                f"already defined in the outer scope (it holds {sorted(destinations[0][name])}). "
                "Pass `allow_reuse=True` if the reuse is intended, e.g. under `hk.scan`."
            )
        for destination in destinations:
            destination.setdefault(name, {}).update(values)


def _unpack(source: Mapping[str, Mapping[str, Any]], prefix: str) -> dict[str, dict[str, Any]]:
    """The entries of `source` whose module name starts with `prefix`, less the prefix."""
    cut = len(prefix)
    return {name[cut:]: dict(values) for name, values in source.items() if name.startswith(prefix)}


def _with_empty_state(init_fn: Callable[..., Params]) -> Callable[..., tuple[Params, State]]:
    def init_with_state(*args: Any, **kwargs: Any) -> tuple[Params, State]:
        params = init_fn(*args, **kwargs)
        if not isinstance(params, Mapping):
            raise transform.NonEmptyStateError(
                "For stateful lifted functions use `hk.lift_with_state`: the lifted init "
                f"returned a {type(params).__name__}, not a params mapping (the init of "
                "`hk.transform_with_state` returns `(params, state)`)."
            )
        return params, {}

    return init_with_state


class LiftingModule(module.Module):
    """Runs an inner init in the outer init, and serves its values in the outer apply."""

    def __init__(
        self,
        init_fn: Callable[..., tuple[Params, State]],
        transparent: bool = False,
        allow_reuse: bool = False,
        name: str = "lifted",
    ):
        super().__init__(name=name)
        self._init_fn = init_fn
        self._allow_reuse = allow_reuse
        # A transparent lift files values under its parent's name instead of its own.
        self._prefix = self.module_name.rpartition("/")[0] if transparent else self.module_name
        setattr(self, naming.LIFTED_PREFIX_ATTR, self._prefix)

    def __call__(self, *args: Any, **kwargs: Any) -> tuple[Params, State]:
        frame = frames.current()
        if not frame.params_frozen:
            params, state = self._init_fn(*args, **kwargs)
            check_reuse = not self._allow_reuse
            _pack(params, (frame.params,), self._prefix, check_reuse)
            _pack(state, (frame.state, frame.initial_state), self._prefix, check_reuse)
            return params, state
        prefix = f"{self._prefix}/" if self._prefix else ""
        return _unpack(frame.params, prefix), _unpack(frame.state, prefix)


def _checked_once(method: Callable[..., T]) -> Callable[..., T]:
    """Lets an updater method run once, inside the init/apply call that made the updater."""

    @functools.wraps(method)
    def checked(self: LiftWithStateUpdater, *args: Any, **kwargs: Any) -> T:
        if self._used:
            raise ValueError("State updater must only be used once.")
        if not frames.inside_transform():
            raise ValueError("State updater must be used inside hk.transform_with_state.")
        if frames.current_context() is not self._context:
            raise ValueError(
                "State updater must be used within the same call to init/apply: this one "
                "was made by `lift_with_state` during another call."
            )
        self._used = True
        return method(self, *args, **kwargs)

    return checked


class LiftWithStateUpdater:
    """Writes the state that an inner apply returned back into the outer transform.

    Made by `lift_with_state`; call `update` or `ignore_update` exactly once,
    within the same init/apply call.
    """

    __slots__ = ("_used", "_name", "_context")

    def __init__(self, name: str | None):
        """Ties the updater to the current init/apply call.

        Args:
          name: the prefix of the state's module names in the outer transform.
        """
        self._used = False
        self._name = name
        self._context = frames.current_context()
        if self._context is not None:
            self._context.add_teardown_callback(self.assert_used)

    def assert_used(self) -> None:
        """Raises `ValueError` if neither `update` nor `ignore_update` was called."""
        if not self._used:
            raise ValueError(
                "LiftWithStateUpdater (from `lift_with_state`) must be used, call "
                "`.update(..)` or `.ignore_update()` before it goes out of scope "
                f"(updater for {self._name or 'the top level'!r})."
            )

    @_checked_once
    def ignore_update(self) -> None:
        """Marks the updater used, leaving the outer state as it is."""

    @_checked_once
    def update(self, state: State) -> None:
        """Sets the outer transform's state to `state`, as returned by the inner apply.

        Args:
          state: `{module_name: {name: value}}` in the inner transform's names.
        """
        frame = frames.current()
        for module_name, values in state.items():
            if self._name is not None:
                module_name = f"{self._name}/{module_name}"
            initial = frame.initial_state.setdefault(module_name, {})
            for name, value in values.items():
                initial.setdefault(name, value)
            frame.state.setdefault(module_name, {}).update(values)


def _as_function(f: Callable[..., T]) -> Callable[..., T]:
    # A plain function, so that callers cannot reach the module's other methods.
    return lambda *args, **kwargs: f(*args, **kwargs)


def lift(
    init_fn: Callable[..., Params],
    *,
    allow_reuse: bool = False,
    name: str = "lifted",
) -> Callable[..., Params]:
    """Registers the params made by an inner `init` in the outer transform.

    During the outer init the returned function runs `init_fn` and stores its
    params under `name`; during the outer apply it returns those stored params.
    Use it to apply JAX transforms (e.g. `jax.vmap` of an inner init) inside a
    transformed function.

    >>> import sonnax as hk
    >>> import jax, jax.numpy as jnp
    >>> def f(x):
    ...     inner = hk.transform(lambda x: hk.Linear(2)(x))
    ...     init_rng = hk.next_rng_key() if hk.running_init() else None
    ...     params = hk.lift(inner.init, name="inner")(init_rng, x)
    ...     return inner.apply(params, None, x)
    >>> params = hk.transform(f).init(jax.random.PRNGKey(0), jnp.ones([1, 3]))
    >>> jax.tree.map(jnp.shape, params)
    {'inner/linear': {'b': (2,), 'w': (3, 2)}}

    Args:
      init_fn: the `init` of a `Transformed`.
      allow_reuse: allow names already present in the outer params (for
        example when the lift runs more than once, under control flow).
      name: the module name the lifted params are stored under.

    Returns:
      A function with `init_fn`'s arguments returning the inner params.

    Raises:
      ValueError: outside `transform`.
    """
    frames.assert_inside("lift")
    params_and_state_fn, updater = lift_with_state(
        _with_empty_state(init_fn), allow_reuse=allow_reuse, name=name
    )
    updater.ignore_update()
    return lambda *args, **kwargs: params_and_state_fn(*args, **kwargs)[0]


def transparent_lift(
    init_fn: Callable[..., Params], *, allow_reuse: bool = False
) -> Callable[..., Params]:
    """Like `lift`, but the lifted params keep their own names (no added scope).

    Modules created outside the lifted function may not be used inside it.

    Args:
      init_fn: the `init` of a `Transformed`.
      allow_reuse: allow names already present in the outer params.

    Returns:
      A function with `init_fn`'s arguments returning the inner params.

    Raises:
      ValueError: outside `transform`.
    """
    frames.assert_inside("transparent_lift")
    lifted = LiftingModule(_with_empty_state(init_fn), transparent=True, allow_reuse=allow_reuse)

    def params_fn(*args: Any, **kwargs: Any) -> Params:
        with frames.closure_boundary(frames.current().frame_id + 1):
            return lifted(*args, **kwargs)[0]

    return params_fn


def lift_with_state(
    init_fn: Callable[..., tuple[Params, State]],
    *,
    allow_reuse: bool = False,
    name: str = "lifted",
) -> tuple[Callable[..., tuple[Params, State]], LiftWithStateUpdater]:
    """Registers the params and state made by an inner `init` in the outer transform.

    Returns a function giving `(params, state)` (run by the outer init, read
    back in the outer apply) and an updater: pass it the state the inner apply
    returns, or call its `ignore_update`, once per init/apply.

    Args:
      init_fn: the `init` of a `TransformedWithState`.
      allow_reuse: allow names already present in the outer params and state.
      name: the module name the lifted values are stored under.

    Returns:
      `(params_and_state_fn, updater)`.

    Raises:
      ValueError: outside `transform`.
    """
    frames.assert_inside("lift_with_state")
    lifted = LiftingModule(init_fn, allow_reuse=allow_reuse, name=name)
    # As Haiku: the updater uses the name asked for, not the unique name given to the module.
    if frames.current().current_module() is not None:
        name = f"{naming.current_name()}/{name}"
    return _as_function(lifted), LiftWithStateUpdater(name)


def transparent_lift_with_state(
    init_fn: Callable[..., tuple[Params, State]], *, allow_reuse: bool = False
) -> tuple[Callable[..., tuple[Params, State]], LiftWithStateUpdater]:
    """Like `lift_with_state`, but the lifted values keep their own names.

    Args:
      init_fn: the `init` of a `TransformedWithState`.
      allow_reuse: allow names already present in the outer params and state.

    Returns:
      `(params_and_state_fn, updater)`.

    Raises:
      ValueError: outside `transform`.
    """
    frames.assert_inside("transparent_lift_with_state")
    lifted = LiftingModule(init_fn, transparent=True, allow_reuse=allow_reuse)
    name = naming.current_name() if frames.current().current_module() is not None else None
    return _as_function(lifted), LiftWithStateUpdater(name)
