"""`Module`: the base class whose methods run inside their own name scope."""

from __future__ import annotations

import functools
import inspect
import pprint
import textwrap
from collections.abc import Callable, Mapping
from typing import Any, NamedTuple, Protocol

import jax

from sonnax._src import config
from sonnax._src.core import frames, interceptors, naming

_NOT_IN_TRANSFORM = (
    "All `hk.Module`s must be initialized inside an `hk.transform`: construct and call "
    "{what} inside the function passed to `sonnax.transform`, not outside it."
)


def wrap_method(method_name: str, method: Callable[..., Any], owner: type) -> Callable[..., Any]:
    """Wraps a method so that each call enters its module's name scope.

    Args:
      method_name: the attribute name of the method.
      method: the unbound method.
      owner: the class that defines it (given to method interceptors).

    Returns:
      The wrapped method (or `method` itself if it is marked `transparent`).
    """
    if getattr(method, naming.TRANSPARENT_ATTR, False):
        return method
    scope_name = getattr(method, naming.CUSTOM_NAME_ATTR, method_name)

    @functools.wraps(method)
    def wrapped(self: Module, *args: Any, **kwargs: Any) -> Any:
        stack = frames.all_frames()
        if not stack:
            what = type(self).__name__ + ("" if method_name == "__init__" else f".{method_name}")
            raise ValueError(_NOT_IN_TRANSFORM.format(what=f"`{what}`"))
        frame = stack[-1]
        frame.push_module(self, scope_name)
        try:
            out = _call_in_scope(self, method, method_name, owner, args, kwargs)
        finally:
            frame.pop_module()
        module_name = self.__dict__.get("module_name")
        if module_name is not None:
            for parent, _ in frame.module_stack:
                if parent is not self:
                    parent._submodules.add(module_name)
        return out

    return wrapped


def _call_in_scope(
    module: Module,
    method: Callable[..., Any],
    method_name: str,
    owner: type,
    args: tuple[Any, ...],
    kwargs: dict[str, Any],
) -> Any:
    """Runs the method through interceptors, under a JAX named scope for profilers."""
    bound: Callable[..., Any] = functools.partial(method, module)
    if interceptors.stacks.methods:
        context = interceptors.MethodContext(module, method_name, bound, owner)
        bound = functools.partial(_intercepted, bound, context)
    module_name = module.__dict__.get("module_name")
    if not module_name:
        return bound(*args, **kwargs)
    scope = module_name.rsplit("/", 1)[-1]
    if method_name != "__call__":
        scope = f"{scope}/{method_name}"
    with jax.named_scope(scope):
        return bound(*args, **kwargs)


def _module_repr(module: Module) -> str:
    text = module.__dict__.get("_sonnax_repr")
    if isinstance(text, _DeferredRepr):
        text = text.render()
        object.__setattr__(module, "_sonnax_repr", text)
    return text or object.__repr__(module)


_LITERALS = (int, float, bool, str, type(None))


def _is_literal(value: Any) -> bool:
    """Whether `value` is an immutable literal (or a tuple of them): its repr cannot change."""
    return type(value) in _LITERALS or (
        type(value) is tuple and all(_is_literal(item) for item in value)
    )


class _DeferredRepr(NamedTuple):
    """A module's `auto_repr`, rendered when first asked for (see `ModuleMetaclass`)."""

    cls: type
    args: tuple[Any, ...]
    kwargs: dict[str, Any]

    def render(self) -> str:
        return auto_repr(self.cls, *self.args, **self.kwargs)

    def __reduce__(self) -> tuple[type, tuple[str]]:
        return str, (self.render(),)  # Copies and pickles hold the text, not the class.


def _same(a: Any, b: Any) -> bool:
    try:
        return bool(a == b)
    except Exception:  # Arrays and odd objects: treat as different from the default.
        return False


class _InitSignature(NamedTuple):
    """What `auto_repr` needs of a constructor's parameters after `self`."""

    positional: tuple[str, ...]
    keyword: frozenset[str]
    defaults: dict[str, Any]
    required: tuple[str, ...]
    var_positional: bool
    var_keyword: bool


