"""`Deferred`: a module built only when it is first called."""

from __future__ import annotations

import contextlib
import typing
from collections.abc import Callable, Iterator, Sequence
from typing import Any, Generic, TypeVar

from sonnax._src.core import frames, module

T = TypeVar("T", bound=module.Module)


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
        self._factory: Callable[[], T] | None = factory
        self._target: T | None = None
        self._constructor_state = frame.module_stack[-1] if frame.module_stack else None
        for method_name in call_methods:
            # Special methods are looked up on the class, so `__call__` is defined
            # below rather than set per instance.
            if method_name != "__call__":
                setattr(self, method_name, _build_then_call(self, method_name))

    @property
    def target(self) -> T:
        """The module, built by the factory on the first access."""
        if self._target is None:
            frame = frames.assert_inside("Deferred")
            assert self._factory is not None, "the factory ran but built no module"
            with _in_module_state(frame, self._constructor_state):
                self._target = self._factory()
            self._factory = None
        return self._target

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        return typing.cast(Any, self.target)(*args, **kwargs)

    def __str__(self) -> str:
        return f"Deferred({self.target})"

    def __repr__(self) -> str:
        return f"Deferred({self.target!r})"

    def __getattr__(self, name: str) -> Any:
        # Runs only for attributes not found on the `Deferred` itself.
        target = self.__dict__.get("_target")
        if name != "_target" and target is not None:
            return getattr(target, name)
        raise AttributeError(
            f"'{type(self).__name__}' object has no attribute '{name}' (its target module is "
            "built on the first call; call it or read `.target` before using its attributes)."
        )

    def __setattr__(self, name: str, value: Any) -> None:
        target = self.__dict__.get("_target")
        if name != "_target" and target is not None:
            setattr(target, name, value)
        else:
            super().__setattr__(name, value)

    def __delattr__(self, name: str) -> None:
        target = self.__dict__.get("_target")
        if name != "_target" and target is not None:
            delattr(target, name)
        else:
            super().__delattr__(name)


def _build_then_call(deferred: Deferred[Any], method_name: str) -> Callable[..., Any]:
    def call(*args: Any, **kwargs: Any) -> Any:
        return getattr(deferred.target, method_name)(*args, **kwargs)

    return call


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
