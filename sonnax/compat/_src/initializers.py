"""Sonnet 2's initializers: `init(shape, dtype)` with Sonnet's names, arguments and defaults.

They differ from `sonnax.initializers` where Sonnet differs from Haiku: the argument order
(`mean` before `stddev`), a `seed` argument, `Orthogonal` and `Identity` semantics, and the
fan computation. Random initializers draw one key with `next_rng_key()` per call, or derive
it from `seed` when one is given (the same seed then gives the same values, as in TF).

>>> import jax, jax.numpy as jnp
>>> from sonnax import compat as snt
>>> import sonnax
>>> f = sonnax.transform(lambda: snt.initializers.TruncatedNormal(stddev=0.1)([3, 2], jnp.float32))
>>> f.apply({}, jax.random.PRNGKey(0)).shape
(3, 2)
"""

from __future__ import annotations

import abc
import math
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np

from sonnax._src.core import rng

# scipy.stats.truncnorm.std(a=-2, b=2): the stddev of a unit normal truncated at two sigma.
_TRUNCATED_UNIT_NORMAL_STDDEV = 0.87962566103423978
_MODES = ("fan_in", "fan_out", "fan_avg")
_DISTRIBUTIONS = ("uniform", "truncated_normal", "normal")


class Initializer(abc.ABC):
    """Base class: an initializer is called with a shape and a dtype and returns an array."""

    @abc.abstractmethod
    def __call__(self, shape: Sequence[int], dtype: Any) -> jax.Array:
        """Returns an array of the given shape and dtype."""


def _floating(dtype: Any) -> Any:
    dtype = jnp.dtype(dtype)
    if not jnp.issubdtype(dtype, jnp.floating):
        raise ValueError(f"Expected floating point type, got {dtype}")
    return dtype


def _numerical(dtype: Any) -> Any:
    dtype = jnp.dtype(dtype)
    if not (jnp.issubdtype(dtype, jnp.floating) or jnp.issubdtype(dtype, jnp.integer)):
        raise ValueError(f"Expected integer or floating point type, got {dtype}")
    return dtype


def _key(seed: int | None) -> jax.Array:
    return rng.next_rng_key() if seed is None else jax.random.PRNGKey(seed)


class Zeros(Initializer):
    """All zeros."""

    def __call__(self, shape: Sequence[int], dtype: Any) -> jax.Array:
        return jnp.zeros(shape, _numerical(dtype))


class Ones(Initializer):
    """All ones."""

    def __call__(self, shape: Sequence[int], dtype: Any) -> jax.Array:
        return jnp.ones(shape, _numerical(dtype))


class Constant(Initializer):
    """Every value equal to a scalar `value`."""

    def __init__(self, value: float | int):
        """Creates the initializer.

        Args:
          value: a Python or NumPy scalar.
        """
        if not np.isscalar(value):
            raise TypeError(f"Invalid type for value: {type(value)} (expected scalar).")
        self.value = value

    def __call__(self, shape: Sequence[int], dtype: Any) -> jax.Array:
        return jnp.full(shape, jnp.asarray(self.value), _numerical(dtype))


class RandomUniform(Initializer):
    """Uniform on `[minval, maxval)`."""

    def __init__(self, minval: float = 0, maxval: float = 1, seed: int | None = None):
        """Creates the initializer.

        Args:
          minval: lower bound (inclusive).
          maxval: upper bound (exclusive).
          seed: if given, the values depend only on it, not on the transform's rng.
        """
        self.minval = minval
        self.maxval = maxval
        self.seed = seed

    def __call__(self, shape: Sequence[int], dtype: Any) -> jax.Array:
        dtype = _numerical(dtype)
        key = _key(self.seed)
        if jnp.issubdtype(dtype, jnp.integer):
            return jax.random.randint(key, shape, self.minval, self.maxval, dtype)
        return jax.random.uniform(key, shape, dtype, self.minval, self.maxval)