@functools.lru_cache(maxsize=1024)
def _init_signature(init: Callable[..., Any]) -> _InitSignature:
    parameters = list(inspect.signature(init).parameters.values())[1:]
    kind = inspect.Parameter
    named = [p for p in parameters if p.kind not in (kind.VAR_POSITIONAL, kind.VAR_KEYWORD)]
    positional = [p for p in named if p.kind is not kind.KEYWORD_ONLY]
    return _InitSignature(
        positional=tuple(p.name for p in positional),
        keyword=frozenset(p.name for p in named if p.kind is not kind.POSITIONAL_ONLY),
        defaults={p.name: p.default for p in positional if p.default is not p.empty},
        required=tuple(p.name for p in named if p.default is p.empty),
        var_positional=any(p.kind is kind.VAR_POSITIONAL for p in parameters),
        var_keyword=any(p.kind is kind.VAR_KEYWORD for p in parameters),
    )


def _bind(
    signature: _InitSignature, args: tuple[Any, ...], kwargs: dict[str, Any]
) -> dict[str, Any] | None:
    """The named arguments' values, as a call binds them; `None` where the call would fail."""
    if len(args) > len(signature.positional) and not signature.var_positional:
        return None
    values = dict(zip(signature.positional, args, strict=False))
    for name, value in kwargs.items():
        if name in values or (name not in signature.keyword and not signature.var_keyword):
            return None
        values[name] = value
    if any(name not in values for name in signature.required):
        return None
    return values


def auto_repr(cls: type, *args: Any, **kwargs: Any) -> str:
    """`Cls(arg=value, ...)` from the constructor arguments, as Haiku renders it.

    First the positional-or-keyword arguments given, in signature order, less those equal
    to their default; then extra positional arguments; then keyword-only and extra keyword
    arguments as passed, defaults or not. Binds by hand, for a fifth of the cost of
    `inspect.Signature.bind`: it runs for every module constructed, in every `init` and
    `apply`, jitted or not.
    """
    signature = _init_signature(_init_of(cls))
    values = _bind(signature, args, kwargs)
    if values is None:
        return f"{cls.__name__}(...)"
    defaults = signature.defaults
    names = [*signature.positional[: len(args)]]
    names += [name for name in signature.positional if name in kwargs]
    items = [
        (f"{name}=", values[name])
        for name in names
        if not (name in defaults and _same(values[name], defaults[name]))
    ]
    items += [("", value) for value in args[len(signature.positional) :]]
    items += [(f"{k}=", v) for k, v in kwargs.items() if k not in signature.positional]
    line = f"{cls.__name__}({', '.join(name + repr(value) for name, value in items)})"
    if len(line) <= 80:
        return line
    body = ",\n".join(name + pprint.pformat(value) for name, value in items)
    return f"{cls.__name__}(\n{textwrap.indent(body, '    ')},\n)"


def _intercepted(bound: Callable[..., Any], context: Any, *args: Any, **kwargs: Any) -> Any:
    return interceptors.run_method_interceptors(bound, context, args, kwargs)


def _init_of(cls: Any) -> Callable[..., Any]:
    return cls.__init__


class ModuleMetaclass(type(Protocol)):  # type: ignore[misc]
    """Wraps each method of a `Module` subclass to enter the module's name scope."""

    def __new__(mcs, name: str, bases: tuple[type, ...], namespace: dict[str, Any]) -> type:
        namespace.setdefault("_is_protocol", False)
        namespace.setdefault("__repr__", _module_repr)
        cls = super().__new__(mcs, name, bases, namespace)
        for key, value in namespace.items():
            if key == "module_name" or (key.startswith("__") and key != "__call__"):
                continue
            if isinstance(value, property):
                fget, fset, fdel = (
                    wrap_method(key, f, cls) if f else None for f in _accessors(value)
                )
                setattr(cls, key, property(fget, fset, fdel, value.__doc__))
            elif inspect.isfunction(value):
                setattr(cls, key, wrap_method(key, value, cls))
        return cls

    def __call__(cls, *args: Any, **kwargs: Any) -> Any:
        module = _new_instance(cls, args, kwargs)
        # As in Haiku, later changes to the arguments must not show: rendered now, unless
        # every argument is an immutable literal, whose repr cannot change. Most modules
        # are built from literals, so most never pay for a repr nobody asks for.
        if config.get_config().module_auto_repr and getattr(cls, "AUTO_REPR", True):
            if all(map(_is_literal, args)) and all(map(_is_literal, kwargs.values())):
                text: Any = _DeferredRepr(cls, args, kwargs)
            else:
                text = auto_repr(cls, *args, **kwargs)
            object.__setattr__(module, "_sonnax_repr", text)
        _wrapped_init(cls)(module, *args, **kwargs)
        if not hasattr(module, "module_name"):
            raise ValueError(
                "Constructing an hk.Module without calling the super constructor is not "
                "supported. Add the following as the first line in your __init__ method:\n\n"
                f"super({cls.__name__}, self).__init__()"
            )
        return module

    @property
    def __signature__(cls) -> inspect.Signature:
        signature = inspect.signature(_init_of(cls))
        return signature.replace(parameters=tuple(signature.parameters.values())[1:])


