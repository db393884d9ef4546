"""`custom_variable_getter`: changes how modules see their parameters and state.

Sonnet wraps attribute reads of its modules: inside the block, a `tf.Variable` read from
a module's attribute (`self.w`) comes back as `getter(variable)`. A compat module's
"variables" are its parameter and state arrays, which it reads in two ways, and both are
intercepted for the modules chosen:

* through `get_parameter`/`get_state` (a sonnax custom getter, restricted to those modules);
* through attributes holding the arrays `get_parameter`/`get_state` returned (the `self.w`
  that a `once`-initialized module keeps), as Sonnet does.

An attribute set inside the block to a value the getter produced (a module initialized
there) is set back to the original array on leaving the block, so that the module sees its
plain variables afterwards, as in Sonnet.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterable, Iterator
from typing import Any

import jax

from sonnax._src.core import frames, interceptors
from sonnax.compat._src import base

_OUTSIDE = (
    "custom_variable_getter must be entered inside the function given to a sonnax transform "
    "(around the module calls it should affect): compat modules and their variables exist only "
    "there, and a getter active while `jax.jit` traces `apply` outside would stay in the "
    "compiled function."
)


class _Interception:
    """Bookkeeping for one `custom_variable_getter` block."""

    def __init__(
        self,
        getter: Callable[[Any], Any],
        classes: tuple[type, ...],
        instance_ids: frozenset[int] | None,
    ):
        self.getter = getter
        self.classes = classes
        self.instance_ids = instance_ids
        # id(produced value) -> (produced value, original array); the values are kept alive so
        # that their ids stay theirs while the block is open.
        self.produced: dict[int, tuple[Any, Any]] = {}
        self.touched: dict[int, Any] = {}

    def applies_to(self, obj: Any) -> bool:
        if not isinstance(obj, self.classes):
            return False
        return self.instance_ids is None or id(obj) in self.instance_ids

    def apply(self, value: Any) -> Any:
        out = self.getter(value)
        self.produced[id(out)] = (out, value)
        return out

    def intercept_read(self, next_getter: Callable[[Any], Any], value: Any, context: Any) -> Any:
        module = context.module
        if module is not None and self.applies_to(module):
            self.touched[id(module)] = module
            value = self.apply(value)
        return next_getter(value)

    def map_attribute(self, obj: Any, value: Any) -> Any:
        leaves, treedef = jax.tree.flatten(value)
        if not any(isinstance(leaf, jax.Array) for leaf in leaves):
            return value
        frame = frames.current() if frames.inside_transform() else None
        if frame is None:
            return value
        variables = {
            id(v)
            for tree in (frame.params, frame.state)
            for bundle in tree.values()
            for v in bundle.values()
        }
        if not any(id(leaf) in variables for leaf in leaves):
            return value
        self.touched[id(obj)] = obj
        mapped = [self.apply(leaf) if id(leaf) in variables else leaf for leaf in leaves]
        return jax.tree.unflatten(treedef, mapped)

    def restore_attributes(self) -> None:
        """Puts the original arrays back where an attribute holds a value the getter made."""
        for module in self.touched.values():
            attributes = object.__getattribute__(module, "__dict__")
            for name, value in list(attributes.items()):
                leaves, treedef = jax.tree.flatten(value)
                if not any(id(leaf) in self.produced for leaf in leaves):
                    continue
                restored = [
                    self.produced[id(leaf)][1]
                    if id(leaf) in self.produced and self.produced[id(leaf)][0] is leaf
                    else leaf
                    for leaf in leaves
                ]
                attributes[name] = jax.tree.unflatten(treedef, restored)


def _resolve_getattribute(cls: type, originals: dict[type, Any]) -> Any:
    """The `__getattribute__` that `cls` had before any class was patched."""
    for klass in cls.__mro__:
        if klass in originals:
            own = originals[klass]
            if own is not None:
                return own
        elif "__getattribute__" in klass.__dict__:
            return klass.__dict__["__getattribute__"]
    return object.__getattribute__


@contextlib.contextmanager
def _patched_attributes(interception: _Interception) -> Iterator[None]:
    originals: dict[type, Any] = {
        cls: cls.__dict__.get("__getattribute__") for cls in interception.classes
    }

    def getattribute(obj: Any, name: str) -> Any:
        value = _resolve_getattribute(type(obj), originals)(obj, name)
        if name.startswith("__") or not interception.applies_to(obj):
            return value
        return interception.map_attribute(obj, value)

    for cls in originals:
        type.__setattr__(cls, "__getattribute__", getattribute)
    try:
        yield
    finally:
        for cls, original in originals.items():
            if original is None:
                type.__delattr__(cls, "__getattribute__")
            else:
                type.__setattr__(cls, "__getattribute__", original)


@contextlib.contextmanager
def custom_variable_getter(
    getter: Callable[[Any], Any],
    classes: Iterable[type[Any]] | None = None,
    instances: Iterable[Any] | None = None,
) -> Iterator[None]:
    """Applies `getter` to the parameters and state that the chosen modules read.

    >>> import jax, jax.numpy as jnp
    >>> import sonnax
    >>> from sonnax import compat as snt
    >>> def loss(x):
    ...     linear = snt.Linear(1)
    ...     with snt.custom_variable_getter(jax.lax.stop_gradient):
    ...         return linear(x).sum()
    >>> f = sonnax.transform(loss)
    >>> x = jnp.ones([1, 2])
    >>> params = f.init(jax.random.PRNGKey(0), x)
    >>> jax.grad(f.apply)(params, None, x)["linear"]["w"]
    Array([[0.],
           [0.]], dtype=float32)

    Args:
      getter: called with each parameter or state array read; returns what the module sees.
      classes: the module classes affected; by default those of `instances`, or every
        compat `Module` if `instances` is also `None`.
      instances: the modules affected (only their own variables, not their submodules');
        by default every module of `classes`.

    Yields:
      Nothing; the getter is active inside the block.

    Raises:
      ValueError: entered outside a sonnax transform.
    """
    if not frames.inside_transform():
        raise ValueError(_OUTSIDE)
    instance_list = None if instances is None else list(instances)
    if classes is None:
        if instance_list is None:
            class_tuple: tuple[type, ...] = (base.Module,)
        else:
            class_tuple = tuple(dict.fromkeys(type(o) for o in instance_list))
    else:
        class_tuple = tuple(classes)
    instance_ids = None if instance_list is None else frozenset(map(id, instance_list))
    interception = _Interception(getter, class_tuple, instance_ids)
    try:
        with interceptors.custom_getter(interception.intercept_read, params=True, state=True):
            with _patched_attributes(interception):
                yield
    finally:
        interception.restore_attributes()
