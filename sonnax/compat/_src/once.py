"""`once`: run a function, or a method per instance, only the first time it is called."""

from __future__ import annotations

import functools
import weakref
from collections.abc import Callable
from typing import Any, TypeVar

F = TypeVar("F", bound=Callable[..., Any])


def _check_no_output(output: Any) -> None:
    if output is not None:
        raise ValueError("@snt.once decorated functions cannot return values")


def once(f: F) -> F:
    """Makes `f` run only on its first call (per instance, for a method).

    A call that raises does not count: the next call runs `f` again. As in Sonnet,
    `f` must return `None`.

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
    ran_for: weakref.WeakSet[Any] = weakref.WeakSet()
    ran = False

    @functools.wraps(f)
    def wrapper(*args: Any, **kwargs: Any) -> None:
        nonlocal ran
        if not is_method:
            if not ran:
                _check_no_output(f(*args, **kwargs))
                ran = True
            return
        instance = args[0]
        if instance in ran_for:
            return
        _check_no_output(f(*args, **kwargs))
        ran_for.add(instance)

    wrapper.__snt_once_wrapped__ = f  # type: ignore[attr-defined]
    return wrapper  # type: ignore[return-value]
