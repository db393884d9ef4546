"""`optimizer`: a Sonnet optimizer class as a pair of pure `init`/`apply` functions.

Compat optimizers are already functional (`opt.init(params)`,
`opt.apply(opt_state, updates, params)`), so this wraps their constructor into
Sonnet's `TransformedOptimizer` shape.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any, NamedTuple

from sonnax.compat._src import base


class TransformedOptimizer(NamedTuple):
    """A functional optimizer.

    Attributes:
      init: `init(params) -> opt_state`.
      apply: `apply(opt_state, updates, params) -> (params, opt_state)`.
    """

    init: Callable[[Any], Any]
    apply: Callable[[Any, Any, Any], tuple[Any, Any]]


def optimizer(cls: type[base.Optimizer]) -> Callable[..., TransformedOptimizer]:
    """Turns an optimizer class into a function from its arguments to `TransformedOptimizer`.

    >>> import jax.numpy as jnp
    >>> from sonnax import compat as snt
    >>> opt = snt.functional.optimizer(snt.optimizers.SGD)(learning_rate=0.5)
    >>> params = {"linear": {"w": jnp.ones([2])}}
    >>> opt_state = opt.init(params)
    >>> params, opt_state = opt.apply(opt_state, {"linear": {"w": jnp.ones([2])}}, params)
    >>> params
    {'linear': {'w': Array([0.5, 0.5], dtype=float32)}}

    Args:
      cls: a compat optimizer class (a subclass of `snt.Optimizer`).

    Returns:
      A function taking `cls`'s constructor arguments.
    """

    @functools.wraps(cls.__init__)
    def make(*args: Any, **kwargs: Any) -> TransformedOptimizer:
        opt = cls(*args, **kwargs)
        return TransformedOptimizer(init=opt.init, apply=opt.apply)

    return make
