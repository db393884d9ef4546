"""Parameters: `get_parameter`, `get_params` and `DO_NOT_STORE`."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, final

import jax
import jax.numpy as jnp
import numpy as np

from sonnax._src.core import frames, interceptors, naming, rng
from sonnax._src.typing import Initializer, Params


@final
class DoNotStore:
    """Returned by a creator, initializer or setter: keep the value out of params/state.

    A custom getter then supplies the value, e.g. from a pretrained checkpoint.
    """

    @property
    def shape(self) -> Any:
        raise ValueError("DO_NOT_STORE does not have a shape.")

    @property
    def dtype(self) -> Any:
        raise ValueError("DO_NOT_STORE does not have a dtype.")

    def __repr__(self) -> str:
        return "DO_NOT_STORE"

    def __reduce__(self) -> str:
        return "DO_NOT_STORE"  # Unpickles to the one instance.


DO_NOT_STORE = DoNotStore()


def bundle_name(frame: frames.Frame) -> str:
    """The params/state key of the innermost module or name scope (`~` at top level)."""
    module = frame.current_module()
    return "~" if module is None else naming.name_of(module)


def getter_context(
    frame: frames.Frame, bundle: str, name: str, shape: Any, dtype: Any, init: Any
) -> interceptors.GetterContext:
    return interceptors.GetterContext(
        f"{bundle}/{name}",
        frame.current_module(),
        dtype,
        shape,
        init,
        naming.lifted_prefix_name(),
    )


def _initializer_required(shape: Any, dtype: Any) -> Any:
    raise ValueError("Initializer must be specified.")


def _missing_message(frame: frames.Frame, bundle: str, name: str) -> str:
    message = (
        f"Unable to retrieve parameter {name!r} for module {bundle!r} All parameters must be "
        "created as part of `init`. "
    )
    if bundle in frame.params:
        return message + f"Module {bundle!r} has parameters {sorted(frame.params[bundle])}."
    known = sorted(frame.params)
    shown = ", ".join(repr(m) for m in known[:20]) + (", ..." if len(known) > 20 else "")
    return message + (
        f"The params passed to apply have no module {bundle!r} (modules: [{shown}]); were "
        "they produced by `init` of this same function?"
    )


def _dtypes_compatible(asked: Any, actual: Any) -> bool:
    # Like Haiku, precision may differ (bf16 params used by an f32 call, or the
    # reverse under mixed precision); a different kind (int vs float) is an error.
    try:
        asked_kind = np.dtype(asked).kind
    except TypeError:
        return True  # An exotic dtype (e.g. a key type): nothing sensible to compare.
    actual_kind = np.dtype(actual).kind
    floats = ("f", "V")  # bfloat16 and friends have kind "V" in numpy.
    return asked_kind == actual_kind or (asked_kind in floats and actual_kind in floats)


def _check_not_none(value: Any, bundle: str, name: str) -> None:
    if value is None:
        raise ValueError(f"Parameters cannot be `None` (parameter {bundle}/{name}).")


def _check_value(value: Any, bundle: str, name: str, shape: Sequence[int], dtype: Any) -> None:
    _check_not_none(value, bundle, name)
    if value.shape != tuple(shape):
        raise ValueError(
            f"'{bundle}/{name}' with retrieved shape {value.shape!r} does not match "
            f"shape={list(shape)!r} dtype={dtype!r}: the module asked for shape "
            f"{tuple(shape)}, the params hold {value.shape}. Were the params made by `init` "
            "with inputs of the same shape?"
        )
    # Equal dtypes, the common case, skip the kind comparison (this runs on every read).
    if value.dtype != dtype and not _dtypes_compatible(dtype, value.dtype):
        raise ValueError(
            f"'{bundle}/{name}' with retrieved dtype {value.dtype} does not match the dtype "
            f"the module asked for ({np.dtype(dtype).name}); cast the params to that dtype."
        )


def _create(frame: frames.Frame, bundle: str, name: str, shape: Any, dtype: Any, init: Any) -> Any:
    try:
        if interceptors.stacks.param_creators:
            context = getter_context(frame, bundle, name, shape, dtype, init)
            return interceptors.run_creators(
                interceptors.stacks.param_creators, context, shape, dtype, init
            )
        return init(shape, dtype)
    except rng.MissingRNGError as e:
        if frame.params_frozen:
            raise ValueError(_missing_message(frame, bundle, name)) from e
        raise


def get_parameter(
    name: str,
    shape: Sequence[int],
    dtype: Any = None,
    init: Initializer | None = None,
) -> jax.Array:
    """Creates (in init) or reads (in apply) a parameter of the current module.

    >>> import sonnax as hk
    >>> import jax.numpy as jnp
    >>> f = hk.transform(lambda: hk.get_parameter("w", [2], init=jnp.ones))
    >>> f.init(None)
    {'~': {'w': Array([1., 1.], dtype=float32)}}

    Args:
      name: the parameter's name within its module.
      shape: the parameter's shape.
      dtype: its dtype (default float32).
      init: called as `init(shape, dtype)` to make the initial value.

    Returns:
      The parameter's value (after any custom getters).

    Raises:
      ValueError: outside a transform; missing in apply; shape or dtype mismatch.
    """
    frame = frames.assert_inside("get_parameter", pure_jax_only=True)
    dtype = jnp.float32 if dtype is None else dtype
    init = _initializer_required if init is None else init
    bundle = bundle_name(frame)
    value: Any = frame.params.get(bundle, {}).get(name)
    if value is None:
        value = _create(frame, bundle, name, shape, dtype, init)
        if value is not DO_NOT_STORE:
            if frame.params_frozen:
                raise ValueError(_missing_message(frame, bundle, name))
            _check_not_none(value, bundle, name)
            # Shape and dtype are checked below, after the getters: a creator may store a
            # value (say int8) that a getter turns into what the module asked for.
            frame.params.setdefault(bundle, {})[name] = value
    if interceptors.stacks.param_getters:
        context = getter_context(frame, bundle, name, shape, dtype, init)
        value = interceptors.run_chain(interceptors.stacks.param_getters, context, value)
    _check_value(value, bundle, name, shape, dtype)
    return value


def get_params() -> Params:
    """A copy of the parameters of the current transform: all of them in apply,
    those created so far in init. Runs no custom getters.

    Returns:
      `{module_name: {name: array}}`.
    """
    frame = frames.assert_inside("get_params")
    return frames.copy_tree(frame.params)
