"""Type aliases and protocols shared across sonnax."""

from __future__ import annotations

import abc
from collections.abc import Callable, Mapping, MutableMapping, Sequence
from typing import Any, Protocol, TypeAlias, runtime_checkable

import jax

PRNGKey: TypeAlias = jax.Array
Params: TypeAlias = Mapping[str, Mapping[str, jax.Array]]
MutableParams: TypeAlias = MutableMapping[str, MutableMapping[str, jax.Array]]
State: TypeAlias = Mapping[str, Mapping[str, jax.Array]]
MutableState: TypeAlias = MutableMapping[str, MutableMapping[str, jax.Array]]
Shape: TypeAlias = Sequence[int]
DType: TypeAlias = Any
Initializer: TypeAlias = Callable[[Sequence[int], Any], jax.Array]
PadFn: TypeAlias = Callable[[int], tuple[int, int]]


@runtime_checkable
class ModuleProtocol(Protocol):
    """What every sonnax module provides."""

    @property
    def module_name(self) -> str: ...

    @property
    def name(self) -> str: ...


@runtime_checkable
class SupportsCall(ModuleProtocol, Protocol):
    """A module that can be called."""

    @abc.abstractmethod
    def __call__(self, *args: Any, **kwargs: Any) -> Any: ...
