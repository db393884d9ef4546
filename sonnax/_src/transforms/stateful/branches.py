"""`cond` and `switch`: `jax.lax.cond`/`switch` with params, state and rng carried through."""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable, Sequence
from typing import Any

import jax

from sonnax._src.core import frames
from sonnax._src.transforms.stateful import internal_state

_FIVE_ARGUMENT_FORM = inspect.Signature(
    [
        inspect.Parameter(name, inspect.Parameter.POSITIONAL_OR_KEYWORD)
        for name in ("pred", "true_operand", "true_fun", "false_operand", "false_fun")
    ]
)
_OPERANDS_FORM = inspect.signature(jax.lax.cond)

BRANCH_PARAMS_HINT = """\
During init, both branches of `hk.{name}` created different params or state, which JAX \
cannot merge. Create every module's params unconditionally at init time and branch only at \
apply, for instance:

    if hk.running_init():
      # Init: run every branch, so that each module creates its params.
      outs = [branch(x) for branch in branches]
      out = outs[0]
    else:
      out = hk.switch(index, branches, x)   # or hk.cond(pred, true_fn, false_fn, x)

JAX's message: {jax_message}"""


def _stateful_branch(branch: Callable[..., Any]) -> Callable[[Any], Any]:
    @functools.wraps(branch)
    def pure_branch(operand: tuple[internal_state.InternalState, tuple[Any, ...]]) -> Any:
        carried, operands = operand
        with internal_state.running_with(carried):
            out = branch(*operands)
            internal_state.top_up_rng()
            return out, internal_state.capture()

    return pure_branch


def _pure_branches(branches: Sequence[Callable[..., Any]]) -> tuple[Callable[[Any], Any], ...]:
    # The same function given twice gets the same wrapper, as in Haiku.
    wrapped: dict[int, Callable[[Any], Any]] = {}
    for branch in branches:
        if id(branch) not in wrapped:
            wrapped[id(branch)] = _stateful_branch(branch)
    return tuple(wrapped[id(branch)] for branch in branches)


def _run(
    name: str,
    select: Callable[..., Any],
    branches: Sequence[Callable[..., Any]],
    operands: tuple[Any, ...],
) -> Any:
    internal_state.top_up_rng()
    carried = internal_state.capture()
    try:
        out, carried = select(_pure_branches(branches), (carried, operands))
    except TypeError as e:
        structure_error = "same type structure" in str(e) or "same pytree structure" in str(e)
        if structure_error and not frames.current().params_frozen:
            raise TypeError(BRANCH_PARAMS_HINT.format(name=name, jax_message=e)) from e
        raise
    internal_state.restore(carried)
    return out


def _parse_cond(args: tuple[Any, ...], kwargs: dict[str, Any]) -> tuple[Any, tuple, tuple]:
    """`(pred, (true_fun, false_fun), operands)` from either calling form of `cond`."""
    try:
        bound = _FIVE_ARGUMENT_FORM.bind(*args, **kwargs)
        five = bound.arguments
        if callable(five["true_fun"]) and callable(five["false_fun"]):
            true_fun, false_fun = five["true_fun"], five["false_fun"]
            branches = (lambda both: true_fun(both[0]), lambda both: false_fun(both[1]))
            return five["pred"], branches, ((five["true_operand"], five["false_operand"]),)
    except TypeError:
        pass
    bound = _OPERANDS_FORM.bind(*args, **kwargs)
    operands = bound.arguments.get("operands", ())
    if "operand" in bound.arguments:
        if operands:
            raise ValueError(
                "When the operand keyword argument is used you cannot also pass operands "
                f"positionally: hk.cond got operand={bound.arguments['operand']} and "
                f"*operands={tuple(operands)}; pass them one way."
            )
        operands = (bound.arguments["operand"],)
    return (
        bound.arguments["pred"],
        (bound.arguments["true_fun"], bound.arguments["false_fun"]),
        tuple(operands),
    )


def cond(*args: Any, **kwargs: Any) -> Any:
    """`jax.lax.cond` for functions that use modules, params, state or rng.

    Called as `cond(pred, true_fun, false_fun, *operands)` (or with `operand=`), or
    in the older form `cond(pred, true_operand, true_fun, false_operand, false_fun)`.
    State set and keys drawn in the branch taken are kept. At init, create params
    outside the cond (e.g. by calling both branches when `hk.running_init()`).

    >>> import sonnax as hk
    >>> import jax, jax.numpy as jnp
    >>> def f(x):
    ...     count = hk.get_state("count", [], jnp.int32, init=jnp.zeros)
    ...     def bump(x):
    ...         hk.set_state("count", count + 1)
    ...         return x + 1
    ...     return hk.cond(x > 0, bump, lambda x: x, x)
    >>> f = hk.transform_with_state(f)
    >>> params, state = f.init(None, 1.0)
    >>> f.apply(params, state, None, 1.0)[1]
    {'~': {'count': Array(1, dtype=int32)}}

    Args:
      *args: `pred, true_fun, false_fun, *operands` as for `jax.lax.cond`.
      **kwargs: the same arguments by keyword (including `operand`).

    Returns:
      The output of the branch taken.

    Raises:
      ValueError: outside `transform`, or operands given both ways.
      TypeError: at init, the branches created different params or state.
    """
    internal_state.assert_transformed("cond", "jax.lax.cond")
    pred, branches, operands = _parse_cond(args, kwargs)

    def select(pure_branches: tuple[Callable[[Any], Any], ...], operand: Any) -> Any:
        true_fun, false_fun = pure_branches
        return jax.lax.cond(pred, true_fun, false_fun, operand=operand)

    return _run("cond", select, branches, operands)


def switch(index: Any, branches: Sequence[Callable[..., Any]], *operands: Any) -> Any:
    """`jax.lax.switch` for functions that use modules, params, state or rng.

    >>> import sonnax as hk
    >>> import jax.numpy as jnp
    >>> def f(i, x):
    ...     return hk.switch(i, [lambda x: x, lambda x: 2 * x, lambda x: x + 5], x)
    >>> hk.transform(f).apply({}, None, 2, jnp.ones([2]))
    Array([6., 6.], dtype=float32)

    Args:
      index: integer scalar choosing the branch (clamped to the valid range).
      branches: the functions to choose from.
      *operands: the arguments passed to the chosen branch.

    Returns:
      The output of the chosen branch.

    Raises:
      ValueError: outside `transform`.
      TypeError: at init, the branches created different params or state.
    """
    internal_state.assert_transformed("switch", "jax.lax.switch")

    def select(pure_branches: tuple[Callable[[Any], Any], ...], operand: Any) -> Any:
        return jax.lax.switch(index, pure_branches, operand)

    return _run("switch", select, tuple(branches), operands)
