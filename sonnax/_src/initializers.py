"""Initializers: callables ``init(shape, dtype)`` that make a parameter's first value.

Each random initializer draws exactly one key with ``next_rng_key()`` per call, and
performs the same arithmetic in the same order and dtypes as Haiku 0.0.17, so for
one key the values are bit-identical to ``haiku.initializers``.

>>> import jax
>>> import jax.numpy as jnp
>>> import sonnax as snx
>>> init = snx.initializers.VarianceScaling(2.0, "fan_in", "uniform")
>>> f = snx.transform(lambda: init((3, 3, 8, 16), jnp.float32))
>>> f.apply({}, jax.random.PRNGKey(0)).shape
(3, 3, 8, 16)
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np

from sonnax._src.core import rng

_MODES = ("fan_in", "fan_out", "fan_avg")
_DISTRIBUTIONS = ("truncated_normal", "normal", "uniform")

# Standard deviation of a unit normal truncated to [-2, 2], i.e.
# scipy.stats.truncnorm.std(a=-2, b=2); the value Haiku divides by.
_TRUNCATED_UNIT_NORMAL_STDDEV = 0.87962566103423978


class Constant:
    """Fills the array with a constant, broadcast to the requested shape."""

    def __init__(self, constant: float | int | complex | np.ndarray | jax.Array):
        """Creates the initializer.

        Args:
            constant: Value to fill with; a scalar or any array that broadcasts to
                the shapes it will be called with.
        """
        self.constant = constant

    def __call__(self, shape: Sequence[int], dtype: Any) -> jax.Array:
        """Returns ``constant`` broadcast to ``shape`` and cast to ``dtype``."""
        broadcast = jnp.broadcast_to(jnp.asarray(self.constant), shape)
        return broadcast.astype(dtype)


class RandomNormal:
    """Samples from a normal distribution ``N(mean, stddev**2)``."""

    def __init__(self, stddev: float | jax.Array = 1.0, mean: float | jax.Array = 0.0):
        """Creates the initializer.

        Args:
            stddev: Standard deviation of the distribution (Haiku default 1).
            mean: Mean of the distribution (Haiku default 0).
        """
        self.stddev = stddev
        self.mean = mean

    def __call__(self, shape: Sequence[int], dtype: Any) -> jax.Array:
        """Draws one key and returns a ``shape`` array of ``dtype`` samples."""
        mean = jax.lax.convert_element_type(self.mean, dtype)
        stddev = jax.lax.convert_element_type(self.stddev, dtype)
        return mean + stddev * jax.random.normal(rng.next_rng_key(), shape, dtype)


class TruncatedNormal:
    """Samples from a normal distribution truncated to ``[lower, upper]`` stddevs.

    For complex dtypes the real and imaginary parts are drawn independently (as one
    draw with a leading axis of 2) from the truncated distribution.
    """

    def __init__(
        self,
        stddev: float | jax.Array = 1.0,
        mean: float | complex | jax.Array = 0.0,
        lower: float | jax.Array = -2.0,
        upper: float | jax.Array = 2.0,
    ):
        """Creates the initializer.

        Args:
            stddev: Standard deviation of the normal distribution before truncation.
            mean: Value added after scaling, so the mean of the result.
            lower: Lower truncation bound, in units of ``stddev`` (default -2).
            upper: Upper truncation bound, in units of ``stddev`` (default 2).
        """
        self.stddev = stddev
        self.mean = mean
        self.lower = lower
        self.upper = upper

    def __call__(self, shape: Sequence[int], dtype: Any) -> jax.Array:
        """Draws one key and returns a ``shape`` array of ``dtype`` samples."""
        real_dtype = jnp.finfo(dtype).dtype
        mean = jax.lax.convert_element_type(self.mean, dtype)
        stddev = jax.lax.convert_element_type(self.stddev, real_dtype)
        is_complex = jnp.issubdtype(dtype, jnp.complexfloating)
        draw_shape = (2, *shape) if is_complex else shape
        samples = jax.random.truncated_normal(
            rng.next_rng_key(), self.lower, self.upper, draw_shape, real_dtype
        )
        if is_complex:
            samples = samples[0] + 1j * samples[1]
        return stddev * samples + mean


class RandomUniform:
    """Samples from a uniform distribution on ``[minval, maxval)``."""

    def __init__(self, minval: float | jax.Array = 0.0, maxval: float | jax.Array = 1.0):
        """Creates the initializer.

        Args:
            minval: Lower bound, included (Haiku default 0).
            maxval: Upper bound, excluded (Haiku default 1).
        """
        self.minval = minval
        self.maxval = maxval

    def __call__(self, shape: Sequence[int], dtype: Any) -> jax.Array:
        """Draws one key and returns a ``shape`` array of ``dtype`` samples."""
        return jax.random.uniform(rng.next_rng_key(), shape, dtype, self.minval, self.maxval)


def _compute_fans(
    shape: Sequence[int], fan_in_axes: Sequence[int] | None = None
) -> tuple[int, int]:
    """Counts the input and output units ``(fan_in, fan_out)`` of a weight.

    Rules (Haiku's, reproduced for parity):

    * rank 0 is one unit each way; rank 1 is ``shape[0]`` units each way; rank 2
      is a dense ``(inputs, outputs)`` matrix. ``fan_in_axes`` is ignored here.
    * rank 3 or more, without ``fan_in_axes``: a convolution kernel
      ``(*spatial, inputs, outputs)``; both fans are multiplied by the number of
      spatial positions (the receptive field).
    * rank 3 or more, with ``fan_in_axes``: the fan-in multiplies the sizes that
      ``fan_in_axes`` selects and the fan-out the sizes of every other position.
      Positions are compared as written, so a negative entry such as ``-1``
      counts towards the fan-in *and* still towards the fan-out.

    Args:
        shape: Shape of the weight.
        fan_in_axes: Axes making up the fan-in of a rank 3+ weight, or ``None``.

    Returns:
        The two unit counts.
    """
    rank = len(shape)
    if rank == 0:
        return 1, 1
    if rank <= 2:
        # (inputs, outputs) for a matrix; a vector is its own fan-in and fan-out.
        return shape[0], shape[-1]
    if fan_in_axes is None:
        receptive_field = math.prod(shape[:-2])
        return receptive_field * shape[-2], receptive_field * shape[-1]
    selected = set(fan_in_axes)
    fan_in = math.prod(shape[axis] for axis in fan_in_axes)
    fan_out = math.prod(size for position, size in enumerate(shape) if position not in selected)
    return fan_in, fan_out


class VarianceScaling:
    """Samples with a variance of ``scale / n``, where ``n`` is a fan of the shape.

    ``n`` is the fan-in (``mode="fan_in"``), the fan-out (``"fan_out"``) or their
    mean (``"fan_avg"``), floored at 1. For convolution kernels
    ``(*spatial, inputs, outputs)`` both fans include the spatial size. With
    ``distribution="truncated_normal"`` the samples are cut at two standard
    deviations and rescaled so the variance after truncation is still
    ``scale / n``; with ``"uniform"`` they lie in ``[-sqrt(3 * scale / n), ...)``.

    Common settings: Glorot is ``VarianceScaling(1.0, "fan_avg", ...)``, LeCun is
    ``VarianceScaling(1.0, "fan_in", ...)`` and He is
    ``VarianceScaling(2.0, "fan_in", ...)``, with ``"uniform"`` or
    ``"truncated_normal"`` as the last argument.
    """

    def __init__(
        self,
        scale: float | jax.Array = 1.0,
        mode: str = "fan_in",
        distribution: str = "truncated_normal",
        fan_in_axes: Sequence[int] | None = None,
    ):
        """Creates the initializer.

        Args:
            scale: Non-negative factor on the variance (Haiku default 1).
            mode: ``"fan_in"`` (default), ``"fan_out"`` or ``"fan_avg"``.
            distribution: ``"truncated_normal"`` (default), ``"normal"`` or
                ``"uniform"``; case-insensitive.
            fan_in_axes: For weights of rank 3 or more, the axes forming the
                fan-in (e.g. attention weights); by default the shape is read as a
                convolution kernel.

        Raises:
            ValueError: If ``scale`` is negative, or ``mode`` or ``distribution`` is
                not one of the names above.
        """
        if scale < 0.0:
            raise ValueError(
                f"VarianceScaling: `scale` must be a positive float (or zero), got {scale!r}."
            )
        if mode not in _MODES:
            raise ValueError(
                f"VarianceScaling: Invalid `mode` argument: {mode!r}; "
                f"expected one of {', '.join(map(repr, _MODES))}."
            )
        distribution = distribution.lower()
        if distribution not in _DISTRIBUTIONS:
            raise ValueError(
                f"VarianceScaling: Invalid `distribution` argument: {distribution!r}; "
                f"expected one of {', '.join(map(repr, _DISTRIBUTIONS))}."
            )
        self.scale = scale
        self.mode = mode
        self.distribution = distribution
        self.fan_in_axes = fan_in_axes

    def _variance(self, shape: Sequence[int]) -> Any:
        """Returns ``scale / n`` for ``shape``, computed in float64 as Haiku does."""
        fan_in, fan_out = _compute_fans(shape, self.fan_in_axes)
        units: float
        if self.mode == "fan_in":
            units = fan_in
        elif self.mode == "fan_out":
            units = fan_out
        else:
            units = (fan_in + fan_out) / 2.0
        return self.scale / max(1.0, units)

    def __call__(self, shape: Sequence[int], dtype: Any) -> jax.Array:
        """Draws one key and returns a ``shape`` array of ``dtype`` samples."""
        variance = self._variance(shape)
        if self.distribution == "uniform":
            limit = np.sqrt(3.0 * variance)
            return RandomUniform(minval=-limit, maxval=limit)(shape, dtype)
        if self.distribution == "normal":
            return RandomNormal(stddev=np.sqrt(variance))(shape, dtype)
        # Haiku rounds the correction constant to `dtype` before dividing (so it is
        # coarser in bfloat16); we round it to the real part of `dtype`, which gives
        # the same value and avoids a complex-to-real cast warning for complex dtypes.
        correction = np.asarray(_TRUNCATED_UNIT_NORMAL_STDDEV, dtype=jnp.finfo(dtype).dtype)
        return TruncatedNormal(stddev=np.sqrt(variance) / correction)(shape, dtype)


class UniformScaling:
    """Samples uniformly in ``[-limit, limit)`` with ``limit = scale * sqrt(3 / inputs)``.

    ``inputs`` is the product of all but the last dimension of the shape.
    """

    def __init__(self, scale: float | jax.Array = 1.0):
        """Creates the initializer.

        Args:
            scale: Factor on the limit of the distribution (Haiku default 1).
        """
        self.scale = scale

    def __call__(self, shape: Sequence[int], dtype: Any) -> jax.Array:
        """Draws one key and returns a ``shape`` array of ``dtype`` samples."""
        inputs = np.prod(shape[:-1])
        limit = np.sqrt(3 / inputs) * self.scale
        return RandomUniform(-limit, limit)(shape, dtype)


class Orthogonal:
    """Samples a random (semi-)orthogonal matrix, times ``scale``.

    All axes other than ``axis`` are flattened into one, giving an
    ``(outputs, rest)`` matrix whose shorter side is orthonormal: its rows if there
    are fewer outputs than ``rest``, else its columns.
    """

    def __init__(self, scale: float | jax.Array = 1.0, axis: int = -1):
        """Creates the initializer.

        Args:
            scale: Factor on the orthogonal matrix (Haiku default 1).
            axis: The axis holding the output dimension (Haiku default -1).
        """
        self.scale = scale
        self.axis = axis

    def __call__(self, shape: Sequence[int], dtype: Any) -> jax.Array:
        """Draws one key and returns a ``shape`` array of ``dtype`` values.

        Raises:
            ValueError: If ``shape`` has fewer than two dimensions.
            IndexError: If ``axis`` is not an axis of ``shape``.
        """
        if len(shape) < 2:
            raise ValueError(
                "Orthogonal initializer requires at least a 2D shape, "
                f"got shape {tuple(shape)} of rank {len(shape)}."
            )
        if not -len(shape) <= self.axis < len(shape):
            raise IndexError(
                f"Orthogonal initializer: `axis`={self.axis} is out of range for "
                f"shape {tuple(shape)} of rank {len(shape)}."
            )
        axis = self.axis % len(shape)
        outputs = shape[axis]
        other_sizes = (*shape[:axis], *shape[axis + 1 :])
        matrix = _haar_semi_orthogonal(rng.next_rng_key(), outputs, math.prod(other_sizes), dtype)
        # Unflatten the other axes, then put the outputs where `axis` says.
        kernel = jnp.moveaxis(matrix.reshape(outputs, *other_sizes), 0, axis)
        return jax.lax.convert_element_type(self.scale, dtype) * kernel


def _haar_semi_orthogonal(key: jax.Array, rows: int, cols: int, dtype: Any) -> jax.Array:
    """Returns a random ``(rows, cols)`` matrix whose shorter side is orthonormal.

    A tall Gaussian matrix ``G = QR`` gives a ``Q`` with orthonormal columns. The
    factorisation is only unique once the diagonal of ``R`` is made positive, so
    each column of ``Q`` is multiplied by the sign of its diagonal entry; this makes
    ``Q`` Haar-distributed (Mezzadri, 2007). A wide result is a tall one transposed.

    The draw (one ``normal`` of shape ``(max, min)``) and each step match Haiku's
    ``Orthogonal``, so for the same key the values are bit-identical.
    """
    tall = jax.random.normal(key, (max(rows, cols), min(rows, cols)), dtype)
    q, r = jnp.linalg.qr(tall)
    q = q * jnp.sign(jnp.diagonal(r))
    return q.T if rows < cols else q


class Identity:
    """Makes an identity matrix (or a batch of them) times ``gain``.

    The last two axes hold the (possibly rectangular) identity, broadcast over any
    leading axes, so a ``(3, 3, c, c)`` kernel holds an identity at every position.
    """

    def __init__(self, gain: float | np.ndarray | jax.Array = 1.0):
        """Creates the initializer.

        Args:
            gain: Factor on the identity (Haiku default 1).
        """
        self.gain = gain

    def __call__(self, shape: Sequence[int], dtype: Any) -> jax.Array:
        """Returns ``gain`` times the identity, as a ``shape`` array of ``dtype``.

        Raises:
            ValueError: If ``shape`` has fewer than two dimensions.
        """
        shape = tuple(shape)
        if len(shape) < 2:
            raise ValueError(
                "Identity initializer requires at least a 2D shape, "
                f"got shape {shape} of rank {len(shape)}."
            )
        eye = jnp.eye(shape[-2], shape[-1], dtype=dtype)
        if eye.shape != shape:
            eye = jnp.broadcast_to(eye, shape)
        return jax.lax.convert_element_type(self.gain, dtype) * eye
