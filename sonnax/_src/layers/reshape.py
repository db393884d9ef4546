"""`Reshape` and `Flatten`: reshape all but some leading (batch) dimensions."""

from __future__ import annotations

import math
from collections.abc import Sequence

import jax
import jax.numpy as jnp
import numpy as np

from sonnax._src.core import module


class Reshape(module.Module):
    """Reshapes inputs, keeping their first `preserve_dims` dimensions.

    The remaining dimensions become `output_shape`, in which one `-1` may stand
    for the size that makes the element count match. A negative
    `preserve_dims` instead counts the trailing dimensions to replace, so the
    same module works with and without a batch dimension. Inputs with at most
    `preserve_dims` dimensions are returned unchanged. It has no parameters.

    >>> import sonnax as hk
    >>> import jax.numpy as jnp
    >>> f = hk.transform(lambda x: hk.Reshape((-1, 5), preserve_dims=2)(x))
    >>> f.init(None, jnp.ones([2, 3, 4, 5]))
    {}
    >>> f.apply({}, None, jnp.ones([2, 3, 4, 5])).shape
    (2, 3, 4, 5)
    >>> f.apply({}, None, jnp.ones([2, 3, 4, 5, 6])).shape
    (2, 3, 24, 5)
    """

    def __init__(
        self,
        output_shape: Sequence[int],
        preserve_dims: int = 1,
        name: str | None = None,
    ):
        """Constructs the layer.

        Args:
          output_shape: the new shape of the non-preserved dimensions; at most
            one entry may be `-1`, to be inferred. See `Flatten` to flatten.
          preserve_dims: how many leading dimensions to keep; if negative,
            how many trailing dimensions to replace.
          name: the module's name.

        Raises:
          ValueError: `preserve_dims` is 0, or `output_shape` has several `-1`.
          TypeError: `output_shape` holds something other than integers.
        """
        super().__init__(name=name)
        if preserve_dims == 0:
            raise ValueError(
                f"Argument preserve_dims should be non-zero (module {self.module_name!r} got 0): "
                "use a positive count of leading dimensions to keep or a negative count of "
                "trailing dimensions to replace."
            )
        if list(output_shape).count(-1) > 1:
            raise ValueError(
                f"-1 can only occur once in `output_shape`: module {self.module_name!r} got "
                f"output_shape={tuple(output_shape)}; give all sizes but one explicitly."
            )
        if not all(isinstance(d, (int, np.integer)) for d in output_shape):
            raise TypeError(
                "Shapes must be 1D sequences of concrete values of integer type: module "
                f"{self.module_name!r} got output_shape={tuple(output_shape)}."
            )
        self.output_shape = tuple(int(d) for d in output_shape)
        self.preserve_dims = preserve_dims

    def __call__(self, inputs: jax.Array) -> jax.Array:
        """Reshapes `inputs`.

        Args:
          inputs: an array.

        Returns:
          `inputs` reshaped to `inputs.shape[:preserve_dims] + output_shape`
          (with `-1` inferred), or unchanged if it has at most `preserve_dims`
          dimensions.

        Raises:
          TypeError: the element counts of the two shapes cannot match.
        """
        if inputs.ndim <= self.preserve_dims:
            return inputs
        kept = tuple(inputs.shape[: self.preserve_dims])
        size = math.prod(inputs.shape[self.preserve_dims :])
        known = math.prod(d for d in self.output_shape if d != -1)
        new_shape = self.output_shape
        if -1 in new_shape and (known == 0 or size % known == 0):
            # With a zero in output_shape the size is 0 and -1 stands for 0, as in Haiku.
            inferred = size // known if known else 0
            new_shape = tuple(inferred if d == -1 else d for d in new_shape)
        if math.prod(new_shape) != size:
            raise TypeError(
                f"cannot reshape array of shape {inputs.shape} into shape "
                f"{kept + self.output_shape} in module {self.module_name!r}: the "
                f"{size} elements after the first {self.preserve_dims} dimension(s) do not fit "
                f"output_shape={self.output_shape}."
            )
        return jnp.reshape(inputs, kept + new_shape)


class Flatten(Reshape):
    """Flattens inputs into one dimension after the first `preserve_dims`.

    A negative `preserve_dims` flattens that many trailing dimensions instead;
    inputs with at most `preserve_dims` dimensions are returned unchanged.

    >>> import sonnax as hk
    >>> import jax.numpy as jnp
    >>> f = hk.transform(lambda x: hk.Flatten()(x))
    >>> f.init(None, jnp.ones([2, 3, 4]))
    {}
    >>> f.apply({}, None, jnp.ones([2, 3, 4])).shape
    (2, 12)
    """

    def __init__(self, preserve_dims: int = 1, name: str | None = None):
        """Constructs the layer.

        Args:
          preserve_dims: how many leading dimensions to keep; if negative, how
            many trailing dimensions to flatten.
          name: the module's name.
        """
        super().__init__(output_shape=(-1,), preserve_dims=preserve_dims, name=name)
