"""Sonnet's optimizers (`snt.optimizers`), functional.

`opt_state = opt.init(params)`, then `params, opt_state = opt.apply(opt_state, updates, params)`.
"""

from sonnax.compat._src.optimizers.adam import Adam as Adam
from sonnax.compat._src.optimizers.momentum import Momentum as Momentum
from sonnax.compat._src.optimizers.rmsprop import RMSProp as RMSProp
from sonnax.compat._src.optimizers.sgd import SGD as SGD

__all__ = [
    "Adam",
    "Momentum",
    "RMSProp",
    "SGD",
]
