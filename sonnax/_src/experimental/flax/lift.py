"""`lift`: use a linen module inside a sonnax transformed function."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import flax.errors
import flax.linen as nn

from sonnax._src.core import rng, transform
from sonnax._src.experimental.flax import variables
from sonnax._src.transforms import lift as lift_lib


def _as_transformed(mod: nn.Module) -> transform.TransformedWithState:
    """`mod` as a sonnax `TransformedWithState`: `params` are params, other collections state."""

    def init(key: Any, *args: Any, **kwargs: Any) -> tuple[Any, Any]:
        collections = dict(mod.init(key, *args, **kwargs))
        params = variables.flatten_flax_to_haiku(collections.pop("params", {}))
        return params, variables.flax_variables_to_state(collections)

    def apply(params: Any, state: Any, key: Any, *args: Any, **kwargs: Any) -> tuple[Any, Any]:
        if key is not None:
            raise ValueError(
                "RNGs passed in apply must be passed in the rngs keyword argument of the "
                f"lifted Flax module ({type(mod).__name__}), e.g. rngs={{'dropout': key}}."
            )
        collections = variables.state_to_flax_variables(state)
        mutable = set(collections)
        collections["params"] = variables.params_to_flax(params)
        out, updated = mod.apply(collections, *args, **kwargs, mutable=mutable)
        return out, variables.flax_variables_to_state(updated)

    return transform.TransformedWithState(init, apply)


def _init_rngs(kwargs: dict[str, Any]) -> Any:
    """The rng(s) for the Flax init: `rngs=` if given (plus a `params` key), else the next key."""
    if "rngs" not in kwargs:
        return rng.maybe_next_rng_key()
    rngs = kwargs.pop("rngs")
    if not isinstance(rngs, Mapping):
        raise flax.errors.InvalidRngError(
            "rngs should be a dictionary mapping strings to `jax.PRNGKey`; the lifted Flax "
            f"module got {type(rngs).__name__}."
        )
    rngs = dict(rngs)
    if "params" not in rngs:
        key = rng.maybe_next_rng_key()
        if key is not None:
            rngs["params"] = key
    return rngs


def lift(mod: nn.Module, *, name: str) -> Callable[..., Any]:
    """Lets a linen module be called inside a sonnax transform, like a sonnax module.

    Its variables join the outer params (Flax `params`) and state (other
    collections) under `name`. In init the Flax `params` rng is the next sonnax
    key; pass other rngs as `rngs={...}`.

    >>> import sonnax as hk
    >>> import flax.linen as nn
    >>> import jax, jax.numpy as jnp
    >>> from sonnax.experimental import flax as hk_flax
    >>> f = hk.transform(lambda x: hk_flax.lift(nn.Dense(2), name="dense")(x))
    >>> params = f.init(jax.random.PRNGKey(0), jnp.ones([1, 3]))
    >>> jax.tree.map(jnp.shape, params)
    {'dense/~': {'bias': (2,), 'kernel': (3, 2)}}

    Args:
      mod: a linen module.
      name: the name its variables are stored under.

    Returns:
      A function calling `mod` on its arguments and returning its output.
    """
    transformed = _as_transformed(mod)
    init_fn, updater = lift_lib.lift_with_state(transformed.init, name=name, allow_reuse=True)
    # The function may be called many times per transform; the updater's once-only
    # check does not apply, so it is marked used and re-armed around each update.
    updater._used = True

    def call(*args: Any, **kwargs: Any) -> Any:
        init_kwargs = dict(kwargs)
        key = _init_rngs(init_kwargs) if transform.running_init() else None
        params, state = init_fn(key, *args, **init_kwargs)
        out, state = transformed.apply(params, state, None, *args, **kwargs)
        updater._used = False
        updater.update(state)
        return out

    return call
