"""Module names: unique naming, name scopes and the decorators that steer them.

Names follow Haiku 0.0.17 exactly, since they are the keys of the params dict:
a class name becomes snake_case (`MyLinear` -> `my_linear`), repeats in one
scope get `_1`, `_2`, ... suffixes, and a child's name is joined to its
parent's with `/` when created in `__call__`, `/~/` in `__init__` and
`/~method/` in any other method.
"""

from __future__ import annotations

import contextlib
import functools
import re
from collections.abc import Callable
from typing import TYPE_CHECKING, TypeVar

from sonnax._src.core import frames

if TYPE_CHECKING:
    from types import TracebackType

    from sonnax._src.core import module as module_lib

T = TypeVar("T")

FORCE_PREFIX = "FORCE:"
TRANSPARENT_ATTR = "_sonnax_transparent"
CUSTOM_NAME_ATTR = "_sonnax_custom_name"
# Set by lifting modules (`lift.py`) to the prefix they give the names they lift.
LIFTED_PREFIX_ATTR = "_sonnax_lifted_prefix"

_CAMEL_BOUNDARY = re.compile(r"((?<=[a-z0-9])[A-Z]|(?!^)[A-Z](?=[a-z]))")
_IDENTIFIER = re.compile(r"^[a-zA-Z_][a-zA-Z0-9_]*$")
_NUMBER_SUFFIX = re.compile(r"_(0|[1-9]\d*)$")


# Cached: each module construction converts its class name (one regex per module and apply).
@functools.lru_cache(maxsize=1024)
def camel_to_snake(name: str) -> str:
    """`MyLSTMCore` -> `my_lstm_core`."""
    return _CAMEL_BOUNDARY.sub(r"_\1", name).lower()


def split_number(name: str) -> tuple[str, int | None]:
    """`linear_2` -> (`linear`, 2); `linear` -> (`linear`, None)."""
    match = _NUMBER_SUFFIX.search(name)
    if match is None:
        return name, None
    return name[: match.start()], int(match.group(1))


def check_identifier(component: str, full_name: str, allow_leading_tilde: bool = False) -> None:
    """Raises unless `component` (one part of a module name) is a Python identifier."""
    if allow_leading_tilde and component.startswith("~"):
        component = component[1:]
        if not component:
            return
    if not _IDENTIFIER.match(component):
        raise ValueError(
            f"'{full_name}' is not a valid module name (must be a valid Python identifier, "
            f"the offending part is {component!r})."
        )


def reserve(frame: frames.Frame, name: str, *, check_unique: bool) -> None:
    """Marks `name` as taken in the enclosing scope and advances its counter."""
    used_names = frame.used_names_stack[-2]
    if check_unique and name in used_names:
        raise ValueError(
            f"Module name '{name}' is not unique: a module of that name already exists in this "
            "scope. Leave `name=None` to get a numbered name, or pick another name."
        )
    used_names.add(name)
    base, number = split_number(name)
    counter = frame.counter_stack[-2]
    counter[base] = max(counter[base], (number or 0) + 1)


def unique_name(frame: frames.Frame, name: str) -> str:
    """The full, unique module name for a module called `name` being constructed now.

    The module under construction is on top of the module stack; its parent, if
    any, is just below it.
    """
    if len(frame.module_stack) > 1:
        parent, method_name = frame.module_stack[-2]
        if method_name == "__init__":
            name = f"~/{name}"
        elif method_name != "__call__":
            name = f"~{method_name}/{name}"
        name = f"{name_of(parent)}/{name}"
    base, number = split_number(name)
    if number is None:
        number = frame.counter_stack[-2][base]
        name = f"{base}_{number}" if number else base
    reserve(frame, name, check_unique=True)
    return name


def name_of(module: module_lib.Module) -> str:
    """The module's full name; raises if its constructor did not run `Module.__init__`."""
    name = getattr(module, "module_name", None)
    if name is None:
        raise ValueError(
            "The super constructor must be called before you create parameters or "
            f"submodules: add `super().__init__(name=name)` at the top of "
            f"`{type(module).__name__}.__init__`."
        )
    boundary = frames.innermost_closure_boundary()
    if boundary is not None and module.__dict__.get("_creation_frame_id", boundary) < boundary:
        raise ValueError(
            "You can't functionally close over a module which has been initialized outside "
            "of the function wrapped in hk.transparent_lift or hk.layer_stack.\n"
            f"The module you closed over is called '{name}': create it inside that function."
        )
    return name


