"""Sonnet 2's `snt.functional`: pure `init`/`apply` functions, JAX-style transforms, optimizers."""

from sonnax.compat._src.functional.haiku import transform as transform
from sonnax.compat._src.functional.haiku import transform_with_state as transform_with_state
from sonnax.compat._src.functional.haiku import variables as variables
from sonnax.compat._src.functional.haiku import without_state as without_state
from sonnax.compat._src.functional.jax_api import device_get as device_get
from sonnax.compat._src.functional.jax_api import device_put as device_put
from sonnax.compat._src.functional.jax_api import grad as grad
from sonnax.compat._src.functional.jax_api import jit as jit
from sonnax.compat._src.functional.jax_api import value_and_grad as value_and_grad
from sonnax.compat._src.functional.optimizers import optimizer as optimizer
from sonnax.compat._src.optimizers.adam import Adam as _Adam
from sonnax.compat._src.optimizers.momentum import Momentum as _Momentum
from sonnax.compat._src.optimizers.rmsprop import RMSProp as _RMSProp
from sonnax.compat._src.optimizers.sgd import SGD as _SGD

adam = optimizer(_Adam)
momentum = optimizer(_Momentum)
rmsprop = optimizer(_RMSProp)
sgd = optimizer(_SGD)

__all__ = [
    "adam",
    "device_get",
    "device_put",
    "grad",
    "jit",
    "momentum",
    "optimizer",
    "rmsprop",
    "sgd",
    "transform",
    "transform_with_state",
    "value_and_grad",
    "variables",
    "without_state",
]
