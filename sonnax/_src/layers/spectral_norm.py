"""`SpectralNorm` and `SNParamsTree`: division by the largest singular value."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

import jax
import jax.numpy as jnp

from sonnax._src import data_structures, initializers
from sonnax._src.core import module, naming, state


def _l2_normalize(x: jax.Array, eps: float) -> jax.Array:
    """`x` divided by its L2 norm over all elements, kept finite by `eps`."""
    return x * jax.lax.rsqrt(jnp.sum(x * x, keepdims=True) + eps)


class SpectralNorm(module.Module):
    """Divides a matrix by an estimate of its largest singular value.

    See https://arxiv.org/abs/1802.05957. The estimate comes from `n_steps` of
    power iteration per call, starting from the vector kept in state `u0`
    (drawn from a unit normal at init, so init needs an rng); the last estimate
    is kept in state `sigma`. Inputs of rank above 2 are flattened to
    `[-1, last_dim]` for the estimate.

    >>> import sonnax as hk
    >>> import jax, jax.numpy as jnp
    >>> f = hk.transform_with_state(lambda w: hk.SpectralNorm()(w))
    >>> params, state = f.init(jax.random.PRNGKey(0), jnp.ones([4, 3]))
    >>> jax.tree.map(jnp.shape, state)
    {'spectral_norm': {'sigma': (), 'u0': (1, 3)}}
    """

    def __init__(self, eps: float = 1e-4, n_steps: int = 1, name: str | None = None):
        """Constructs the module.

        Args:
          eps: keeps the normalizations of the power iteration finite.
          n_steps: power-iteration steps per call (at least 1).
          name: the module's name.
        """
        super().__init__(name=name)
        self.eps = eps
        self.n_steps = n_steps

    def __call__(
        self,
        value: jax.Array,
        update_stats: bool = True,
        error_on_non_matrix: bool = False,
    ) -> jax.Array:
        """Returns `value` divided by its estimated largest singular value.

        Args:
          value: an array of rank 2 or more.
          update_stats: whether to store the new `u0` and `sigma` in state.
          error_on_non_matrix: refuse inputs of rank above 2 instead of
            flattening their leading dimensions.

        Returns:
          The normalized array, of `value`'s shape.

        Raises:
          ValueError: `value` has rank below 2, or above 2 with
            `error_on_non_matrix`.
        """
        value = jnp.asarray(value)
        value_shape = value.shape
        if value.ndim <= 1:
            raise ValueError(
                "Spectral normalization is not well defined for scalar or vector inputs: "
                f"module {self.module_name!r} needs an input of rank >= 2, got shape "
                f"{value_shape}."
            )
        if value.ndim > 2:
            if error_on_non_matrix:
                raise ValueError(
                    f"Input is {value.ndim}D but error_on_non_matrix is True: module "
                    f"{self.module_name!r} got shape {value_shape}; pass a matrix or "
                    "error_on_non_matrix=False to flatten the leading dimensions."
                )
            value = jnp.reshape(value, [-1, value.shape[-1]])

        u0 = state.get_state(
            "u0", [1, value.shape[-1]], value.dtype, init=initializers.RandomNormal()
        )
        for _ in range(self.n_steps):
            v0 = _l2_normalize(jnp.matmul(u0, value.T), self.eps)
            u0 = _l2_normalize(jnp.matmul(v0, value), self.eps)
        u0 = jax.lax.stop_gradient(u0)
        v0 = jax.lax.stop_gradient(v0)
        sigma = jnp.matmul(jnp.matmul(v0, value), u0.T)[0, 0]
        if update_stats:
            state.set_state("u0", u0)
            state.set_state("sigma", sigma)
        return (value / sigma).reshape(value_shape)

    @property
    def u0(self) -> jax.Array:
        """The current power-iteration vector (state `u0`)."""
        return state.get_state("u0")

    @property
    def sigma(self) -> jax.Array:
        """The last singular-value estimate (state `sigma`; created as 1 if absent)."""
        return state.get_state("sigma", shape=(), init=jnp.ones)


class SNParamsTree(module.Module):
    """A `SpectralNorm` of every array in a params tree.

    Each leaf gets its own `SpectralNorm`, named after its path (`linear/w`
    becomes `linear__w`, `~` becomes `_tilde`). Leaves must be matrices (or
    higher rank); exclude others with `ignore_regex`.

    >>> import sonnax as hk
    >>> import jax, jax.numpy as jnp
    >>> params = {"linear": {"w": jnp.ones([3, 2])}}
    >>> f = hk.transform_with_state(lambda p: hk.SNParamsTree()(p))
    >>> _, state = f.init(jax.random.PRNGKey(0), params)
    >>> jax.tree.map(jnp.shape, state)
    {'sn_params_tree/linear__w': {'sigma': (), 'u0': (1, 2)}}
    """

    def __init__(
        self,
        eps: float = 1e-4,
        n_steps: int = 1,
        ignore_regex: str = "",
        name: str | None = None,
    ):
        """Constructs the module.

        Args:
          eps: keeps the power iteration's normalizations finite.
          n_steps: power-iteration steps per call.
          ignore_regex: leaves whose `module/name` path matches (`re.match`) this
            are returned unchanged; `""` normalizes everything.
          name: the module's name.
        """
        super().__init__(name=name)
        self.eps = eps
        self.n_steps = n_steps
        self.ignore_regex = ignore_regex

    def __call__(
        self, tree: Mapping[str, Mapping[str, Any]], update_stats: bool = True
    ) -> dict[str, dict[str, Any]]:
        """Normalizes each leaf of `tree`.

        Args:
          tree: a params-like mapping `{module_name: {name: array}}`.
          update_stats: whether each `SpectralNorm`'s state is updated.

        Returns:
          A new tree of the same structure holding the normalized arrays.
        """
        normalized = {
            module_name: {
                name: self._normalize(f"{module_name}/{name}", value, update_stats)
                for name, value in bundle.items()
            }
            for module_name, bundle in tree.items()
        }
        return data_structures.to_haiku_dict(normalized)

    @naming.transparent
    def _normalize(self, path: str, value: Any, update_stats: bool) -> Any:
        if self.ignore_regex and re.match(self.ignore_regex, path):
            return value
        # Haiku maps `~` to `_tilde` here but to `_tilde_` in EMAParamsTree; both kept.
        name = path.replace("/", "__").replace("~", "_tilde")
        return SpectralNorm(self.eps, self.n_steps, name=name)(value, update_stats=update_stats)
