"""`Sequential` (a chain of layers) and `to_module` (a function as a module class)."""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable
from typing import Any

from sonnax._src.core import module


class Sequential(module.Module):
    """Calls layers one after the other, each on the previous one's output.

    The first layer gets all the arguments given to `__call__`, the others only
    the previous output. For layers needing more arguments (e.g. `is_training`
    of a later `BatchNorm`), write a `Module` with an explicit `__call__`.

    >>> import sonnax as hk
    >>> import jax, jax.numpy as jnp
    >>> f = hk.transform(lambda x: hk.Sequential([hk.Linear(3), jax.nn.relu, hk.Linear(1)])(x))
    >>> params = f.init(jax.random.PRNGKey(0), jnp.ones([2, 4]))
    >>> jax.tree.map(jnp.shape, params)
    {'linear': {'b': (3,), 'w': (4, 3)}, 'linear_1': {'b': (1,), 'w': (3, 1)}}
    """

    def __init__(self, layers: Iterable[Callable[..., Any]], name: str | None = None):
        """Constructs the chain.

        Args:
          layers: callables (modules or plain functions), applied in order.
          name: the module's name.
        """
        super().__init__(name=name)
        self.layers = tuple(layers)

    def __call__(self, inputs: Any, *args: Any, **kwargs: Any) -> Any:
        """Applies the layers in order.

        Args:
          inputs: the first layer's first argument.
          *args: more positional arguments for the first layer.
          **kwargs: keyword arguments for the first layer.

        Returns:
          The last layer's output (`inputs` if there are no layers).
        """
        out = inputs
        for index, layer in enumerate(self.layers):
            out = layer(out, *args, **kwargs) if index == 0 else layer(out)
        return out


# Haiku gives every class `to_module` makes this name, and it shows wherever the class
# name does: `repr(instance)` is `ToModuleWrapper(name='...')` and `hk.experimental.tabulate`
# lists `dropout (ToModuleWrapper)` (a row Haiku's summarise_test checks), so we keep it.
_CLASS_NAME = "ToModuleWrapper"
_FALLBACK_DOC = "Module class built by `to_module` from an undocumented callable."
# "Expected a string name ... got: <name>" is the phrase Haiku's tests match.
_NAME_NOT_A_STRING = (
    "Expected a string name for a module made by `hk.to_module({function})`, got: {name}. "
    "`hk.to_module` gives back a module class, not a module: build an instance, then call "
    "it, e.g. `Shift = hk.to_module(shift); y = Shift()(x)` or `Shift(name='shift')(x)`."
)


def to_module(f: Callable[..., Any]) -> type[module.Module]:
    """Turns a function into a module class whose `__call__` runs it.

    Parameters the function creates belong to the module, so one instance
    called twice shares them. Instances are named after the function unless
    given a `name`. The class takes the function's docstring, and its `__call__`
    the function's name, docstring and signature.

    >>> import sonnax as hk
    >>> import jax, jax.numpy as jnp
    >>> def shift(x):
    ...     return x + hk.get_parameter("b", [], init=jnp.ones)
    >>> Shift = hk.to_module(shift)
    >>> f = hk.transform(lambda x: Shift(name="my_shift")(x))
    >>> jax.tree.map(jnp.shape, f.init(None, jnp.ones([2])))
    {'my_shift': {'b': ()}}

    Args:
      f: the function; any parameters it uses are created with `get_parameter`.

    Returns:
      A `Module` subclass whose constructor takes an optional `name`.
    """

    def __init__(self: module.Module, name: str | None = None):
        if name is not None and not isinstance(name, str):
            raise TypeError(_NAME_NOT_A_STRING.format(function=_describe(f), name=name))
        module.Module.__init__(self, name=f.__name__ if name is None else name)

    # The metaclass wraps this in the module's name scope and copies these
    # attributes on, so `help(instance)` shows the function's own signature.
    @functools.wraps(f)
    def __call__(self: module.Module, *args: Any, **kwargs: Any) -> Any:
        del self  # The function reaches its parameters through the frame, not `self`.
        return f(*args, **kwargs)

    namespace = {
        "__init__": __init__,
        "__call__": __call__,
        "__doc__": getattr(f, "__doc__", None) or _FALLBACK_DOC,
        "__module__": __name__,
        # Haiku's qualname; mixed precision keys `<locals>` classes by identity, so a
        # policy for one wrapped function does not reach every other.
        "__qualname__": f"to_module.<locals>.{_CLASS_NAME}",
    }
    return module.ModuleMetaclass(_CLASS_NAME, (module.Module,), namespace)


def _describe(f: Callable[..., Any]) -> str:
    """The function's name for messages, or its repr if it has none (a `partial`)."""
    return getattr(f, "__name__", None) or repr(f)
