"""Checks shared by compat modules (Sonnet keeps them in its `utils.py`)."""

from __future__ import annotations

from typing import Any

import jax


def assert_minimum_rank(inputs: jax.Array, rank: int, module: Any) -> None:
    """Raises a `ValueError` naming `module` unless `inputs` has at least `rank` axes.

    Args:
      inputs: the array given to the module.
      rank: the smallest number of axes allowed.
      module: the module checking its input (named in the message).
    """
    if inputs.ndim < rank:
        raise ValueError(
            f"{type(module).__name__} {module.module_name!r}: input has rank {inputs.ndim} "
            f"(shape {tuple(inputs.shape)}), expected rank >= {rank}."
        )


def assert_rank(inputs: jax.Array, rank: int, module: Any) -> None:
    """Raises a `ValueError` naming `module` unless `inputs` has exactly `rank` axes.

    Args:
      inputs: the array given to the module.
      rank: the number of axes required.
      module: the module checking its input (named in the message).
    """
    if inputs.ndim != rank:
        raise ValueError(
            f"{type(module).__name__} {module.module_name!r}: input has rank {inputs.ndim} "
            f"(shape {tuple(inputs.shape)}), expected rank {rank}."
        )
