"""Sonnet 2's API on sonnax: `from sonnax import compat as snt`.

A Sonnet 2 model ports by changing its import and running it inside
`sonnax.transform_with_state`; parameter and state names are Sonnet's variable
names, with `/~/` between modules (`mlp/linear_0/w` is `params["mlp/~/linear_0"]["w"]`).
"""

from sonnax.compat import initializers
from sonnax.compat._src.base import Module as Module
from sonnax.compat._src.base import allow_empty_variables as allow_empty_variables
from sonnax.compat._src.base import no_name_scope as no_name_scope
from sonnax.compat._src.once import once as once

# group A: layers (linear, conv, pad, reshape, sequential, ...)
from sonnax.compat._src.linear import Linear as Linear

# group B: normalization, moving averages, metrics, regularizers, mixed precision, distribute

# group C: recurrent

# group D: nets, optimizers
from sonnax.compat import optimizers as optimizers
from sonnax.compat._src.base import Optimizer as Optimizer

# group E: functional, build, custom_variable_getter

__all__ = [
    "Linear",
    "Module",
    "Optimizer",
    "allow_empty_variables",
    "initializers",
    "no_name_scope",
    "once",
    "optimizers",
]
