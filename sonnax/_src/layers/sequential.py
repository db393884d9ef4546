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


def to_module(f: Callable[..., Any]) -> type[module.Module]:
    """Turns a function into a module class whose `__call__` runs it.

    Parameters the function creates belong to the module, so one instance
    called twice shares them. Instances are named after the function unless
    given a `name`.

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

    class ToModuleWrapper(module.Module):
        """A module made by `to_module`."""

        def __init__(self, name: str | None = None):
            if name is None:
                name = f.__name__
            elif not isinstance(name, str):
                raise TypeError(
                    "Expected a string name as the first argument to the module constructor, "
                    f"got: {name!r}. Note that `hk.to_module({_describe(f)})` returns a class "
                    "not an object, so to use your module you need to instantiate it first: "
                    "`cls = hk.to_module(fn); mod = cls(); out = mod(x)`."
                )
            super().__init__(name=name)

        def __call__(self, *args: Any, **kwargs: Any) -> Any:
            return f(*args, **kwargs)

    if getattr(f, "__doc__", None):
        ToModuleWrapper.__doc__ = f.__doc__
    functools.update_wrapper(ToModuleWrapper.__call__, f)
    return ToModuleWrapper


def _describe(f: Callable[..., Any]) -> str:
    return getattr(f, "__name__", None) or repr(f)
