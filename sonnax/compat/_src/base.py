"""`Module`: Sonnet 2's module, on the sonnax core.

Sonnet runs every method of a module inside the module's name scope, so a child is named
`parent/child` wherever the parent creates it, and its variables are `parent/child/w`. Here
the same child is `parent/~/child` in whichever method the parent creates it, which is the
name `sonnax.convert` gives the Sonnet variable: checkpoints and compat params line up.

Variables are parameters (`get_parameter`) and state (`get_state`), so a compat module
lives inside a `sonnax.transform_with_state`, like any sonnax module.
"""

from __future__ import annotations

import abc
import contextlib
import inspect
from collections.abc import Iterator
from typing import Any, TypeVar

import jax

from sonnax._src.core import frames, naming
from sonnax._src.core import module as core_module

T = TypeVar("T")

_NO_NAME_SCOPE_ATTR = "_snt_no_name_scope"
_ALLOW_EMPTY_ATTR = "_snt_allow_empty_variables"

_NO_VARIABLES = (
    "{module!r} does not currently contain any {property}.\n"
    "Most Sonnet modules create variables the first time they are called with an input; "
    "ask for `{property}` after calling the module. If the module has no variables, use "
    "`snt.allow_empty_variables(module)` to allow an empty result."
)


def no_name_scope(method: T) -> T:
    """Decorates a method so that it runs in its caller's name scope, not the module's.

    Modules created inside it are named as if the caller had created them, as Sonnet's
    `clone()` and `transpose()` methods need.

    Args:
      method: the method.

    Returns:
      The same method, marked.
    """
    setattr(method, _NO_NAME_SCOPE_ATTR, True)
    return naming.transparent(method)


def allow_empty_variables(module_or_cls: T) -> T:
    """Lets `variables` and `trainable_variables` of a module (or class) return `()`.

    Args:
      module_or_cls: a `Module` instance or subclass.

    Returns:
      The same module or class.
    """
    setattr(module_or_cls, _ALLOW_EMPTY_ATTR, True)
    return module_or_cls


def _scope_children_like_init(function: Any) -> None:
    if getattr(function, _NO_NAME_SCOPE_ATTR, False):
        return
    if not hasattr(function, naming.CUSTOM_NAME_ATTR):
        setattr(function, naming.CUSTOM_NAME_ATTR, "__init__")


class ModuleMetaclass(core_module.ModuleMetaclass):
    """Names children `parent/~/child` from every method, as Sonnet's scopes do."""

    def __new__(mcs, name: str, bases: tuple[type, ...], namespace: dict[str, Any]) -> type:
        for key, value in namespace.items():
            if key.startswith("__") and key != "__call__":
                continue
            if isinstance(value, property):
                for accessor in (value.fget, value.fset, value.fdel):
                    if accessor is not None:
                        _scope_children_like_init(accessor)
            elif inspect.isfunction(value):
                _scope_children_like_init(value)
        return super().__new__(mcs, name, bases, namespace)


class _ModuleNameScope:
    """Re-enterable context manager standing for `module.name_scope`."""

    def __init__(self, module: Module):
        self._module = module
        self.name = module.module_name + "/"

    @contextlib.contextmanager
    def _entered(self) -> Iterator[None]:
        frame = frames.current()
        frame.push_module(self._module, "__init__")
        try:
            yield
        finally:
            frame.pop_module()

    def __enter__(self) -> None:
        self._context = self._entered()
        self._context.__enter__()

    def __exit__(self, *exc_info: Any) -> None:
        self._context.__exit__(*exc_info)