class RandomNormal(Initializer):
    """Normal with the given `mean` and `stddev`."""

    def __init__(self, mean: float = 0.0, stddev: float = 1.0, seed: int | None = None):
        """Creates the initializer.

        Args:
          mean: the mean.
          stddev: the standard deviation.
          seed: if given, the values depend only on it, not on the transform's rng.
        """
        self.mean = mean
        self.stddev = stddev
        self.seed = seed

    def __call__(self, shape: Sequence[int], dtype: Any) -> jax.Array:
        dtype = _floating(dtype)
        sample = jax.random.normal(_key(self.seed), shape, dtype)
        return (sample * self.stddev + self.mean).astype(dtype)


class TruncatedNormal(Initializer):
    """Normal with `mean` and `stddev`, redrawn beyond two `stddev`s, as TF's truncated normal.

    As in TF (and Haiku's `TruncatedNormal`), `stddev` is that of the untruncated
    normal: the values' standard deviation is about `0.88 * stddev`.
    """

    def __init__(self, mean: float = 0.0, stddev: float = 1.0, seed: int | None = None):
        """Creates the initializer.

        Args:
          mean: the mean.
          stddev: the standard deviation before truncation.
          seed: if given, the values depend only on it, not on the transform's rng.
        """
        self.mean = mean
        self.stddev = stddev
        self.seed = seed

    def __call__(self, shape: Sequence[int], dtype: Any) -> jax.Array:
        dtype = _floating(dtype)
        unit = jax.random.truncated_normal(_key(self.seed), -2.0, 2.0, shape, dtype)
        return (unit * self.stddev + self.mean).astype(dtype)


class Identity(Initializer):
    """`gain` times the identity matrix (or a batch of them, over the leading axes)."""

    def __init__(self, gain: float = 1.0):
        """Creates the initializer.

        Args:
          gain: the factor multiplying the identity.
        """
        self.gain = gain

    def __call__(self, shape: Sequence[int], dtype: Any) -> jax.Array:
        dtype = _numerical(dtype)
        if len(shape) < 2:
            raise ValueError("The tensor to initialize must be at least two-dimensional")
        eye = jnp.eye(shape[-2], shape[-1], dtype=dtype)
        return (self.gain * jnp.broadcast_to(eye, tuple(shape))).astype(dtype)


class Orthogonal(Initializer):
    """An orthogonal matrix from the QR decomposition of a normal sample, times `gain`.

    A shape `[..., n]` is filled as a `[prod(...), n]` matrix with orthonormal columns
    (or rows, if it has fewer rows than columns), then reshaped.
    """

    def __init__(self, gain: float = 1.0, seed: int | None = None):
        """Creates the initializer.

        Args:
          gain: the factor multiplying the matrix.
          seed: if given, the values depend only on it, not on the transform's rng.
        """
        self.gain = gain
        self.seed = seed

    def __call__(self, shape: Sequence[int], dtype: Any) -> jax.Array:
        dtype = _floating(dtype)
        if len(shape) < 2:
            raise ValueError("The tensor to initialize must be at least two-dimensional")
        rows, cols = math.prod(shape[:-1]), shape[-1]
        sample = jax.random.normal(_key(self.seed), (max(rows, cols), min(rows, cols)), dtype)
        q, r = jnp.linalg.qr(sample)
        q = q * jnp.sign(jnp.diagonal(r))
        if rows < cols:
            q = q.T
        return (self.gain * q.reshape(shape)).astype(dtype)


def compute_fans(shape: Sequence[int]) -> tuple[float, float]:
    """`(fan_in, fan_out)` of a weight shape, as Sonnet computes them.

    Args:
      shape: `[]`, `[n]`, `[in, out]` or a kernel `[*spatial, in, out]`.

    Returns:
      The number of input and output units (times the receptive field for kernels).
    """
    if not shape:
        return 1.0, 1.0
    if len(shape) == 1:
        return float(shape[0]), float(shape[0])
    receptive_field = float(math.prod(shape[:-2]))
    return shape[-2] * receptive_field, shape[-1] * receptive_field


