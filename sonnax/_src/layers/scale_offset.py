"""The `scale` and `offset` of the normalization layers: argument checks and lookup.

Each of BatchNorm, LayerNorm, GroupNorm either creates `scale`/`offset` as
parameters or takes them at call time, never both; the checks say which
argument conflicts with which.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from sonnax._src.core import params
from sonnax._src.typing import Initializer


def check_call_arguments(
    module_name: str, create_scale: bool, create_offset: bool, scale: Any, offset: Any
) -> None:
    """Refuses a `scale`/`offset` passed at call time to a module that creates its own.

    Args:
      module_name: the module's path, for the message.
      create_scale: whether the module creates `scale`.
      create_offset: whether the module creates `offset`.
      scale: the `scale` passed at call time, or `None`.
      offset: the `offset` passed at call time, or `None`.

    Raises:
      ValueError: a created parameter was also passed.
    """
    for arg, value, created in (("scale", scale, create_scale), ("offset", offset, create_offset)):
        if created and value is not None:
            raise ValueError(
                f"Cannot pass `{arg}` at call time if `create_{arg}=True`: module "
                f"{module_name!r} creates its own `{arg}` parameter; construct it with "
                f"create_{arg}=False to pass `{arg}` when calling."
            )


def check_initializers(
    module_name: str,
    create_scale: bool,
    create_offset: bool,
    scale_init: Initializer | None,
    offset_init: Initializer | None,
) -> None:
    """Refuses an initializer for a `scale`/`offset` the module will not create.

    Args:
      module_name: the module's path, for the message.
      create_scale: whether the module creates `scale`.
      create_offset: whether the module creates `offset`.
      scale_init: the `scale_init` argument.
      offset_init: the `offset_init` argument.

    Raises:
      ValueError: an initializer was given for a parameter that is not created.
    """
    for arg, init, created in (
        ("scale", scale_init, create_scale),
        ("offset", offset_init, create_offset),
    ):
        if not created and init is not None:
            raise ValueError(
                f"Cannot set `{arg}_init` if `create_{arg}=False`: module {module_name!r} got "
                f"{arg}_init={init!r}; pass create_{arg}=True or drop {arg}_init."
            )


def scale_and_offset(
    layer: Any, shape: Sequence[int], dtype: Any, scale: Any, offset: Any
) -> tuple[Any, Any]:
    """The `scale` and `offset` a normalization layer applies, in Haiku's order.

    Args:
      layer: a module with `create_scale`, `create_offset`, `scale_init` and
        `offset_init`; its parameters are created or read here.
      shape: the parameters' shape.
      dtype: the parameters' dtype (the inputs' dtype).
      scale: the `scale` passed at call time, or `None`.
      offset: the `offset` passed at call time, or `None`.

    Returns:
      `(scale, offset)`: the parameter, the value passed, or 1 and 0 of `dtype`.
    """
    if layer.create_scale:
        scale = params.get_parameter("scale", shape, dtype, init=layer.scale_init)
    elif scale is None:
        scale = np.ones([], dtype=dtype)
    if layer.create_offset:
        offset = params.get_parameter("offset", shape, dtype, init=layer.offset_init)
    elif offset is None:
        offset = np.zeros([], dtype=dtype)
    return scale, offset
