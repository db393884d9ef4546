"""`vmap`: `jax.vmap` for functions that use modules, with params and state shared."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any, Generic, ParamSpec, TypeVar

import jax

from sonnax._src.core import frames
from sonnax._src.core import rng as rng_lib
from sonnax._src.transforms.stateful import internal_state

P = ParamSpec("P")
R = TypeVar("R")

_SPLIT_RNG_REQUIRED = (
    "Haiku now requires the split_rng argument to be passed to hk.vmap. If you have code "
    "using the old API which you cannot change, you can opt-out of this requirement by "
    "using `hk.vmap.require_split_rng = False`. Pass `split_rng=True` for a different key "
    "per example, `split_rng=False` for the same key in every example."
)
_SPLIT_RNG_AT_INIT = (
    "hk.vmap does not support setting split_rng to True during initialization because it "
    "assumes parameters are always shared along the mapped dimension: the params created "
    "here would differ per example. Consider switching the value of `split_rng` to False "
    "during initialization through `split_rng=(not hk.running_init())`."
)


class _RequiresSplitRng(Generic[P, R]):
    """Calls `vmap`, explaining a missing `split_rng` (or defaulting it to False on request).

    Attributes:
      require_split_rng: set to False to let old code omit `split_rng` (then False).
    """

    def __init__(self, function: Callable[P, R]):
        functools.update_wrapper(self, function)
        self._function = function
        self.require_split_rng = True

    def __call__(self, *args: P.args, **kwargs: P.kwargs) -> R:
        if "split_rng" in kwargs:
            return self._function(*args, **kwargs)
        if not self.require_split_rng:
            return self._function(*args, **kwargs, split_rng=False)  # type: ignore[arg-type]
        try:
            return self._function(*args, **kwargs)
        except TypeError as e:
            raise TypeError(_SPLIT_RNG_REQUIRED) from e


def _axis_size(axis: int | None, arrays: Any) -> int | None:
    if axis is None:
        return None
    shapes = [leaf.shape for leaf in jax.tree.leaves(arrays)]
    sizes = {shape[axis] for shape in shapes}
    if len(sizes) != 1:
        raise ValueError(
            f"Arrays must have the same mapped axis size, found sizes {sizes} for input "
            f"shapes {shapes} (hk.vmap, mapped axis {axis})."
        )
    return sizes.pop()


def _mapped_axis_size(args: tuple[Any, ...], in_axes: Any) -> int:
    sizes = jax.tree.map(_axis_size, in_axes, args, is_leaf=lambda node: node is None)
    # The first size found: JAX itself reports any conflict between them.
    return next(iter(dict.fromkeys(jax.tree.leaves(sizes))))


def _pure(fun: Callable[..., Any], split_rng: bool) -> Callable[..., Any]:
    @functools.wraps(fun)
    def pure_fun(args: tuple[Any, ...], carried: internal_state.InternalState) -> Any:
        if split_rng:  # Each example got one key: start a sequence from it.
            carried = carried._replace(rng=rng_lib.PRNGSequence(carried.rng).internal_state)
        with internal_state.running_with(carried):
            out = fun(*args)
            return out, internal_state.changes(carried, internal_state.capture())

    return pure_fun


@_RequiresSplitRng
def vmap(
    fun: Callable[..., Any],
    in_axes: Any = 0,
    out_axes: Any = 0,
    axis_name: str | None = None,
    axis_size: int | None = None,
    *,
    split_rng: bool,
    spmd_axis_name: Any | None = None,
) -> Callable[..., Any]:
    """`jax.vmap` for functions that use modules: params and state are not mapped.

    With `split_rng=True` each example draws from its own key (one key is taken
    from the current sequence and split); with `False` every example sees the same
    keys. Use `split_rng=(not hk.running_init())` to share params created at init.

    >>> import sonnax as hk
    >>> import jax, jax.numpy as jnp
    >>> f = hk.transform(lambda x: hk.vmap(lambda _: hk.next_rng_key(), split_rng=True)(x))
    >>> keys = f.apply({}, jax.random.PRNGKey(0), jnp.arange(2))
    >>> bool((keys[0] != keys[1]).any())
    True

    Args:
      fun: the function to map.
      in_axes: as for `jax.vmap`; at least one must not be `None`.
      out_axes: as for `jax.vmap`.
      axis_name: as for `jax.vmap`.
      axis_size: as for `jax.vmap`.
      split_rng: whether each example gets its own rng key (required, by keyword).
      spmd_axis_name: as for `jax.vmap`.

    Returns:
      The mapped function.

    Raises:
      ValueError: `in_axes` maps nothing; called outside `transform`;
        `split_rng=True` at init where params are created.
      TypeError: `split_rng` not given.
    """
    if not jax.tree.leaves(in_axes):
        raise ValueError(
            f"{getattr(fun, '__name__', fun)} must have at least one non-None value in "
            f"in_axes to use with `hk.vmap` (got in_axes={in_axes!r})."
        )
    rng_axes = 0 if split_rng else None
    carried_axes = internal_state.InternalState(None, None, None, rng_axes)
    in_axes = (tuple(in_axes) if isinstance(in_axes, list) else in_axes), carried_axes
    mapped_pure = jax.vmap(
        _pure(fun, split_rng),
        in_axes=in_axes,
        out_axes=(out_axes, carried_axes),
        axis_name=axis_name,
        axis_size=axis_size,
        spmd_axis_name=spmd_axis_name,
    )

    @functools.wraps(fun)
    def mapped_fun(*args: Any) -> Any:
        frame = frames.assert_inside("vmap")
        carried = internal_state.capture()
        if split_rng:
            keys = rng_lib.next_rng_keys(_mapped_axis_size(args, in_axes[0]))
            carried = internal_state.capture()  # The draw above moved the sequence on.
            saved_rng, carried = carried.rng, carried._replace(rng=keys)
        try:
            out, carried = mapped_pure(args, carried)
        except ValueError as e:
            if split_rng and not frame.params_frozen and "out_axes" in str(e):
                raise ValueError(_SPLIT_RNG_AT_INIT) from e
            raise
        if split_rng:
            carried = carried._replace(rng=saved_rng)
        internal_state.restore(carried)
        return out

    return mapped_fun