class VarianceScaling(Initializer):
    """Values with variance `scale / n`, `n` the fan in, fan out or their mean.

    `distribution` is `"truncated_normal"` (stddev corrected for the truncation),
    `"normal"` or `"uniform"` (on `[-sqrt(3 scale / n), sqrt(3 scale / n)]`).
    """

    def __init__(
        self,
        scale: float = 1.0,
        mode: str = "fan_in",
        distribution: str = "truncated_normal",
        seed: int | None = None,
    ):
        """Creates the initializer.

        Args:
          scale: positive scaling factor.
          mode: one of `fan_in`, `fan_out`, `fan_avg`.
          distribution: one of `truncated_normal`, `normal`, `uniform`.
          seed: if given, the values depend only on it, not on the transform's rng.
        """
        if scale <= 0.0:
            raise ValueError(f"`scale` must be positive float, got {scale}.")
        if mode not in _MODES:
            raise ValueError(f"Invalid `mode` argument: {mode!r}; expected one of {_MODES}.")
        distribution = distribution.lower()
        if distribution not in _DISTRIBUTIONS:
            raise ValueError(
                f"Invalid `distribution` argument: {distribution!r}; "
                f"expected one of {_DISTRIBUTIONS}."
            )
        self.scale = scale
        self.mode = mode
        self.distribution = distribution
        self.seed = seed

    def __call__(self, shape: Sequence[int], dtype: Any) -> jax.Array:
        dtype = _floating(dtype)
        fan_in, fan_out = compute_fans(shape)
        fan = {"fan_in": fan_in, "fan_out": fan_out, "fan_avg": (fan_in + fan_out) / 2.0}
        scale = self.scale / max(1.0, fan[self.mode])
        key = _key(self.seed)
        if self.distribution == "truncated_normal":
            stddev = math.sqrt(scale) / _TRUNCATED_UNIT_NORMAL_STDDEV
            unit = jax.random.truncated_normal(key, -2.0, 2.0, shape, dtype)
            return (unit * stddev).astype(dtype)
        if self.distribution == "normal":
            return (jax.random.normal(key, shape, dtype) * math.sqrt(scale)).astype(dtype)
        limit = math.sqrt(3.0 * scale)
        return jax.random.uniform(key, shape, dtype, -limit, limit)


def check_initializers(
    initializers: Mapping[str, Initializer] | None, expected_keys: Iterable[str]
) -> Mapping[str, Initializer]:
    """Checks that a dict of initializers names only `expected_keys`.

    Args:
      initializers: e.g. `{"w": ..., "b": ...}`, or `None`.
      expected_keys: the keys allowed.

    Returns:
      `initializers`, or `{}` for `None`.
    """
    if initializers is None:
        return {}
    if not isinstance(initializers, Mapping):
        raise TypeError("Initializers must be a dict-like object.")
    extra = sorted(frozenset(initializers) - frozenset(expected_keys))
    if extra:
        raise KeyError(
            f"Invalid initializer keys {', '.join(map(repr, extra))}, initializers can only "
            f"be provided for {', '.join(map(repr, expected_keys))}"
        )
    return initializers


def fan_in_truncated_normal(fan_in: int) -> TruncatedNormal:
    """Sonnet's default weight initializer: `TruncatedNormal(stddev=1 / sqrt(fan_in))`.

    Args:
      fan_in: the number of inputs per output (times the kernel's receptive field).

    Returns:
      The initializer.
    """
    return TruncatedNormal(stddev=1.0 / math.sqrt(fan_in))


def bias_init(with_bias: bool, b_init: Initializer | None, module: Any) -> Initializer | None:
    """The bias initializer of a layer: `b_init`, zeros by default, `None` without a bias.

    Raises:
      ValueError: `b_init` is given with `with_bias=False`.
    """
    if with_bias:
        return b_init if b_init is not None else Zeros()
    if b_init is not None:
        name = getattr(module, "module_name", type(module).__name__)
        raise ValueError(
            f"When not using a bias the b_init must be None ({name!r} got with_bias=False "
            f"and b_init={b_init!r}): drop `b_init`, or set `with_bias=True`."
        )
    return None