class Module(core_module.Module, metaclass=ModuleMetaclass):
    """Base class for Sonnet modules: a named container of parameters, state and modules.

    >>> import jax, jax.numpy as jnp
    >>> import sonnax
    >>> from sonnax import compat as snt
    >>> class Scale(snt.Module):
    ...     def __call__(self, x):
    ...         return x * sonnax.get_parameter("scale", [], init=jnp.ones)
    >>> sonnax.transform(lambda x: Scale()(x)).init(None, 2.0)
    {'scale': {'scale': Array(1., dtype=float32)}}
    """

    def __init__(self, name: str | None = None):
        """Names the module.

        Args:
          name: a Python identifier; by default the class name in snake_case.
        """
        super().__init__(name=name)

    @property
    @no_name_scope
    def name_scope(self) -> _ModuleNameScope:
        """A context manager that names what is created inside it as this module's children."""
        return _ModuleNameScope(self)

    @property
    @no_name_scope
    def variables(self) -> tuple[jax.Array, ...]:
        """Values of this module's and its submodules' parameters and state, sorted by name."""
        return self._variables("variables", params=True, state=True)

    @property
    @no_name_scope
    def trainable_variables(self) -> tuple[jax.Array, ...]:
        """Values of this module's and its submodules' parameters, sorted by name."""
        return self._variables("trainable_variables", params=True, state=False)

    @property
    @no_name_scope
    def non_trainable_variables(self) -> tuple[jax.Array, ...]:
        """Values of this module's and its submodules' state, sorted by name."""
        return self._variables("non_trainable_variables", params=False, state=True)

    @property
    @no_name_scope
    def submodules(self) -> tuple[Module, ...]:
        """Modules held in this module's attributes, recursively, breadth first."""
        found: list[Module] = []
        seen = {id(self)}
        queue: list[Any] = [self]
        while queue:
            current = queue.pop(0)
            for child in _modules_in(vars(current)):
                if id(child) not in seen:
                    seen.add(id(child))
                    found.append(child)
                    queue.append(child)
        return tuple(found)

    def _variables(self, what: str, *, params: bool, state: bool) -> tuple[jax.Array, ...]:
        frame = frames.assert_inside(f"{type(self).__name__}.{what}")
        # As in Sonnet, a module owns the variables of the modules reachable through its
        # attributes, not everything created under its name (`with self.name_scope`).
        owners = {module.module_name for module in (self, *self.submodules)}
        values: dict[str, jax.Array] = {}
        for tree in (frame.params if params else {}, frame.state if state else {}):
            for module_name in owners & tree.keys():
                values.update({f"{module_name}/{n}": v for n, v in tree[module_name].items()})
        if not values and not getattr(self, _ALLOW_EMPTY_ATTR, False):
            raise ValueError(_NO_VARIABLES.format(module=self, property=what))
        return tuple(values[key] for key in sorted(values))


def _modules_in(value: Any) -> Iterator[Module]:
    """Modules found in an attribute value: directly, or inside lists, tuples and dicts."""
    if isinstance(value, Module):
        yield value
    elif isinstance(value, dict):
        for key in sorted(value, key=str):
            yield from _modules_in(value[key])
    elif isinstance(value, list | tuple):
        for item in value:
            yield from _modules_in(item)


class Optimizer(abc.ABC):
    """Base class for Sonnet optimizers, with the functional interface that JAX needs.

    A Sonnet optimizer assigns new values to `tf.Variable`s and keeps its slots (momenta,
    moment estimates) as variables of its own. JAX arrays cannot be assigned, so here the
    slots are an explicit `opt_state`, in the shape of Sonnet's functional optimizers
    (`snt.functional.optimizer`)::

        opt_state = opt.init(params)
        params, opt_state = opt.apply(opt_state, updates, params)

    `params` is any pytree of arrays (a list as in Sonnet, or a sonnax params dict) and
    `updates` has the same structure, with `None` for a parameter that gets no update. As
    the optimizer holds no variables it is not a `Module`: make and use it anywhere, inside
    or outside `jax.jit` and `transform`.
    """

    def __init__(self, name: str | None = None):
        """Names the optimizer.

        Args:
          name: a Python identifier; by default the class name in snake_case.
        """
        if name is None:
            name = naming.camel_to_snake(type(self).__name__)
        if not name.isidentifier():
            raise ValueError(f"{name!r} is not a valid optimizer name (a Python identifier).")
        self.name = name

    @abc.abstractmethod
    def init(self, parameters: Any) -> Any:
        """The optimizer state (slots) for `parameters`, before any update."""

    @abc.abstractmethod
    def apply(self, opt_state: Any, updates: Any, parameters: Any) -> tuple[Any, Any]:
        """Applies `updates` to `parameters`; returns `(new_parameters, new_opt_state)`."""
