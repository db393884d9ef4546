"""`ExponentialMovingAverage` and `EMAParamsTree`: decaying averages kept in state."""

from __future__ import annotations

import re
import warnings
from collections.abc import Mapping, Sequence
from typing import Any

import jax
import jax.numpy as jnp

from sonnax._src import data_structures, initializers
from sonnax._src.core import module, naming, state


class ExponentialMovingAverage(module.Module):
    """An exponential moving average of the values it is called with.

    Each call updates `hidden = decay * hidden + (1 - decay) * value`. With
    `zero_debias` (Adam's correction, https://arxiv.org/abs/1412.6980) the
    average is `hidden / (1 - decay ** counter)`, so early values are not pulled
    towards zero. With `warmup_length`, the decay is 0 for that many calls, so the
    average starts from the value seen at the end of the warm-up. State names are
    Haiku's: `counter` (int32), `hidden` and `average`.

    >>> import sonnax as hk
    >>> import jax, jax.numpy as jnp
    >>> f = hk.transform_with_state(lambda x: hk.ExponentialMovingAverage(0.9)(x))
    >>> params, state = f.init(None, jnp.ones([3]))
    >>> jax.tree.map(jnp.shape, state)
    {'exponential_moving_average': {'average': (3,), 'counter': (), 'hidden': (3,)}}
    """

    def __init__(
        self,
        decay: float | jax.Array,
        zero_debias: bool = True,
        warmup_length: int = 0,
        name: str | None = None,
    ):
        """Constructs the moving average.

        Args:
          decay: the decay, in `[0, 1)`; close to 1 averages over many calls.
          zero_debias: whether to divide out the bias towards the zero start.
          warmup_length: how many calls (>= 0) use decay 0 before averaging starts;
            needs `zero_debias=False`.
          name: the module's name.

        Raises:
          ValueError: `warmup_length` is negative, or non-zero with `zero_debias`.
        """
        super().__init__(name=name)
        self.decay = decay
        self.warmup_length = warmup_length
        self.zero_debias = zero_debias
        if warmup_length < 0:
            raise ValueError(
                f"`warmup_length` is {warmup_length}, but should be non-negative: module "
                f"{self.module_name!r} expects warmup_length >= 0."
            )
        if warmup_length and zero_debias:
            raise ValueError(
                "Zero debiasing does not make sense when warming up the value of the average "
                f"to an initial value: module {self.module_name!r} got "
                f"warmup_length={warmup_length} with zero_debias=True. Set zero_debias=False "
                "if setting warmup_length to a non-zero value."
            )

    def initialize(self, shape: Sequence[int] | Any, dtype: Any = jnp.float32) -> None:
        """Creates `hidden` and `average` as zeros, unless they already exist.

        Args:
          shape: the average's shape (passing an array here is deprecated: use
            `initialize(value.shape, value.dtype)`).
          dtype: the average's dtype.
        """
        if hasattr(shape, "shape"):
            warnings.warn(
                "Passing a value into initialize instead of a shape/dtype is deprecated. "
                f"Update your code ({self.module_name!r}) to use: "
                "`ema.initialize(v.shape, v.dtype)`.",
                category=DeprecationWarning,
                stacklevel=2,
            )
            shape, dtype = shape.shape, shape.dtype
        state.get_state("hidden", shape, dtype, init=jnp.zeros)
        state.get_state("average", shape, dtype, init=jnp.zeros)

    def __call__(self, value: float | jax.Array, update_stats: bool = True) -> jax.Array:
        """Folds `value` into the average and returns the new average.

        Args:
          value: the new value (any shape; fixed across calls).
          update_stats: whether to store the new counter, hidden value and average;
            if `False` the state is left as it was.

        Returns:
          The updated average, of `value`'s shape and dtype.
        """
        if not isinstance(value, jax.Array):
            value = jnp.asarray(value)
        start = initializers.Constant(-self.warmup_length)
        counter = state.get_state("counter", (), jnp.int32, init=start) + 1
        decay = jax.lax.convert_element_type(self.decay, value.dtype)
        if self.warmup_length > 0:
            decay = jnp.where(counter <= 0, jnp.zeros([], value.dtype), decay)
        one = jnp.ones([], value.dtype)
        hidden = state.get_state("hidden", value.shape, value.dtype, init=jnp.zeros)
        hidden = hidden * decay + value * (one - decay)
        average = hidden
        if self.zero_debias:
            average = average / (one - jnp.power(decay, counter))
        if update_stats:
            state.set_state("counter", counter)
            state.set_state("hidden", hidden)
            state.set_state("average", average)
        return average

    @property
    def average(self) -> jax.Array:
        """The current average (state `average`)."""
        return state.get_state("average")


class EMAParamsTree(module.Module):
    """An `ExponentialMovingAverage` of every array in a params tree.

    Call it with a network's params each step; it returns the same tree with
    each leaf replaced by its average. Each leaf gets its own moving average
    named after its path (`linear/w` becomes `linear__w`, `~` becomes `_tilde_`).

    >>> import sonnax as hk
    >>> import jax, jax.numpy as jnp
    >>> params = {"linear": {"b": jnp.zeros([2]), "w": jnp.ones([3, 2])}}
    >>> f = hk.transform_with_state(lambda p: hk.EMAParamsTree(0.9)(p))
    >>> _, state = f.init(None, params)
    >>> jax.tree.map(jnp.shape, state)["ema_params_tree/linear__w"]
    {'average': (3, 2), 'counter': (), 'hidden': (3, 2)}
    """

    def __init__(
        self,
        decay: float | jax.Array,
        zero_debias: bool = True,
        warmup_length: int = 0,
        ignore_regex: str = "",
        name: str | None = None,
    ):
        """Constructs the tree of moving averages.

        Args:
          decay: the decay of each average (see `ExponentialMovingAverage`).
          zero_debias: whether each average is zero-debiased.
          warmup_length: calls before averaging starts (needs `zero_debias=False`).
          ignore_regex: leaves whose `module/name` path matches (`re.match`) this
            are returned unaveraged; `""` averages everything.
          name: the module's name.
        """
        super().__init__(name=name)
        self.decay = decay
        self.zero_debias = zero_debias
        self.warmup_length = warmup_length
        self.ignore_regex = ignore_regex

    def __call__(
        self, tree: Mapping[str, Mapping[str, jax.Array]], update_stats: bool = True
    ) -> dict[str, dict[str, jax.Array]]:
        """Averages each leaf of `tree`.

        Args:
          tree: a params-like mapping `{module_name: {name: array}}`.
          update_stats: whether the averages' state is updated.

        Returns:
          A new tree of the same structure holding the averages.
        """
        averaged = {
            module_name: {
                name: self._average(f"{module_name}/{name}", value, update_stats)
                for name, value in bundle.items()
            }
            for module_name, bundle in tree.items()
        }
        return data_structures.to_haiku_dict(averaged)

    @naming.transparent
    def _average(self, path: str, value: jax.Array, update_stats: bool) -> jax.Array:
        if self.ignore_regex and re.match(self.ignore_regex, path):
            return value
        ema = ExponentialMovingAverage(
            self.decay,
            self.zero_debias,
            self.warmup_length,
            name=path.replace("/", "__").replace("~", "_tilde_"),
        )
        return ema(value, update_stats=update_stats)
