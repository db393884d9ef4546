"""The tree `make_model_info` builds: `Module`s holding `Expression`s (JAX operations)."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Sequence

from jax.extend import core as jax_core


@dataclasses.dataclass
class Module:
    """A module (or name scope, or call such as `jit`) and the operations inside it.

    Attributes:
      name: the module's local name, e.g. `linear_0`.
      flops: estimated FLOPs of everything inside (only with `compute_flops`).
      expressions: the operations and submodules directly inside, in order.
      total_param_size: parameters of the module and its submodules.
      param_info: `./path/name -> spec` of those parameters.
      total_state_size: state of the module and its submodules.
      state_info: `./path/name -> spec` of that state.
    """

    name: str
    flops: int | None = None
    expressions: list[Expression] = dataclasses.field(default_factory=list)
    total_param_size: int = 0
    param_info: dict[str, str] = dataclasses.field(default_factory=dict)
    total_state_size: int = 0
    state_info: dict[str, str] = dataclasses.field(default_factory=dict)


@dataclasses.dataclass
class Expression:
    """One JAX operation (or a call holding a submodule).

    Attributes:
      primitive: the primitive's name, e.g. `dot_general`.
      invars: its inputs, space separated (`a b`), or `N inputs` past nine.
      outvars: its outputs, likewise.
      flops: its estimated FLOPs (only with `compute_flops`).
      details: input and output shapes, e.g. `in f32[1,2], out f32[1,3]`.
      params: the primitive's parameters, as strings.
      submodule: for calls (`jit`, `scan`, `custom_jvp`, ...), their contents.
      first_outvar: the first output's name (used for ordering).
      name_stack: the name scopes the operation was traced in.
    """

    primitive: str
    invars: str
    outvars: str
    flops: int | None = None
    details: str = ""
    params: dict[str, str] = dataclasses.field(default_factory=dict)
    submodule: Module | None = None
    first_outvar: str = ""
    name_stack: Sequence[str] = dataclasses.field(default_factory=list)


ComputeFlopsFn = Callable[[jax_core.JaxprEqn, Expression], int]
