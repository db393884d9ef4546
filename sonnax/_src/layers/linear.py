"""`Linear`: an affine layer."""

from __future__ import annotations

from typing import Any

import jax
import jax.numpy as jnp
import numpy as np

from sonnax._src import initializers
from sonnax._src.core import module, params
from sonnax._src.typing import Initializer


class Linear(module.Module):
    """Linear layer: `inputs @ w + b` on the last axis.

    Parameters are `w` of shape `[input_size, output_size]` and `b` of shape
    `[output_size]`. As in Haiku, `w` defaults to a truncated normal with stddev
    `1 / sqrt(input_size)` and `b` to zeros.

    >>> import sonnax as hk
    >>> import jax, jax.numpy as jnp
    >>> f = hk.transform(lambda x: hk.Linear(4)(x))
    >>> params = f.init(jax.random.PRNGKey(0), jnp.ones([2, 3]))
    >>> jax.tree.map(jnp.shape, params)
    {'linear': {'b': (4,), 'w': (3, 4)}}
    """

    def __init__(
        self,
        output_size: int,
        with_bias: bool = True,
        w_init: Initializer | None = None,
        b_init: Initializer | None = None,
        name: str | None = None,
    ):
        """Constructs the layer.

        Args:
          output_size: number of output features.
          with_bias: whether to add a bias `b`.
          w_init: initializer for `w` (default: truncated normal, stddev 1/sqrt(fan_in)).
          b_init: initializer for `b` (default: zeros).
          name: the module's name.
        """
        super().__init__(name=name)
        self.input_size: int | None = None
        self.output_size = output_size
        self.with_bias = with_bias
        self.w_init = w_init
        self.b_init = b_init or jnp.zeros

    def __call__(self, inputs: jax.Array, *, precision: Any = None) -> jax.Array:
        """Applies the layer.

        Args:
          inputs: array of shape `[..., input_size]`.
          precision: passed to `jnp.dot`.

        Returns:
          Array of shape `[..., output_size]`.
        """
        if not inputs.shape:
            raise ValueError(
                f"Input must not be scalar: module {self.module_name!r} needs inputs of shape "
                "[..., input_size]."
            )
        input_size = self.input_size = inputs.shape[-1]
        dtype = inputs.dtype
        w_init = self.w_init
        if w_init is None:
            w_init = initializers.TruncatedNormal(stddev=1.0 / np.sqrt(input_size))
        w = params.get_parameter("w", [input_size, self.output_size], dtype, init=w_init)
        out = jnp.dot(inputs, w, precision=precision)
        if self.with_bias:
            b = params.get_parameter("b", [self.output_size], dtype, init=self.b_init)
            out = out + jnp.broadcast_to(b, out.shape)
        return out
