"""`once`: run a function, or a method per instance, only the first time it is called."""

from __future__ import annotations

import functools
import weakref
from collections.abc import Callable
from typing import Any, TypeVar

from sonnax._src.core import frames

F = TypeVar("F", bound=Callable[..., Any])
_OUTSIDE = object()


def current_run() -> Any:
    """A token equal only to itself for this `init`/`apply` run (or for "outside any").

    A weak reference to the run's context (weak references to one live object compare
    equal), or a sentinel outside transforms.
    """
    context = frames.current_context()
    return _OUTSIDE if context is None else weakref.ref(context)


def _check_no_output(output: Any) -> None:
    if output is not None:
        raise ValueError("@snt.once decorated functions cannot return values")


def once(f: F) -> F:
    """Makes `f` run only on its first call (per instance, for a method).

    Inside a transformed function "first" means first in this `init` or `apply`: a
    method reads its variables there (`self.w = ...`), and a module built once and used
    by several runs (see `functional.variables`) must read each run's own. A call that
    raises does not count: the next call runs `f` again. As in Sonnet, `f` must return
    `None`.

    >>> from sonnax import compat as snt
    >>> @snt.once
    ... def hello():
    ...     print("hello")
    >>> hello(); hello()
    hello

    Args:
      f: a function, or a method (whose first argument is the instance).

    Returns:
      The wrapped function.
    """
    # A function defined in a class body (`Cls.method`) runs once per instance.
    qualname_parts = f.__qualname__.split(".")
    is_method = len(qualname_parts) > 1 and qualname_parts[-2] != "<locals>"
    # instance (or `f` itself, for a function) -> the run it last ran in: a weak
    # reference to that run's context, or `_OUTSIDE` (outside any transform).
    last_run: weakref.WeakKeyDictionary[Any, Any] = weakref.WeakKeyDictionary()

    @functools.wraps(f)
    def wrapper(*args: Any, **kwargs: Any) -> None:
        key = args[0] if is_method else wrapper
        run = current_run()
        if last_run.get(key) == run:
            return
        _check_no_output(f(*args, **kwargs))
        last_run[key] = run

    wrapper.__snt_once_wrapped__ = f  # type: ignore[attr-defined]
    return wrapper  # type: ignore[return-value]
