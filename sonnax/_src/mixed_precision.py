"""Mixed precision: a jmp policy per module class, applied whenever its methods run.

A policy is any object shaped like `jmp.Policy` (`param_dtype`, `cast_to_compute`,
`cast_to_output`); sonnax does not import jmp. As in Haiku, a method call of a module
whose exact class has a policy casts its arguments to the compute dtype and its result
to the output dtype; while the outermost such call runs, new parameters are created in
the param dtype and every parameter and state read is cast to the compute dtype of the
innermost policy. Policies are thread-local and keyed by the class's module and
qualified name, so a subclass does not inherit its base class's policy.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Iterator
from typing import Any, NamedTuple, Protocol

from sonnax._src.core import frames, interceptors


class Policy(Protocol):
    """What sonnax uses of a `jmp.Policy`."""

    @property
    def param_dtype(self) -> Any: ...

    def cast_to_compute(self, x: Any) -> Any: ...

    def cast_to_output(self, x: Any) -> Any: ...


class _ClassKey(NamedTuple):
    module: str
    qualname: str


def _key(cls: type) -> _ClassKey | type:
    # Classes made inside functions (e.g. by `to_module`) share a qualname across calls,
    # so Haiku keys them by the class object itself; others by name, surviving reloads.
    if "<locals>" in cls.__qualname__:
        return cls
    return _ClassKey(cls.__module__, cls.__qualname__)


class _ThreadState(threading.local):
    def __init__(self) -> None:
        self.policies: dict[_ClassKey | type, Policy] = {}
        self.active: list[Policy] = []


_state = _ThreadState()


def _check_policy(public_name: str, policy: Any) -> None:
    if policy is None:
        raise AssertionError(
            f"To unset policies use clear_policy: {public_name} got policy=None, "
            "expected a jmp.Policy."
        )


def current_policy() -> Policy | None:
    """The policy of the innermost module method running under one, if any.

    Returns:
      The active policy, or `None` outside any module with a policy.
    """
    return _state.active[-1] if _state.active else None


def get_policy(cls: type) -> Policy | None:
    """The policy set for exactly this module class (not inherited from its bases).

    Args:
      cls: a module class.

    Returns:
      The policy given to `set_policy` for `cls`, or `None`.
    """
    return _state.policies.get(_key(cls))


def set_policy(cls: type, policy: Policy) -> None:
    """Applies `policy` to every instance of `cls` used on this thread.

    >>> import jmp
    >>> import sonnax as hk
    >>> import jax, jax.numpy as jnp
    >>> policy = jmp.get_policy("params=float32,compute=bfloat16,output=float32")
    >>> hk.mixed_precision.set_policy(hk.Linear, policy)
    >>> f = hk.transform(lambda x: hk.Linear(2)(x))
    >>> params = f.init(jax.random.PRNGKey(0), jnp.ones([1, 3]))
    >>> params["linear"]["w"].dtype, f.apply(params, None, jnp.ones([1, 3])).dtype
    (dtype('float32'), dtype('float32'))
    >>> hk.mixed_precision.clear_policy(hk.Linear)

    Args:
      cls: a module class; instances of its subclasses are not affected.
      policy: a `jmp.Policy` (or any object with `param_dtype`, `cast_to_compute`
        and `cast_to_output`).

    Raises:
      AssertionError: `policy` is `None` (use `clear_policy`).
    """
    _check_policy("set_policy", policy)
    if not _state.policies:
        interceptors.install_global_method_interceptor(_intercept)
    _state.policies[_key(cls)] = policy


def clear_policy(cls: type) -> None:
    """Removes any policy set for `cls` on this thread.

    Args:
      cls: a module class.
    """
    key = _key(cls)
    if key in _state.policies:
        del _state.policies[key]
        if not _state.policies:
            interceptors.uninstall_global_method_interceptor(_intercept)


@contextlib.contextmanager
def push_policy(cls: type, policy: Policy) -> Iterator[None]:
    """Sets `policy` for `cls` inside the `with` block, then restores the previous one.

    Args:
      cls: a module class.
      policy: the policy to use inside the block.

    Yields:
      `None`.

    Raises:
      AssertionError: `policy` is `None`.
      ValueError: called inside a method of a `cls` instance.
    """
    _check_policy("push_policy", policy)
    module = frames.current().current_module() if frames.inside_transform() else None
    if module is not None and _key(type(module)) == _key(cls):
        where = module.__dict__.get("module_name", "(being constructed)")
        raise ValueError(
            "Pushing a policy inside a method on the same class is not supported: "
            f"push_policy({cls.__name__}, ...) was called inside a method of "
            f"{type(module).__name__} {where!r}. Push the policy before calling the module."
        )
    previous = get_policy(cls)
    set_policy(cls, policy)
    try:
        yield
    finally:
        if previous is None:
            clear_policy(cls)
        else:
            set_policy(cls, previous)


def _create_in_param_dtype(next_creator: Any, shape: Any, dtype: Any, init: Any, context: Any):
    del dtype, context
    return next_creator(shape, _state.active[-1].param_dtype, init)


def _read_in_compute_dtype(next_getter: Any, value: Any, context: Any) -> Any:
    del context
    return next_getter(_state.active[-1].cast_to_compute(value))


@contextlib.contextmanager
def _active(policy: Policy) -> Iterator[None]:
    _state.active.append(policy)
    try:
        yield
    finally:
        _state.active.pop()


def _intercept(next_fun: Any, args: tuple[Any, ...], kwargs: dict[str, Any], context: Any) -> Any:
    policy = get_policy(type(context.module))
    if policy is None:
        return next_fun(*args, **kwargs)
    with contextlib.ExitStack() as stack:
        if not _state.active:
            stack.enter_context(interceptors.custom_creator(_create_in_param_dtype))
            stack.enter_context(interceptors.custom_getter(_read_in_compute_dtype, state=True))
        stack.enter_context(_active(policy))
        args, kwargs = policy.cast_to_compute((args, kwargs))
        return policy.cast_to_output(next_fun(*args, **kwargs))
