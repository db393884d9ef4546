"""`Bias`: Sonnet's learned additive bias, broadcast over chosen input axes."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import jax

from sonnax._src.core import params
from sonnax.compat._src import base, initializers, once, utils


class Bias(base.Module):
    """Adds a learned bias `b` (default zeros) to its input, optionally scaled.

    By default `b` has the input's shape without the batch axis; `bias_dims` keeps only the
    listed axes (the others broadcast, leading size-1 axes are dropped), and `bias_dims=[]`
    gives a scalar.
    """

    def __init__(
        self,
        output_size: int | Sequence[int] | None = None,
        bias_dims: Sequence[int] | None = None,
        b_init: initializers.Initializer | None = None,
        name: str | None = None,
    ):
        """Constructs the module.

        Args:
          output_size: the expected input shape without the batch axis, or `None` to take
            it from the input.
          bias_dims: the input axes the bias varies over; `None` for all but the batch axis.
          b_init: initializer for `b`; default zeros.
          name: the module's name.
        """
        super().__init__(name=name)
        self.output_size = output_size
        self.bias_dims = bias_dims
        self.b_init = initializers.Zeros() if b_init is None else b_init

    @once.once
    def _initialize(self, inputs: jax.Array) -> None:
        utils.assert_minimum_rank(inputs, 2, self)
        input_size = tuple(inputs.shape[1:])
        if self.output_size is not None:
            expected = (
                tuple(self.output_size)
                if isinstance(self.output_size, Sequence)
                else (self.output_size,)
            )
            if expected != input_size:
                raise ValueError(
                    f"Bias {self.module_name!r}: input shape must be {(-1, *expected)} "
                    f"not {tuple(inputs.shape)}."
                )
        self.input_size = input_size
        shape = calculate_bias_shape(tuple(inputs.shape), self.bias_dims)
        self.b = params.get_parameter("b", shape, inputs.dtype, init=self.b_init)

    def __call__(self, inputs: jax.Array, multiplier: Any = None) -> jax.Array:
        """Adds the bias.

        Args:
          inputs: array of shape `[batch, ...]`.
          multiplier: optional factor for the bias (e.g. `-1` to subtract it).

        Returns:
          `inputs + b * multiplier`, the shape of `inputs`.
        """
        self._initialize(inputs)
        if multiplier is not None:
            return inputs + self.b * multiplier
        return inputs + self.b


def calculate_bias_shape(
    input_shape: Sequence[int], bias_dims: Sequence[int] | None
) -> tuple[int, ...]:
    """The shape of the bias for an input shape and the axes it varies over.

    Args:
      input_shape: the input's shape, batch axis first.
      bias_dims: the axes the bias varies over (negative counts from the end); `None` for
        all but the batch axis, `[]` for a scalar.

    Returns:
      The bias shape, with leading size-1 axes removed.

    Raises:
      ValueError: if an axis is the batch axis or out of range.
    """
    rank = len(input_shape)
    if bias_dims is None:
        return tuple(input_shape[1:])
    if not bias_dims:
        return ()
    shape = [1] * rank
    for dim in bias_dims:
        axis = dim % rank if dim < 0 else dim
        if axis == 0:
            raise ValueError("Cannot apply bias across the minibatch dimension.")
        if axis >= rank:
            raise ValueError(
                f"Dimension {axis} (bias_dims={tuple(bias_dims)!r}) out of range for input of "
                f"rank {rank}."
            )
        shape[axis] = input_shape[axis]
    start = next((i for i in range(1, rank) if shape[i] != 1), rank)
    return tuple(shape[start:])
