"""`Deferred`: a module built by a constructor the first time it is used."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from sonnax.compat._src import base


class Deferred(base.Module):
    """Wraps `constructor()`, calling it the first time the wrapped module is needed.

    The wrapped module is built in the caller's name scope, so its parameters are named as
    if the caller had built it. Once built, attribute reads and writes go to it.
    """

    def __init__(
        self,
        constructor: Callable[[], Any],
        call_methods: Sequence[str] = ("__call__",),
        name: str | None = None,
    ):
        """Constructs the wrapper.

        Args:
          constructor: takes no arguments and returns the module to wrap.
          call_methods: methods of the wrapped module to expose here (besides `__call__`).
          name: the wrapper's name.
        """
        super().__init__(name=name)
        self._constructor: Callable[[], Any] | None = constructor
        self._target = None
        for call_method in call_methods:
            if call_method == "__call__":
                continue
            setattr(self, call_method, _materialize_then_call(self, call_method))

    @property
    @base.no_name_scope
    def target(self) -> Any:
        """The wrapped module, built on first access."""
        if self._target is None:
            assert self._constructor is not None
            self._target = self._constructor()
            self._constructor = None
        return self._target

    @base.no_name_scope
    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        """Calls the wrapped module."""
        return self.target(*args, **kwargs)

    def __str__(self) -> str:
        return f"Deferred({self.target})"

    def __repr__(self) -> str:
        return f"Deferred({self.target!r})"

    def __getattr__(self, name: str) -> Any:
        if name != "_target" and hasattr(self, "_target") and self._target is not None:
            return getattr(self._target, name)
        raise AttributeError(f"'{type(self).__name__}' object has no attribute '{name}'")

    def __setattr__(self, name: str, value: Any) -> None:
        if name != "_target" and hasattr(self, "_target") and self._target is not None:
            setattr(self._target, name, value)
            return
        super().__setattr__(name, value)

    def __delattr__(self, name: str) -> None:
        if name != "_target" and hasattr(self, "_target") and self._target is not None:
            delattr(self._target, name)
            return
        super().__delattr__(name)


def _materialize_then_call(module: Deferred, method_name: str) -> Callable[..., Any]:
    def wrapped(*args: Any, **kwargs: Any) -> Any:
        return getattr(module.target, method_name)(*args, **kwargs)

    return wrapped
