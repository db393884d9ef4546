"""The parity registry: one named `Case` per Sonnet configuration, gathered from the files here.

A case builds its module with `build(snt)` and calls it with `call(snt, module, *inputs)`,
once with `snt = sonnet` (TF) and once with `snt = sonnax.compat`: the same code on both
sides, which is the claim the parity tests check.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping
from typing import Any

import numpy as np

InputSpec = tuple[int, ...] | Callable[[np.random.Generator], np.ndarray]


def call_module(snt: Any, module: Any, *inputs: Any, **kwargs: Any) -> Any:
    """The default `Case.call`: `module(*inputs, **kwargs)`."""
    del snt
    return module(*inputs, **kwargs)


@dataclasses.dataclass(frozen=True)
class Case:
    """One module configuration checked against TF Sonnet.

    Attributes:
      name: the test id, e.g. `conv2d_3x3_stride2`.
      build: `build(snt) -> module`, run inside the transform on the compat side.
      inputs: one spec per positional input: a float32 shape (standard normal values),
        or `f(rng) -> array` for anything else (integer ids, positive values, ...).
      call: `call(snt, module, *inputs, **mode_kwargs) -> outputs` (any nest of arrays).
      modes: named keyword arguments for `call`, e.g. `{"train": {"is_training": True}}`;
        each mode is a separate test.
      steps: calls made in sequence on fresh inputs; state is compared after each one.
      rtol: relative tolerance for outputs, gradients and state.
      atol: absolute tolerance (for values near zero).
      grad: whether to compare gradients with respect to inputs and parameters.
      rng: whether the compat side needs an rng in apply (random modules).
    """

    name: str
    build: Callable[[Any], Any]
    inputs: tuple[InputSpec, ...]
    call: Callable[..., Any] = call_module
    modes: Mapping[str, Mapping[str, Any]] = dataclasses.field(default_factory=lambda: {"": {}})
    steps: int = 1
    rtol: float = 1e-5
    atol: float = 1e-6
    grad: bool = True
    rng: bool = False

    def make_inputs(self, rng: np.random.Generator) -> tuple[np.ndarray, ...]:
        """Draws one step's inputs."""
        return tuple(
            spec(rng) if callable(spec) else rng.standard_normal(spec).astype(np.float32)
            for spec in self.inputs
        )


def _gather() -> dict[str, Case]:
    from tests.parity.cases import layers, nets, normalization, recurrent

    found: dict[str, Case] = {}
    for group in (layers, normalization, recurrent, nets):
        for case in group.CASES:
            if case.name in found:
                raise ValueError(f"duplicate parity case name {case.name!r}")
            found[case.name] = case
    return found


CASES: dict[str, Case] = _gather()


def params(*, grad_only: bool = False) -> list[tuple[str, str]]:
    """`(case name, mode)` pairs for `pytest.mark.parametrize`."""
    return [
        (case.name, mode)
        for case in CASES.values()
        if case.grad or not grad_only
        for mode in case.modes
    ]
