"""`Sequential`: Sonnet's chain of modules and functions."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from sonnax.compat._src import base


class Sequential(base.Module):
    """Calls its layers in order, each on the previous one's output.

    Extra arguments of `__call__` go to the first layer only.
    """

    def __init__(
        self,
        layers: Iterable[Callable[..., Any]] | None = None,
        name: str | None = None,
    ):
        """Constructs the chain.

        Args:
          layers: the modules or functions to apply, first to last.
          name: the module's name.
        """
        super().__init__(name=name)
        self._layers = list(layers) if layers is not None else []

    def __call__(self, inputs: Any, *args: Any, **kwargs: Any) -> Any:
        """Applies the layers.

        Args:
          inputs: the first layer's input.
          *args: more positional arguments for the first layer.
          **kwargs: keyword arguments for the first layer.

        Returns:
          The last layer's output (`inputs` if there are no layers).
        """
        outputs = inputs
        for i, layer in enumerate(self._layers):
            outputs = layer(outputs, *args, **kwargs) if i == 0 else layer(outputs)
        return outputs
