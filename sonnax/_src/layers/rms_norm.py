"""`RMSNorm`: scaling by the root mean square, without re-centring."""

from __future__ import annotations

from collections.abc import Iterable

import jax
import jax.numpy as jnp

from sonnax._src.core import module, params
from sonnax._src.layers import layer_norm
from sonnax._src.typing import Initializer


class RMSNorm(module.Module):
    """Divides inputs by their root mean square over `axis`, then scales.

    See https://arxiv.org/abs/1910.07467. Unlike `LayerNorm` the mean is not
    subtracted and there is no offset. `scale` spans `param_axis` (default the
    last axis, stored as `[channels]`).

    >>> import sonnax as hk
    >>> import jax, jax.numpy as jnp
    >>> f = hk.transform(lambda x: hk.RMSNorm(-1)(x))
    >>> params = f.init(None, jnp.ones([2, 5, 3]))
    >>> jax.tree.map(jnp.shape, params)
    {'rms_norm': {'scale': (3,)}}
    """

    def __init__(
        self,
        axis: layer_norm.AxisOrAxes,
        eps: float = 1e-5,
        scale_init: Initializer | None = None,
        name: str | None = None,
        create_scale: bool = True,
        *,
        param_axis: layer_norm.AxisOrAxes | None = None,
    ):
        """Constructs the layer.

        Args:
          axis: the axes to normalize over: an int, ints, or a slice.
          eps: added to the mean square before the square root (default `1e-5`).
          scale_init: initializer for `scale` (default ones); only with
            `create_scale=True`.
          name: the module's name.
          create_scale: whether to learn a `scale` parameter.
          param_axis: the axes `scale` spans (default `-1`).

        Raises:
          ValueError: `axis` is not an int, ints or a slice, or `scale_init` is
            given with `create_scale=False`.
        """
        super().__init__(name=name)
        if not create_scale and scale_init is not None:
            raise ValueError(
                f"Cannot set `scale_init` if `create_scale=False`: module {self.module_name!r} "
                f"got scale_init={scale_init!r}; pass create_scale=True or drop scale_init."
            )
        if isinstance(axis, slice):
            self.axis: slice | tuple[int, ...] = axis
        elif isinstance(axis, int):
            self.axis = (axis,)
        elif isinstance(axis, Iterable) and all(isinstance(a, int) for a in axis):
            self.axis = tuple(axis)
        else:
            raise ValueError(
                "`axis` should be an int, slice or iterable of ints: module "
                f"{self.module_name!r} got axis={axis!r}."
            )
        self.eps = eps
        self.create_scale = create_scale
        self.scale_init = scale_init or jnp.ones
        self.param_axis = (-1,) if param_axis is None else layer_norm.to_axes_or_slice(param_axis)

    def __call__(self, inputs: jax.Array) -> jax.Array:
        """Normalizes `inputs`.

        Args:
          inputs: an array of shape `[N, ..., C]`.

        Returns:
          The normalized array, of the shape of `inputs`.
        """
        inputs = jnp.asarray(inputs)
        axis = self.axis
        if isinstance(axis, slice):
            axis = tuple(range(inputs.ndim)[axis])
        param_axis = layer_norm.to_abs_axes(self.param_axis, inputs.ndim)
        scale: float | jax.Array = 1.0
        if self.create_scale:
            shape = layer_norm.param_shape(inputs.shape, param_axis)
            scale = params.get_parameter("scale", shape, inputs.dtype, init=self.scale_init)
            scale = jnp.broadcast_to(scale, inputs.shape)
        mean_squared = jnp.mean(jnp.square(inputs), axis=axis, keepdims=True)
        mean_squared = jnp.broadcast_to(mean_squared, inputs.shape)
        return inputs * scale * jax.lax.rsqrt(mean_squared + self.eps)
