"""Interceptors: custom creators, getters and setters, and method interception.

Each kind of interceptor is a thread-local stack. They run outermost first,
each handing on to the next through the `next_*` callable it is given.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Callable, Iterator, Sequence
from typing import TYPE_CHECKING, Any, NamedTuple

from sonnax._src.core import frames

if TYPE_CHECKING:
    from sonnax._src.core import module as module_lib


class GetterContext(NamedTuple):
    """Where a parameter or state value is being created or read.

    Attributes:
      full_name: module path and value name, e.g. `mlp/~/linear_0/w`.
      module: the module that owns the value, or `None` at the top level.
      original_dtype: the dtype that `get_parameter`/`get_state` was called with.
      original_shape: the shape that `get_parameter`/`get_state` was called with.
      original_init: the initializer that `get_parameter`/`get_state` was called with.
      lifted_prefix_name: the names of enclosing lifted modules during init, else `None`.
    """

    full_name: str
    module: module_lib.Module | None
    original_dtype: Any
    original_shape: Sequence[int] | None
    original_init: Callable[..., Any] | None
    lifted_prefix_name: str | None

    @property
    def module_name(self) -> str:
        """The module path, e.g. `mlp/~/linear_0`."""
        return self.full_name.rsplit("/", 1)[0]

    @property
    def name(self) -> str:
        """The value's own name, e.g. `w`."""
        return self.full_name.rsplit("/", 1)[1]


class SetterContext(NamedTuple):
    """Where a state value is being set (see `GetterContext` for the fields)."""

    full_name: str
    module: module_lib.Module | None
    original_dtype: Any
    original_shape: Any
    lifted_prefix_name: str | None

    @property
    def module_name(self) -> str:
        """The module path."""
        return self.full_name.rsplit("/", 1)[0]

    @property
    def name(self) -> str:
        """The value's own name."""
        return self.full_name.rsplit("/", 1)[1]


class MethodContext(NamedTuple):
    """A module method call seen by an interceptor (see `intercept_methods`).

    Attributes:
      module: the module whose method is called.
      method_name: the method's name, e.g. `__call__`.
      orig_method: the bound method, with sonnax's name scoping already applied.
      orig_class: the class that defined the method.
    """

    module: module_lib.Module
    method_name: str
    orig_method: Callable[..., Any]
    orig_class: type


Creator = Callable[..., Any]
Getter = Callable[..., Any]
Setter = Callable[..., Any]
MethodGetter = Callable[..., Any]


class _Stacks(threading.local):
    def __init__(self) -> None:
        self.param_creators: list[Creator] = []
        self.state_creators: list[Creator] = []
        self.param_getters: list[Getter] = []
        self.state_getters: list[Getter] = []
        self.state_setters: list[Setter] = []
        self.methods: list[MethodGetter] = []


stacks = _Stacks()


@contextlib.contextmanager
def _pushed(*pairs: tuple[list[Any], Any]) -> Iterator[None]:
    for stack, item in pairs:
        stack.append(item)
    try:
        yield
    finally:
        for stack, item in pairs:
            assert stack.pop() is item, "interceptors were exited out of order"


def run_creators(
    creators: list[Creator], context: GetterContext, shape: Any, dtype: Any, init: Any
) -> Any:
    """Runs `creators` outermost first; the last hands on to `init(shape, dtype)`."""
    remaining = iter(list(creators))

    def next_creator(shape: Any, dtype: Any, init: Any) -> Any:
        creator = next(remaining, None)
        if creator is None:
            return init(shape, dtype)
        return creator(next_creator, shape, dtype, init, context)

    return next_creator(shape, dtype, init)


def run_chain(handlers: list[Callable[..., Any]], context: Any, value: Any) -> Any:
    """Runs getters or setters outermost first; each returns the value to use."""
    remaining = iter(list(handlers))

    def next_handler(value: Any) -> Any:
        handler = next(remaining, None)
        return value if handler is None else handler(next_handler, value, context)

    return next_handler(value)


def custom_creator(
    creator: Creator, *, params: bool = True, state: bool = False
) -> contextlib.AbstractContextManager[None]:
    """Intercepts the creation of parameters (and/or state) during init.

    A creator is called as `creator(next_creator, shape, dtype, init, context)`
    and returns the initial value, usually `next_creator(shape, dtype, init)`.

    Args:
      creator: the creator.
      params: intercept parameter creation.
      state: intercept state creation.

    Returns:
      A context manager in which the creator is active.
    """
    frames.assert_inside("custom_creator")
    pairs = [(stacks.param_creators, creator)] if params else []
    pairs += [(stacks.state_creators, creator)] if state else []
    return _pushed(*pairs)


def custom_getter(
    getter: Getter, *, params: bool = True, state: bool = False
) -> contextlib.AbstractContextManager[None]:
    """Intercepts every read of a parameter (and/or state) value.

    A getter is called as `getter(next_getter, value, context)` and returns the
    value the module sees, usually `next_getter(changed_value)`.

    Args:
      getter: the getter.
      params: intercept parameter reads.
      state: intercept state reads.

    Returns:
      A context manager in which the getter is active.
    """
    frames.assert_inside("custom_getter")
    pairs = [(stacks.param_getters, getter)] if params else []
    pairs += [(stacks.state_getters, getter)] if state else []
    return _pushed(*pairs)


def custom_setter(setter: Setter) -> contextlib.AbstractContextManager[None]:
    """Intercepts every `set_state`.

    A setter is called as `setter(next_setter, value, context)` and returns the
    value to store (or `DO_NOT_STORE`).

    Args:
      setter: the setter.

    Returns:
      A context manager in which the setter is active.
    """
    frames.assert_inside("custom_setter")
    return _pushed((stacks.state_setters, setter))


def intercept_methods(interceptor: MethodGetter) -> contextlib.AbstractContextManager[None]:
    """Intercepts every method call of every module inside the `with` block.

    An interceptor is called as `interceptor(next_fun, args, kwargs, context)`
    with a `MethodContext`, and usually returns `next_fun(*args, **kwargs)`.

    Args:
      interceptor: the method interceptor.

    Returns:
      A context manager in which the interceptor is active.
    """
    return _pushed((stacks.methods, interceptor))


def install_global_method_interceptor(interceptor: MethodGetter) -> None:
    """Installs `interceptor` outermost on this thread until it is uninstalled.

    Used by mixed precision, which (as in Haiku) intercepts method calls outside
    any `with` block once a policy is set; an empty stack keeps calls free of it.
    """
    stacks.methods.insert(0, interceptor)


def uninstall_global_method_interceptor(interceptor: MethodGetter) -> None:
    """Removes an interceptor installed by `install_global_method_interceptor`."""
    stacks.methods.remove(interceptor)


def run_method_interceptors(
    bound_method: Callable[..., Any],
    context: MethodContext,
    args: tuple[Any, ...],
    kwargs: dict[str, Any],
) -> Any:
    """Calls `bound_method` through the active method interceptors, outermost first."""
    remaining = iter(list(stacks.methods))

    def next_fun(*args: Any, **kwargs: Any) -> Any:
        interceptor = next(remaining, None)
        if interceptor is None:
            return bound_method(*args, **kwargs)
        return interceptor(next_fun, args, kwargs, context)

    return next_fun(*args, **kwargs)