def _new_instance(cls: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
    new = cls.__new__
    return object.__new__(cls) if new is object.__new__ else new(cls, *args, **kwargs)


def _accessors(value: property) -> tuple[Any, Any, Any]:
    return value.fget, value.fset, value.fdel


def _wrapped_init(cls: type) -> Callable[..., Any]:
    # Cached per class; re-wrapped if `__init__` changed after class creation
    # (e.g. by `@dataclasses.dataclass`).
    cached = cls.__dict__.get("_sonnax_wrapped_init")
    init = _init_of(cls)
    if cached is None or cached[0] is not init:
        cached = (init, wrap_method("__init__", init, cls))
        type.__setattr__(cls, "_sonnax_wrapped_init", cached)
    return cached[1]


class Module(metaclass=ModuleMetaclass):
    """Base class for sonnax modules: parameters it creates are named after it.

    >>> import sonnax as hk
    >>> import jax.numpy as jnp
    >>> class Scale(hk.Module):
    ...     def __call__(self, x):
    ...         return x * hk.get_parameter("scale", [], init=jnp.ones)
    >>> hk.transform(lambda x: Scale()(x)).init(None, 1.0)
    {'scale': {'scale': Array(1., dtype=float32)}}
    """

    module_name: str
    name: str
    _submodules: set[str]

    def __init__(self, name: str | None = None):
        """Names the module.

        Args:
          name: the module's name; by default the class name in snake_case.
            Prefix with `force_name` to use a full name as given.
        """
        if name is None:
            name = getattr(self, "name", None) or naming.camel_to_snake(type(self).__name__)
        if not frames.inside_transform():
            raise ValueError(_NOT_IN_TRANSFORM.format(what=f"`{type(self).__name__}`"))
        frame = frames.current()
        if name.startswith(naming.FORCE_PREFIX):
            name = name[len(naming.FORCE_PREFIX) :]
            for component in name.split("/"):
                naming.check_identifier(component, name, allow_leading_tilde=True)
            naming.reserve(frame, name, check_unique=False)
        else:
            naming.check_identifier(name, name)
            name = naming.unique_name(frame, name)
        self._submodules = set()
        self.module_name = name
        self.name = name.rsplit("/", 1)[-1]
        self._creation_frame_id = frame.frame_id  # Read by `naming.name_of`.

    __post_init__ = __init__

    def params_dict(self) -> Mapping[str, jax.Array]:
        """This module's and its submodules' parameters, keyed `module_path/name`."""
        return _collect(self, lambda frame: frame.params)

    def state_dict(self) -> Mapping[str, jax.Array]:
        """This module's and its submodules' current state, keyed `module_path/name`."""
        return _collect(self, lambda frame: frame.state)


def _collect(module: Module, source: Callable[[frames.Frame], Any]) -> dict[str, Any]:
    # Only reached through the wrapped method, which has checked for a transform.
    prefix = module.module_name + "/"
    out = {}
    for bundle_name, bundle in source(frames.current()).items():
        if (
            bundle_name == module.module_name
            or bundle_name.startswith(prefix)
            or bundle_name in module._submodules
        ):
            out.update({f"{bundle_name}/{name}": value for name, value in bundle.items()})
    return out


class NameScopeModule(Module):
    """A module with no parameters of its own, standing for a `name_scope`."""
