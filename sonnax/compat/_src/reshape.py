"""`Reshape` and `Flatten`: reshape all but the leading (batch) axes."""

from __future__ import annotations

from collections.abc import Sequence

import jax
import jax.numpy as jnp
import numpy as np

from sonnax.compat._src import base, once


def reshape(
    inputs: jax.Array,
    output_shape: Sequence[int],
    preserve_dims: int = 1,
    name: str | None = None,
) -> jax.Array:
    """Applies a new `Reshape(output_shape, preserve_dims, name=name)` to `inputs`."""
    return Reshape(output_shape, preserve_dims, name=name)(inputs)


def flatten(inputs: jax.Array, name: str = "flatten") -> jax.Array:
    """Applies a new `Flatten(name=name)` to `inputs`."""
    return Flatten(name=name)(inputs)


def _infer_shape(output_shape: Sequence[int], dimensions: Sequence[int]) -> tuple[int, ...]:
    """`output_shape` with its `-1` replaced by the size that keeps `prod(dimensions)`."""
    total = int(np.prod(dimensions))
    known = abs(int(np.prod(output_shape)))
    return tuple(total // known if d == -1 else int(d) for d in output_shape)


class Reshape(base.Module):
    """Reshapes its input to `input.shape[:preserve_dims] + output_shape`.

    One `-1` in `output_shape` stands for the size that keeps the number of elements.
    """

    def __init__(
        self,
        output_shape: Sequence[int],
        preserve_dims: int = 1,
        name: str | None = None,
    ):
        """Constructs the module.

        Args:
          output_shape: the new shape of the axes after the first `preserve_dims`.
          preserve_dims: the number of leading axes kept as they are (at least 1).
          name: the module's name.

        Raises:
          ValueError: if `preserve_dims` is not positive.
        """
        super().__init__(name=name)
        if preserve_dims <= 0:
            raise ValueError(
                f"Argument preserve_dims should be >= 1, got preserve_dims={preserve_dims}."
            )
        self._output_shape = output_shape
        self._preserve_dims = preserve_dims

    @once.once
    def _initialize(self, inputs: jax.Array) -> None:
        if inputs.ndim < self._preserve_dims:
            raise ValueError(
                f"Reshape {self.module_name!r}: input tensor has {inputs.ndim} dimensions, "
                f"should have at least as many as preserve_dims={self._preserve_dims}."
            )
        self._input_shape = tuple(inputs.shape)

    def __call__(self, inputs: jax.Array) -> jax.Array:
        """Reshapes `inputs`.

        Args:
          inputs: array with at least `preserve_dims` axes.

        Returns:
          Array of shape `inputs.shape[:preserve_dims] + output_shape`.
        """
        self._initialize(inputs)
        output_shape = tuple(self._output_shape)
        if -1 in output_shape:
            output_shape = _infer_shape(output_shape, inputs.shape[self._preserve_dims :])
        return jnp.reshape(inputs, tuple(inputs.shape[: self._preserve_dims]) + output_shape)

    @base.no_name_scope
    def reversed(self, name: str | None = None) -> Reshape:
        """A `Reshape` back to the shape of the first input (default name `<name>_reversed`)."""
        if name is None:
            name = self.name + "_reversed"
        return Reshape(
            output_shape=self._input_shape[self._preserve_dims :],
            preserve_dims=self._preserve_dims,
            name=name,
        )


class Flatten(Reshape):
    """Flattens all axes after the first `preserve_dims` into one."""

    def __init__(self, preserve_dims: int = 1, name: str | None = None):
        """Constructs the module.

        Args:
          preserve_dims: the number of leading axes kept as they are (at least 1).
          name: the module's name.
        """
        super().__init__(output_shape=(-1,), preserve_dims=preserve_dims, name=name)
