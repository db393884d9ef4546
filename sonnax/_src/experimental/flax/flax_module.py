"""`Module`: a linen module that runs a sonnax transformed function."""

from __future__ import annotations

from typing import Any

import flax.linen as nn

from sonnax._src.core import transform
from sonnax._src.experimental.flax import variables


class Module(nn.Module):
    """A Flax `nn.Module` running a sonnax transformed function.

    Parameters go in the `params` collection and state in `state`, nested by
    module path. `init` draws from the `params` rng; `apply` passes the
    `apply` rng (if given) to the sonnax function.

    >>> import sonnax as hk
    >>> import jax, jax.numpy as jnp
    >>> from sonnax.experimental import flax as hk_flax
    >>> mod = hk_flax.Module.create(hk.Linear, 2)
    >>> variables = mod.init(jax.random.PRNGKey(0), jnp.ones([1, 3]))
    >>> jax.tree.map(jnp.shape, variables["params"])
    {'linear': {'b': (2,), 'w': (3, 2)}}

    Attributes:
      transformed: the result of `sonnax.transform` or `transform_with_state`.
    """

    transformed: transform.Transformed | transform.TransformedWithState

    def __post_init__(self) -> None:
        super().__post_init__()
        if isinstance(self.transformed, transform.Transformed):
            self.transformed = transform.with_empty_state(self.transformed)

    @classmethod
    def create(cls, hk_cls: type, *init_args: Any, **init_kwargs: Any) -> Module:
        """A linen module calling `hk_cls(*init_args, **init_kwargs)` on its inputs.

        Args:
          hk_cls: a sonnax module class, e.g. `hk.Linear`.
          *init_args: its constructor's positional arguments.
          **init_kwargs: its constructor's keyword arguments.

        Returns:
          The linen module (state, if any, is in the `state` collection).
        """

        def call(*args: Any, **kwargs: Any) -> Any:
            return hk_cls(*init_args, **init_kwargs)(*args, **kwargs)

        return cls(transform.transform_with_state(call))

    @nn.compact
    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        transformed: Any = self.transformed
        if self.is_initializing():
            params, state = transformed.init(self.make_rng("params"), *args, **kwargs)
            variables.store(self.scope, params=params, state=state)
        else:
            params = variables.flatten_flax_to_haiku(self.variables.get("params", {}))
            state = variables.flatten_flax_to_haiku(self.variables.get("state", {}))
        rng = self.make_rng("apply") if self.has_rng("apply") else None
        out, new_state = transformed.apply(params, state, rng, *args, **kwargs)
        if not self.is_initializing():
            variables.store(self.scope, state=variables.changed(state, new_state))
        return out
