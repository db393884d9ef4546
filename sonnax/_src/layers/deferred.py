"""`Deferred`: a module built only when it is first called."""

from __future__ import annotations

import contextlib
import functools
import typing
from collections.abc import Callable, Iterator, Sequence
from typing import Any, Generic, TypeVar

from sonnax._src.core import frames, module

T = TypeVar("T", bound=module.Module)

# "'Deferred' object has no attribute '<name>'" is the phrase Haiku's tests match.
_NOT_BUILT_YET = (
    "'Deferred' object has no attribute '{name}' (its target module is built on the first "
    "call; call it or read `.target` before using its attributes)."
)


class Deferred(Generic[T]):
    """Stands for a module that `factory` builds on first use.

    This lets a module be declared before something its constructor needs is
    known, e.g. a decoder sized by an encoder's `input_size`, which is set only
    once the encoder has run. The target is named as if built where the
    `Deferred` was created. Once built, attribute reads, writes and deletes go
    to the target.

    >>> import sonnax as hk
    >>> import jax, jax.numpy as jnp
    >>> def autoencoder(x):
    ...     encoder = hk.Linear(2, name="encoder")
    ...     decoder = hk.Deferred(lambda: hk.Linear(encoder.input_size, name="decoder"))
    ...     return decoder(encoder(x))
    >>> params = hk.transform(autoencoder).init(jax.random.PRNGKey(0), jnp.ones([1, 5]))
    >>> jax.tree.map(jnp.shape, params)
    {'decoder': {'b': (5,), 'w': (2, 5)}, 'encoder': {'b': (2,), 'w': (5, 2)}}
    """

    def __init__(
        self,
        factory: Callable[[], T],
        call_methods: Sequence[str] = ("__call__",),
    ):
        """Records the factory; nothing is built yet.

        Args:
          factory: a callable taking no arguments that returns the module.
          call_methods: the target's methods that, called on the `Deferred`,
            build the target and forward the call, e.g. `("__call__", "encode")`.
        """
        frame = frames.assert_inside("Deferred")
        # Nothing is built yet, so these are stored here (`_forwards_to` is None).
        self._target: T | None = None
        self._factory = factory
        self._constructor_state = frame.module_stack[-1] if frame.module_stack else None
        # Python looks special methods up on the type, so `__call__` is a method of
        # the class; every other name becomes an instance attribute.
        for method_name in call_methods:
            if method_name != "__call__":
                setattr(self, method_name, functools.partial(_forward, self, method_name))

    @property
    def target(self) -> T:
        """The module, built by the factory on the first access."""
        if self._target is None:
            self._build()
        return typing.cast(T, self._target)

    def _build(self) -> None:
        frame = frames.assert_inside("Deferred")
        with _in_module_state(frame, self._constructor_state):
            self._target = self._factory()
        # Haiku clears the factory after building, but once `_target` is set writes
        # are forwarded: the target gains `_factory = None` and the `Deferred` keeps
        # its factory. Reproduced so `vars(target)` is the same in both libraries.
        self._factory = None  # type: ignore[assignment]

    def _forwards_to(self, name: str) -> T | None:
        """The built target when `name` is resolved on it rather than here, else None.

        Only `_target` itself always lives on the `Deferred`, as in Haiku.
        """
        return None if name == "_target" else self.__dict__.get("_target")

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        # Calls the target itself, so a target without `__call__` raises Python's own
        # "'X' object is not callable" TypeError, as in Haiku.
        return typing.cast(Callable[..., Any], self.target)(*args, **kwargs)

    def __getattr__(self, name: str) -> Any:
        # Python calls this only for names that normal lookup on the `Deferred` misses.
        target = self._forwards_to(name)
        if target is None:
            raise AttributeError(_NOT_BUILT_YET.format(name=name))
        return getattr(target, name)

    def __setattr__(self, name: str, value: Any) -> None:
        target = self._forwards_to(name)
        if target is None:
            object.__setattr__(self, name, value)
        else:
            setattr(target, name, value)

    def __delattr__(self, name: str) -> None:
        target = self._forwards_to(name)
        if target is None:
            object.__delattr__(self, name)
        else:
            delattr(target, name)

    # Both show the target, building it if needed (as Haiku's do).
    def __repr__(self) -> str:
        return f"Deferred({self.target!r})"

    def __str__(self) -> str:
        return f"Deferred({self.target!s})"


def _forward(deferred: Deferred[Any], method_name: str, *args: Any, **kwargs: Any) -> Any:
    """Builds the target if needed and calls its method `method_name`."""
    return getattr(deferred.target, method_name)(*args, **kwargs)


@contextlib.contextmanager
def _in_module_state(frame: frames.Frame, state: frames.ModuleState | None) -> Iterator[None]:
    """Makes `state` the innermost module scope while the target is built.

    As in Haiku only the module stack is restored, not the naming counters: the
    target's name is made unique among the names used where it is first called.
    """
    if state is None:
        yield
        return
    frame.module_stack.append(state)
    try:
        yield
    finally:
        frame.module_stack.pop()
