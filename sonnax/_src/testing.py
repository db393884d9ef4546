"""`transform_and_run`: transform a function and run its init (and apply) in one call."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

import jax

from sonnax._src.core import transform


def transform_and_run(
    f: Callable[..., Any] | None = None,
    seed: int | None = 42,
    run_apply: bool = True,
    jax_transform: Callable[[Callable[..., Any]], Callable[..., Any]] | None = None,
    *,
    map_rng: Callable[[Any], Any] | None = None,
) -> Any:
    """Transforms `f` with state and runs `init`, then `apply`, on each call.

    Handy for tests and notebooks: module code runs as if inside a transform.
    Usable as `@transform_and_run` or `@transform_and_run(seed=..., ...)`.

    >>> import sonnax as hk
    >>> import jax.numpy as jnp
    >>> print(hk.testing.transform_and_run(lambda x: hk.Bias()(x))(jnp.ones([1, 1])))
    [[1.]]

    Args:
      f: the function; its arguments are closed over, not traced.
      seed: init uses `PRNGKey(seed)` and apply `PRNGKey(seed + 1)`; `None`
        runs both without an rng.
      run_apply: also run `apply` (otherwise the call returns `None`).
      jax_transform: applied to both `init` and `apply` (e.g. `jax.jit`).
      map_rng: applied to both keys, e.g. to give each `pmap` device a key.

    Returns:
      A function returning `apply`'s output (`None` if `run_apply` is false),
      or, when `f` is `None`, a decorator.
    """
    if f is None:
        return functools.partial(
            transform_and_run,
            seed=seed,
            run_apply=run_apply,
            jax_transform=jax_transform,
            map_rng=map_rng,
        )
    function = f

    @functools.wraps(function)
    def run(*args: Any, **kwargs: Any) -> Any:
        init_rng: Any = None
        apply_rng: Any = None
        if seed is not None:
            init_rng, apply_rng = jax.random.PRNGKey(seed), jax.random.PRNGKey(seed + 1)
            if map_rng is not None:
                init_rng, apply_rng = map_rng(init_rng), map_rng(apply_rng)
        init, apply = transform.transform_with_state(lambda: function(*args, **kwargs))
        if jax_transform is not None:
            init, apply = jax_transform(init), jax_transform(apply)
        params, state = init(init_rng)
        if run_apply:
            out, _ = apply(params, state, apply_rng)
            return out
        return None

    return run