def lifted_prefix_name() -> str | None:
    """The names of the enclosing lifting modules, outermost first, as `a/b/`.

    Only during init (`None` in apply), as Haiku gives custom creators and getters.

    Returns:
      The prefix the current values will be stored under in the outer transform.
    """
    stack = frames.all_frames()
    if stack[-1].params_frozen:
        return None
    prefixes = []
    for frame in stack:
        if frame.module_stack:
            prefix = getattr(frame.module_stack[-1].module, LIFTED_PREFIX_ATTR, None)
            if prefix:
                prefixes.append(prefix)
    return "/".join(prefixes) + "/" if prefixes else None


def force_name(name: str) -> str:
    """Marks a module name to be used as given, not made unique or nested.

    >>> import sonnax as hk
    >>> hk.force_name("encoder/linear")
    'FORCE:encoder/linear'

    Args:
      name: the full module name to use, e.g. one taken from another module.

    Returns:
      A name to pass as a module's `name` argument.
    """
    return f"{FORCE_PREFIX}{name}"


def transparent(method: T) -> T:
    """Decorates a module method so that it does not open a name scope of its own.

    Modules and parameters created inside it are named as if created by the
    caller, which lets a refactored module keep the parameter names it had.

    Args:
      method: the method.

    Returns:
      The same method, marked.
    """
    setattr(method, TRANSPARENT_ATTR, True)
    return method


def name_like(method_name: str) -> Callable[[T], T]:
    """Decorates a method so that modules it creates are named as if in `method_name`.

    Args:
      method_name: the method whose naming to borrow, e.g. `"__call__"`.

    Returns:
      A decorator.
    """

    def decorator(method: T) -> T:
        setattr(method, CUSTOM_NAME_ATTR, method_name)
        return method

    return decorator


def current_name() -> str:
    """The name of the innermost module or name scope, or `~` at the top level.

    Returns:
      The key under which `get_parameter` would store a parameter here.
    """
    frame = frames.assert_inside("current_name")
    module = frame.current_module()
    return "~" if module is None else name_of(module)


class NameScope:
    """A single-use context manager entering a name scope (see `name_scope`)."""

    def __init__(self, name: str, method_name: str):
        if not name or name[0] == "/":
            raise ValueError(f"Name scopes must not start with / (got {name!r}).")
        parts = [name] if name.startswith(FORCE_PREFIX) else name.split("/")
        from sonnax._src.core import module as module_lib  # Scopes are modules; see module.py.

        frame = frames.current()
        entered = 0
        try:  # Each nested part is created inside its parent part's method scope.
            for part in parts:
                scope = module_lib.NameScopeModule(name=part)
                frame.push_module(scope, method_name)
                entered += 1
        finally:
            for _ in range(entered):
                frame.pop_module()
        self._scope = scope
        self._method_name = method_name
        self._state = "new"

    def __enter__(self) -> None:
        if self._state == "entered":
            raise ValueError("name_scope is not reentrant")
        if self._state == "exited":
            raise ValueError("name_scope is not reusable")
        self._state = "entered"
        self._frame = frames.current()
        self._frame.push_module(self._scope, self._method_name)

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self._frame.pop_module()
        self._state = "exited"


def name_scope(name: str, *, method_name: str = "__call__") -> contextlib.AbstractContextManager:
    """Opens a scope in which parameters and modules are named as inside a module `name`.

    >>> import sonnax as hk
    >>> import jax.numpy as jnp
    >>> def f():
    ...     with hk.name_scope("block"):
    ...         return hk.get_parameter("w", [2], init=jnp.ones)
    >>> hk.transform(f).init(None)
    {'block': {'w': Array([1., 1.], dtype=float32)}}

    Args:
      name: the scope's name; `/` separates nested scopes.
      method_name: the method the scope behaves like (affects names of modules
        created inside it).

    Returns:
      A context manager, usable once.
    """
    frames.assert_inside("name_scope")
    return NameScope(name, method_name)
