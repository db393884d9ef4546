"""`multi_transform`: one set of parameters shared by several apply functions."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, NamedTuple

import jax

from sonnax._src.core import transform
from sonnax._src.typing import MutableParams, MutableState, Params


class MultiTransformedWithState(NamedTuple):
    """`init(rng, *args) -> (params, state)` and a pytree of `apply` functions."""

    init: Callable[..., tuple[MutableParams, MutableState]]
    apply: Any


class MultiTransformed(NamedTuple):
    """`init(rng, *args) -> params` and a pytree of `apply` functions."""

    init: Callable[..., MutableParams]
    apply: Any


class _Template:
    """Runs the template function returned by `f()`; used as init."""

    def __init__(self, f: Callable[[], tuple[Callable[..., Any], Any]]):
        self._f = f

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        return self._f()[0](*args, **kwargs)


class _Leaf:
    """Runs the i-th leaf of the apply-function tree returned by `f()`."""

    def __init__(self, f: Callable[[], tuple[Callable[..., Any], Any]], index: int):
        self._f, self._index = f, index

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        return jax.tree.leaves(self._f()[1])[self._index](*args, **kwargs)


class _Static:
    """A pytree with no leaves, carrying a Python value out of `jax.eval_shape`."""

    def __init__(self, value: Any):
        self.value = value


jax.tree_util.register_pytree_node(_Static, lambda s: ((), s.value), lambda v, _: _Static(v))


def _apply_structure(f: Callable[[], tuple[Callable[..., Any], Any]]) -> Any:
    # The tree of apply functions is only known by running `f` inside a transform;
    # eval_shape keeps that run abstract (no parameters are computed).
    def probe() -> _Static:
        key = jax.random.PRNGKey(0)
        fns = transform.transform_with_state(lambda: f()[1])
        apply_fns, _ = fns.apply(*fns.init(key), key)
        return _Static(jax.tree.structure(apply_fns))

    return jax.eval_shape(probe).value


def multi_transform_with_state(
    f: Callable[[], tuple[Callable[..., Any], Any]],
) -> MultiTransformedWithState:
    """Transforms a function returning `(template_fn, tree_of_apply_fns)`.

    `init` runs `template_fn` (which should create every parameter); each apply
    function in the tree becomes `apply(params, state, rng, *args)`.

    Args:
      f: a function of no arguments, building modules and returning the pair.

    Returns:
      `MultiTransformedWithState(init, apply)`, with `apply` shaped like the tree.
    """
    init = transform.transform_with_state(_Template(f)).init
    structure = _apply_structure(f)
    leaves = [
        transform.transform_with_state(_Leaf(f, i)).apply for i in range(structure.num_leaves)
    ]
    return MultiTransformedWithState(init, jax.tree.unflatten(structure, leaves))


class _WithoutStateInit:
    def __init__(self, init: Callable[..., Any]):
        self._init = init

    def __call__(self, rng: Any, *args: Any, **kwargs: Any) -> MutableParams:
        params, state = self._init(rng, *args, **kwargs)
        if state:
            raise ValueError(
                "If your transformed function uses `hk.{get,set}_state` then use "
                "`hk.multi_transform_with_state`."
            )
        return params


class _WithoutStateApply:
    def __init__(self, apply: Callable[..., Any]):
        self._apply = apply

    def __call__(self, params: Params, rng: Any, *args: Any, **kwargs: Any) -> Any:
        out, state = self._apply(params, None, rng, *args, **kwargs)
        if state:
            raise ValueError(
                "If your transformed function uses `hk.{get,set}_state` then use "
                "`hk.multi_transform_with_state`."
            )
        return out


def multi_transform(f: Callable[[], tuple[Callable[..., Any], Any]]) -> MultiTransformed:
    """Like `multi_transform_with_state`, for functions that use no state.

    >>> import sonnax as hk
    >>> import jax, jax.numpy as jnp
    >>> def f():
    ...     encoder, decoder = hk.Linear(2, name="encoder"), hk.Linear(3, name="decoder")
    ...     return (lambda x: decoder(encoder(x))), (encoder, decoder)
    >>> model = hk.multi_transform(f)
    >>> params = model.init(jax.random.PRNGKey(0), jnp.ones([1, 3]))
    >>> encode, decode = model.apply
    >>> encode(params, None, jnp.ones([1, 3])).shape
    (1, 2)

    Args:
      f: a function of no arguments returning `(template_fn, tree_of_apply_fns)`.

    Returns:
      `MultiTransformed(init, apply)`.
    """
    with_state = multi_transform_with_state(f)
    apply = jax.tree.map(_WithoutStateApply, with_state.apply)
    return MultiTransformed(_WithoutStateInit(with_state.init), apply)
