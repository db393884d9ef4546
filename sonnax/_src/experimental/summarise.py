"""`eval_summary`: which module methods a function calls, with their input and output shapes."""

from __future__ import annotations

import dataclasses
import functools
import math
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import jax
import numpy as np

from sonnax._src.core import frames, interceptors, transform
from sonnax._src.core import module as module_lib

# Haiku's short dtype names: float32 -> f32, int8 -> s8, uint8 -> u8, complex64 -> c64.
_DTYPE_ABBREVIATIONS = (("complex", "c"), ("double", "d"), ("float", "f"), ("uint", "u"))


def short_dtype(dtype: Any) -> str:
    """`f32`, `s32`, `u8`, `bf16`, ... as Haiku writes dtypes in summaries."""
    name = dtype.name if isinstance(dtype, np.dtype) or hasattr(dtype, "itemsize") else None
    name = name or np.dtype(dtype).name
    for long, short in _DTYPE_ABBREVIATIONS:
        name = name.replace(long, short)
    return name.replace("int", "s")


def format_array(value: Any) -> str:
    """`f32[8,784]`: the dtype and shape of an array (or anything with both)."""
    return f"{short_dtype(value.dtype)}[{','.join(map(str, value.shape))}]"


@dataclasses.dataclass(frozen=True)
class ArraySpec:
    """The shape and dtype of an array, printed as `f32[1,2,3]`.

    >>> import sonnax as hk
    >>> import jax.numpy as jnp
    >>> spec = hk.experimental.ArraySpec.from_array(jnp.ones([2, 3]))
    >>> spec, spec.size
    (f32[2,3], 6)

    Attributes:
      shape: the array's shape.
      dtype: the array's dtype.
    """

    shape: Sequence[int]
    dtype: Any

    __repr__ = __str__ = format_array

    @property
    def size(self) -> int:
        """The number of elements."""
        return math.prod(self.shape)

    @classmethod
    def from_array(cls, array: Any) -> ArraySpec:
        """The spec of `array` (anything with `shape` and `dtype`)."""
        return cls(array.shape, array.dtype)


@dataclasses.dataclass(frozen=True)
class ModuleDetails:
    """A module, the method called on it, and its parameters and state as specs.

    Attributes:
      module: the module.
      method_name: the method called (its `name_like` name, if any).
      params: the module's `params_dict()`, values as `ArraySpec`.
      state: the module's `state_dict()`, values as `ArraySpec`.
    """

    module: module_lib.Module
    method_name: str
    params: Mapping[str, ArraySpec]
    state: Mapping[str, ArraySpec]

    @classmethod
    def of(cls, module: module_lib.Module, method_name: str) -> ModuleDetails:
        """Details of `module` now (call inside the transform that uses it)."""
        params = jax.tree.map(ArraySpec.from_array, module.params_dict())
        state = jax.tree.map(ArraySpec.from_array, module.state_dict())
        return cls(module=module, method_name=method_name, params=params, state=state)


@dataclasses.dataclass(frozen=True)
class MethodInvocation:
    """One call of a module method, as recorded by `eval_summary`.

    Attributes:
      module_details: the module and method called.
      args_spec: the positional arguments, arrays replaced by `ArraySpec`.
      kwargs_spec: the keyword arguments, arrays replaced by `ArraySpec`.
      output_spec: the return value, arrays replaced by `ArraySpec`.
      context: the `MethodContext` that method interceptors saw.
      call_stack: the modules being called at that moment, this one first and
        the outermost last.
    """

    module_details: ModuleDetails
    args_spec: tuple[Any, ...]
    kwargs_spec: dict[str, Any]
    output_spec: Any
    context: interceptors.MethodContext
    call_stack: Sequence[ModuleDetails]


def _to_spec(tree: Any) -> Any:
    return jax.tree.map(lambda x: ArraySpec.from_array(x) if isinstance(x, jax.Array) else x, tree)


# Bookkeeping methods, left out of summaries as Haiku does.
_IGNORED_METHODS = frozenset({"__init__", "params_dict", "state_dict"})


def _record(
    records: list[Any],
    next_fun: Callable[..., Any],
    args: tuple[Any, ...],
    kwargs: dict[str, Any],
    context: interceptors.MethodContext,
) -> Any:
    """A method interceptor appending a `MethodInvocation` per call, in call order."""
    if context.method_name in _IGNORED_METHODS:
        return next_fun(*args, **kwargs)
    index = len(records)
    records.append(None)  # Reserve the slot: an outer call is listed before its callees.
    out = next_fun(*args, **kwargs)
    # Built in Haiku's order: `params_dict` calls made while collecting the call stack
    # register enclosing modules as submodules of inner ones, which shows in later details.
    details = ModuleDetails.of(context.module, context.method_name)
    args_spec, kwargs_spec, output_spec = _to_spec(args), _to_spec(kwargs), _to_spec(out)
    call_stack = tuple(
        ModuleDetails.of(entry.module, entry.method_name)
        for entry in reversed(frames.current().module_stack)
    )
    records[index] = MethodInvocation(
        module_details=details,
        args_spec=args_spec,
        kwargs_spec=kwargs_spec,
        output_spec=output_spec,
        context=context,
        call_stack=call_stack,
    )
    return out


def untransformed(f: Any) -> Callable[..., Any]:
    """The function given to `transform` for a transformed function or its init/apply."""
    if isinstance(f, transform.Transformed | transform.TransformedWithState):
        f = f.init
    return getattr(f, "_original_fn", f)


def eval_summary(f: Callable[..., Any]) -> Callable[..., Sequence[MethodInvocation]]:
    """Records the module method calls that `f` makes, without computing anything.

    `f` is run under `jax.eval_shape`, once to create parameters and once more
    to record each call, with a fixed key: no real computation happens.

    >>> import sonnax as hk
    >>> import jax.numpy as jnp
    >>> f = lambda x: hk.nets.MLP([3, 2])(x)
    >>> for call in hk.experimental.eval_summary(f)(jnp.ones([4, 5])):
    ...     print(call.module_details.module.module_name, call.args_spec[0], call.output_spec)
    mlp f32[4,5] f32[4,2]
    mlp/~/linear_0 f32[4,5] f32[4,3]
    mlp/~/linear_1 f32[4,3] f32[4,2]

    Args:
      f: a function using modules, or a transformed function (or its init or
        apply), in which case the function it was made from is used.

    Returns:
      A function taking `f`'s arguments and returning a `MethodInvocation` per
      call, outer calls before the calls they make.
    """
    inner = untransformed(f)
    # A plain wrapper: `transform` refuses jitted functions, but eval_shape retraces them anyway.
    original = transform.transform_with_state(lambda *a, **k: inner(*a, **k))

    def run(*args: Any, **kwargs: Any) -> list[MethodInvocation]:
        records: list[Any] = []

        def logged(*args: Any, **kwargs: Any) -> None:
            with interceptors.intercept_methods(functools.partial(_record, records)):
                inner(*args, **kwargs)

        recording = transform.transform_with_state(logged)

        def init_then_apply(*args: Any, **kwargs: Any) -> None:
            init_key, apply_key = jax.random.split(jax.random.PRNGKey(42))
            params, state = original.init(init_key, *args, **kwargs)
            recording.apply(params, state, apply_key, *args, **kwargs)

        with jax.disable_jit():
            jax.eval_shape(init_then_apply, *args, **kwargs)
        return records

    return run
