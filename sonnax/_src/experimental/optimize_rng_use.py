"""`optimize_rng_use`: split all the keys a function needs in one `jax.random.split`."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any, TypeVar

import jax

from sonnax._src.core import frames
from sonnax._src.core import rng as rng_lib

T = TypeVar("T")


def _count_next_rng_key_calls(fun: Callable[..., Any], *args: Any, **kwargs: Any) -> int:
    """How many times `fun` calls `next_rng_key`, found by abstract evaluation.

    `fun` runs in a fresh context holding copies of the current params (frozen,
    if there are any), initial state and rng, as Haiku does.
    """
    frame = frames.current()
    params = frames.copy_tree(frame.params) or None
    state = frames.copy_tree(frame.initial_state) or None
    sequence = frame.rng_stack[-1]
    rng_state = None if sequence is None else sequence.internal_state

    def pure(params: Any, state: Any, rng_state: Any, *args: Any, **kwargs: Any) -> Any:
        rng = None if rng_state is None else rng_lib.PRNGSequence(rng_state)
        context = frames.Context(dict(params or {}), dict(state or {}), rng, params is not None)
        with context:
            return fun(*args, **kwargs)

    counter = [0]
    rng_lib.next_rng_key_counters.active.append(counter)
    try:
        jax.eval_shape(pure, params, state, rng_state, *args, **kwargs)
    finally:
        rng_lib.next_rng_key_counters.active.remove(counter)
    return counter[0]


def optimize_rng_use(fun: Callable[..., T]) -> Callable[..., T]:
    """Wraps `fun` so that the keys it takes with `next_rng_key` come from one split.

    `fun` is first evaluated abstractly (no FLOPs) to count its `next_rng_key`
    calls; that many keys are then reserved at once before running it. This can
    shorten compilation of large models; the keys differ from an unwrapped run.

    >>> import sonnax as hk
    >>> import jax, jax.numpy as jnp
    >>> f = hk.transform(hk.experimental.optimize_rng_use(lambda x: hk.nets.MLP([3, 2])(x)))
    >>> params = f.init(jax.random.PRNGKey(42), jnp.ones([1, 1]))
    >>> jax.tree.map(jnp.shape, params)["mlp/~/linear_1"]
    {'b': (2,), 'w': (3, 2)}

    Args:
      fun: a function to be called inside a transform.

    Returns:
      `fun`, with its keys split in a single `jax.random.split`.
    """

    @functools.wraps(fun)
    def wrapper(*args: Any, **kwargs: Any) -> T:
        frame = frames.assert_inside("optimize_rng_use")
        count = _count_next_rng_key_calls(fun, *args, **kwargs)
        if count:
            sequence = frame.rng_stack[-1]
            assert sequence is not None, "next_rng_key succeeded, so there is an rng"
            sequence.reserve(count)
        return fun(*args, **kwargs)

    return wrapper
