"""`Bias`: adds a learned bias, optionally broadcast over some input dimensions."""

from __future__ import annotations

from collections.abc import Sequence

import jax
import jax.numpy as jnp

from sonnax._src.core import module, params
from sonnax._src.typing import Initializer


class Bias(module.Module):
    """Adds a learned bias `b` to inputs of shape `[batch_size, ...]`.

    By default `b` has the shape of one example (`inputs.shape[1:]`). With
    `bias_dims`, only the listed dimensions keep their size, the others are
    broadcast over, and leading broadcast dimensions are dropped from `b`
    (`bias_dims=[]` gives a scalar). As in Haiku, `b` starts at zeros.

    >>> import sonnax as hk
    >>> import jax, jax.numpy as jnp
    >>> f = hk.transform(lambda x: hk.Bias(bias_dims=[1])(x))
    >>> params = f.init(None, jnp.ones([8, 3, 4]))
    >>> jax.tree.map(jnp.shape, params)
    {'bias': {'b': (3, 1)}}
    """

    def __init__(
        self,
        output_size: Sequence[int] | None = None,
        bias_dims: Sequence[int] | None = None,
        b_init: Initializer | None = None,
        name: str | None = None,
    ):
        """Constructs the layer.

        Args:
          output_size: the expected shape of one example (`inputs.shape[1:]`);
            `None` accepts any shape.
          bias_dims: the input dimensions `b` spans (never 0, the batch
            dimension); `None` means all of `1, ..., rank - 1`.
          b_init: initializer for `b` (default: zeros).
          name: the module's name.
        """
        super().__init__(name=name)
        self.output_size = output_size
        self.bias_dims = bias_dims
        self.b_init = b_init or jnp.zeros
        self.bias_shape: tuple[int, ...] | None = None
        self.input_size: tuple[int, ...] | None = None

    def __call__(
        self,
        inputs: jax.Array,
        multiplier: float | jax.Array | None = None,
    ) -> jax.Array:
        """Adds `b` (times `multiplier`, if given) to `inputs`.

        Args:
          inputs: array of shape `[batch_size, ...]`, rank at least 2.
          multiplier: scales `b` before it is added, e.g. `-1` to subtract it.

        Returns:
          An array of the shape of `inputs`.
        """
        if inputs.ndim < 2:
            raise ValueError(
                f"Input of module {self.module_name!r} must have rank >= 2 (a batch dimension "
                f"first), got shape {inputs.shape} of rank {inputs.ndim}."
            )
        # Haiku compares with `!=` directly, so a list `output_size` never matches the
        # input's shape tuple; comparing as tuples accepts the obviously intended case.
        if self.output_size is not None and tuple(self.output_size) != inputs.shape[1:]:
            raise ValueError(
                f"Input shape must be {(-1, *self.output_size)} not {inputs.shape}: module "
                f"{self.module_name!r} was built with output_size={tuple(self.output_size)}, "
                f"but one example of these inputs has shape {inputs.shape[1:]}."
            )
        self.bias_shape = bias_shape(inputs.shape, self.bias_dims, self.module_name)
        self.input_size = inputs.shape[1:]
        b = params.get_parameter("b", self.bias_shape, inputs.dtype, init=self.b_init)
        b = jnp.broadcast_to(b, inputs.shape)
        if multiplier is not None:
            b = b * multiplier
        return inputs + b


def bias_shape(
    input_shape: tuple[int, ...], bias_dims: Sequence[int] | None, module_name: str
) -> tuple[int, ...]:
    """The shape of `b` for inputs of `input_shape` (see `Bias`).

    Args:
      input_shape: the full input shape, batch dimension first.
      bias_dims: the dimensions `b` spans, or `None` for all but the batch one.
      module_name: the module's path, for error messages.

    Returns:
      `input_shape` with unlisted dimensions set to 1, minus the batch
      dimension and any leading 1s.

    Raises:
      ValueError: a dimension is the batch dimension or out of range.
    """
    if bias_dims is None:
        return input_shape[1:]
    rank = len(input_shape)
    shape = [1] * rank
    for dim in bias_dims:
        # As in Haiku, any negative dimension is taken modulo the rank (so -5 of a
        # rank-3 input means 1), which decides the parameter's shape.
        dim = dim % rank if dim < 0 else dim
        if dim == 0:
            raise ValueError(
                f"Cannot apply bias across the minibatch dimension: module {module_name!r} got "
                f"bias_dims={tuple(bias_dims)}, which selects dimension 0 of inputs of shape "
                f"{input_shape}. Use dimensions 1 to {rank - 1}, or negative ones."
            )
        if dim >= rank:
            raise ValueError(
                f"Dimension {dim} (bias_dims={tuple(bias_dims)}) out of range for input of "
                f"rank {rank} in module {module_name!r} (input shape {input_shape}); use "
                f"dimensions 1 to {rank - 1}."
            )
        shape[dim] = input_shape[dim]
    kept = shape[1:]
    while kept and kept[0] == 1:
        kept.pop(0)
    return tuple(kept)
