"""`MLP`: Sonnet's multi-layer perceptron, a stack of `Linear` layers."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

import jax

from sonnax._src.core import rng
from sonnax._src.layers import dropout
from sonnax.compat._src import activations, base, initializers, linear


class MLP(base.Module):
    """Linear layers `linear_0`, `linear_1`, ... with an activation between them.

    With `dropout_rate`, dropout is applied (in training) before each activation, as in
    Sonnet, with keys from `sonnax.next_rng_key()`.
    """

    def __init__(
        self,
        output_sizes: Iterable[int],
        w_init: initializers.Initializer | None = None,
        b_init: initializers.Initializer | None = None,
        with_bias: bool = True,
        activation: Callable[[jax.Array], jax.Array] = activations.relu,
        dropout_rate: Any = None,
        activate_final: bool = False,
        name: str | None = None,
    ):
        """Constructs the layers.

        Args:
          output_sizes: the output size of each layer.
          w_init: initializer for each layer's `w` (default: `Linear`'s).
          b_init: initializer for each layer's `b` (default: zeros). Must be `None`
            without a bias.
          with_bias: whether the layers add a bias.
          activation: applied between layers (and after the last with `activate_final`).
          dropout_rate: the dropout rate; `None` or `0` for no dropout.
          activate_final: whether to activate the output of the last layer.
          name: the module's name.

        Raises:
          ValueError: `b_init` is given with `with_bias=False`.
        """
        if not with_bias and b_init is not None:
            raise ValueError("When with_bias=False b_init must not be set.")
        super().__init__(name=name)
        self._with_bias = with_bias
        self._w_init = w_init
        self._b_init = b_init
        self._activation = activation
        self._activate_final = activate_final
        self._dropout_rate = dropout_rate
        self._layers = [
            linear.Linear(
                output_size=output_size,
                w_init=w_init,
                b_init=b_init,
                with_bias=with_bias,
                name=f"linear_{index}",
            )
            for index, output_size in enumerate(output_sizes)
        ]

    def __call__(self, inputs: jax.Array, is_training: bool | None = None) -> jax.Array:
        """Applies the layers.

        Args:
          inputs: array of shape `[batch_size, input_size]`.
          is_training: whether to apply dropout; required with dropout, and only then.

        Returns:
          Array of shape `[batch_size, output_sizes[-1]]`.

        Raises:
          ValueError: `is_training` is missing with dropout, or given without it.
        """
        use_dropout = self._dropout_rate not in (None, 0)
        if use_dropout and is_training is None:
            raise ValueError(
                f"MLP {self.module_name!r}: the `is_training` argument is required when "
                f"dropout is used (dropout_rate={self._dropout_rate})."
            )
        if not use_dropout and is_training is not None:
            raise ValueError(
                f"MLP {self.module_name!r}: the `is_training` argument should only be used "
                f"with dropout (dropout_rate={self._dropout_rate}, is_training={is_training})."
            )
        num_layers = len(self._layers)
        for i, layer in enumerate(self._layers):
            inputs = layer(inputs)
            if i < num_layers - 1 or self._activate_final:
                if use_dropout and is_training:
                    inputs = dropout.dropout(rng.next_rng_key(), self._dropout_rate, inputs)
                inputs = self._activation(inputs)
        return inputs

    def reverse(self, activate_final: bool | None = None, name: str | None = None) -> MLP:
        """A new MLP mapping this one's output size back to its input size, layer by layer.

        The module must have been called (the layers' input sizes must be known). The new
        MLP has its own parameters.

        Args:
          activate_final: whether to activate the last layer; by default as this MLP.
          name: the new module's name; by default this one's with `_reversed` appended.

        Returns:
          The reversed `MLP`.
        """
        if activate_final is None:
            activate_final = self._activate_final
        if name is None:
            name = self.name + "_reversed"
        return MLP(
            output_sizes=(layer.input_size for layer in reversed(self._layers)),
            w_init=self._w_init,
            b_init=self._b_init,
            with_bias=self._with_bias,
            activation=self._activation,
            dropout_rate=self._dropout_rate,
            activate_final=activate_final,
            name=name,
        )
