"""`Linear`: Sonnet's affine layer, `inputs @ w + b`."""

from __future__ import annotations

import jax
import jax.numpy as jnp

from sonnax._src.core import params
from sonnax.compat._src import base, initializers, once, utils


class Linear(base.Module):
    """Linear layer on the last axis; parameters `w` `[input_size, output_size]` and `b`.

    `w` defaults to `TruncatedNormal(stddev=1 / sqrt(input_size))` (Sonnet's, not Haiku's
    variance-corrected one) and `b` to zeros.
    """

    def __init__(
        self,
        output_size: int,
        with_bias: bool = True,
        w_init: initializers.Initializer | None = None,
        b_init: initializers.Initializer | None = None,
        name: str | None = None,
    ):
        """Constructs the layer.

        Args:
          output_size: number of output features.
          with_bias: whether to add the bias `b`.
          w_init: initializer for `w`; default truncated normal, stddev `1 / sqrt(input_size)`.
          b_init: initializer for `b`; default zeros. Must be `None` without a bias.
          name: the module's name.
        """
        super().__init__(name=name)
        self.output_size = output_size
        self.with_bias = with_bias
        self.w_init = w_init
        self.b_init = initializers.bias_init(with_bias, b_init, self)

    @once.once
    def _initialize(self, inputs: jax.Array) -> None:
        utils.assert_minimum_rank(inputs, 2, self)
        self.input_size = inputs.shape[-1]
        if self.w_init is None:
            self.w_init = initializers.fan_in_truncated_normal(self.input_size)
        self.w = params.get_parameter(
            "w", [self.input_size, self.output_size], inputs.dtype, init=self.w_init
        )
        if self.with_bias:
            self.b = params.get_parameter("b", [self.output_size], inputs.dtype, init=self.b_init)

    def __call__(self, inputs: jax.Array) -> jax.Array:
        """Applies the layer.

        Args:
          inputs: array of shape `[batch, ..., input_size]`.

        Returns:
          Array of shape `[batch, ..., output_size]`.
        """
        self._initialize(inputs)
        outputs = jnp.matmul(inputs, self.w)
        if self.with_bias:
            outputs = outputs + self.b
        return outputs
