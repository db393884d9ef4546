"""`BatchApply`, `merge_leading_dims` and `split_leading_dim`."""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import jax
import jax.numpy as jnp

from sonnax.compat._src import base


def _is_none(x: Any) -> bool:
    return x is None


def _map(fn: Callable[[Any], Any], tree: Any) -> Any:
    # `None` is a leaf, as in dm-tree, so that it reaches `fn` (which returns it unchanged).
    return jax.tree_util.tree_map(fn, tree, is_leaf=_is_none)


class BatchApply(base.Module):
    """Applies a module to inputs whose first `num_dims` axes are merged into one.

    Array inputs of rank at least `num_dims` are reshaped to `[prod(leading), ...]`, the
    module is called, and every array output's first axis is split back to the leading
    shape of the first input.
    """

    def __init__(self, module: Callable[..., Any], num_dims: int = 2, name: str | None = None):
        """Constructs the wrapper.

        Args:
          module: the callable to apply.
          num_dims: the number of leading axes to merge.
          name: the module's name.
        """
        super().__init__(name=name)
        self.module = module
        self.num_dims = num_dims

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        """Merges, applies `module`, and splits.

        Args:
          *args: positional inputs of `module` (nests of arrays).
          **kwargs: keyword inputs of `module`.

        Returns:
          `module`'s outputs with their first axis split like the first input's leading axes.
        """
        example = first_leaf(args, kwargs)
        if example is None:
            raise ValueError("BatchApply requires at least one tensor input.")
        num_dims = self.num_dims
        args = _map(lambda x: merge_leading_dims(x, num_dims=num_dims), args)
        kwargs = _map(lambda x: merge_leading_dims(x, num_dims=num_dims), kwargs)
        outputs = self.module(*args, **kwargs)
        return _map(lambda x: split_leading_dim(x, example=example, num_dims=num_dims), outputs)


def first_leaf(args: Any, kwargs: Any) -> Any | None:
    """The first leaf of `args`, else of `kwargs`, else `None`."""
    for tree in (args, kwargs):
        leaves = jax.tree_util.tree_leaves(tree, is_leaf=_is_none)
        if leaves:
            return leaves[0]
    return None


def split_leading_dim(x: Any, example: jax.Array, num_dims: int) -> Any:
    """Reshapes `x`'s first axis into `example.shape[:num_dims]`.

    Args:
      x: an array whose first axis holds the merged axes; anything else is returned as is.
      example: an array with the unmerged leading axes.
      num_dims: the number of leading axes of `example` to use.

    Returns:
      `x` with shape `example.shape[:num_dims] + x.shape[1:]`, or `x` unchanged.
    """
    if not isinstance(x, jax.Array):
        return x
    return jnp.reshape(x, tuple(example.shape[:num_dims]) + tuple(x.shape[1:]))


def merge_leading_dims(x: Any, num_dims: int) -> Any:
    """Merges the first `num_dims` axes of `x` into one.

    Args:
      x: an array; anything else, or an array of rank below `num_dims`, is returned as is.
      num_dims: the number of leading axes to merge.

    Returns:
      `x` with shape `[prod(x.shape[:num_dims])] + x.shape[num_dims:]`, or `x` unchanged.
    """
    if not isinstance(x, jax.Array):
        return x
    if num_dims > x.ndim:
        return x
    return jnp.reshape(x, (math.prod(x.shape[:num_dims]), *x.shape[num_dims:]))
