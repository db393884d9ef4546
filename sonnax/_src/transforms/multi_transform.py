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


def _apply_structure(f: Callable[[], tuple[Callable[..., Any], Any]]) -> Any:
    """The treedef of the tree of apply functions that `f` returns.

    `f` only runs inside a transform (its modules may create parameters when built), so
    it is run once by an `init` whose transformed function just records the treedef.
    `jax.eval_shape` keeps that run abstract: no parameter is computed, so the fixed key
    is never used for real numbers.
    """
    found: list[Any] = []

    def record() -> None:
        found.append(jax.tree.structure(f()[1]))

    def init_once() -> None:
        transform.transform_with_state(record).init(jax.random.PRNGKey(0))

    jax.eval_shape(init_once)
    return found[0]


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


# Tests (for both libraries) match the phrase "use `hk.multi_transform_with_state`".
_USES_STATE = (
    "{where} of `hk.multi_transform` produced state (modules {modules}), but `hk.multi_transform` "
    "only carries parameters. For functions that call `hk.get_state` or `hk.set_state`, "
    "use `hk.multi_transform_with_state`: its init returns `(params, state)` and its apply "
    "functions take and return the state."
)


def _refuse_state(where: str, state: Any) -> None:
    if state:
        raise ValueError(_USES_STATE.format(where=where, modules=sorted(state)))


class _WithoutStateInit:
    def __init__(self, init: Callable[..., Any]):
        self._init = init

    def __call__(self, rng: Any, *args: Any, **kwargs: Any) -> MutableParams:
        params, state = self._init(rng, *args, **kwargs)
        _refuse_state("The init function", state)
        return params


class _WithoutStateApply:
    def __init__(self, apply: Callable[..., Any], where: str):
        self._apply, self._where = apply, where

    def __call__(self, params: Params, rng: Any, *args: Any, **kwargs: Any) -> Any:
        out, state = self._apply(params, None, rng, *args, **kwargs)
        _refuse_state(self._where, state)
        return out


def _without_state(path: tuple[Any, ...], apply: Callable[..., Any]) -> _WithoutStateApply:
    where = (
        f"The apply function at `{jax.tree_util.keystr(path)}`" if path else "The apply function"
    )
    return _WithoutStateApply(apply, where)


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
    apply = jax.tree_util.tree_map_with_path(_without_state, with_state.apply)
    return MultiTransformed(_WithoutStateInit(with_state.init), apply)
