"""sonnax: Haiku's programming model for JAX, with a Sonnet 2 compatibility layer."""

from sonnax import config, data_structures, initializers, nets
from sonnax._src.core.interceptors import (
    GetterContext,
    MethodContext,
    SetterContext,
    custom_creator,
    custom_getter,
    custom_setter,
    intercept_methods,
)
from sonnax._src.core.module import Module
from sonnax._src.core.naming import current_name, force_name, name_like, name_scope, transparent
from sonnax._src.core.params import DO_NOT_STORE, get_parameter, get_params
from sonnax._src.core.rng import (
    PRNGSequence,
    maybe_get_rng_sequence_state,
    maybe_next_rng_key,
    next_rng_key,
    next_rng_keys,
    replace_rng_sequence_state,
    reserve_rng_keys,
    with_rng,
)
from sonnax._src.core.state import get_current_state, get_initial_state, get_state, set_state
from sonnax._src.core.transform import (
    Transformed,
    TransformedWithState,
    running_init,
    transform,
    transform_with_state,
    with_empty_state,
    without_apply_rng,
    without_state,
)
from sonnax._src.layers.batch_apply import BatchApply, expand_apply
from sonnax._src.layers.bias import Bias
from sonnax._src.layers.deferred import Deferred
from sonnax._src.layers.deprecated import multinomial, one_hot
from sonnax._src.layers.dropout import dropout
from sonnax._src.layers.linear import Linear
from sonnax._src.layers.reshape import Flatten, Reshape
from sonnax._src.layers.sequential import Sequential, to_module
from sonnax._src.transforms.multi_transform import (
    MultiTransformed,
    MultiTransformedWithState,
    multi_transform,
    multi_transform_with_state,
)
from sonnax._src.typing import (
    ModuleProtocol,
    MutableParams,
    MutableState,
    Params,
    State,
    SupportsCall,
)

__version__ = "0.1.0"

# The imports above bind the implementation package `_src` here; keep it out of the namespace.
globals().pop("_src")

__all__ = [
    "BatchApply",
    "Bias",
    "DO_NOT_STORE",
    "Deferred",
    "Flatten",
    "GetterContext",
    "Linear",
    "MethodContext",
    "Module",
    "ModuleProtocol",
    "MultiTransformed",
    "MultiTransformedWithState",
    "MutableParams",
    "MutableState",
    "PRNGSequence",
    "Params",
    "Reshape",
    "Sequential",
    "SetterContext",
    "State",
    "SupportsCall",
    "Transformed",
    "TransformedWithState",
    "config",
    "current_name",
    "custom_creator",
    "custom_getter",
    "custom_setter",
    "data_structures",
    "dropout",
    "expand_apply",
    "force_name",
    "get_current_state",
    "get_initial_state",
    "get_parameter",
    "get_params",
    "get_state",
    "initializers",
    "intercept_methods",
    "maybe_get_rng_sequence_state",
    "maybe_next_rng_key",
    "multi_transform",
    "multi_transform_with_state",
    "multinomial",
    "name_like",
    "name_scope",
    "nets",
    "next_rng_key",
    "next_rng_keys",
    "one_hot",
    "replace_rng_sequence_state",
    "reserve_rng_keys",
    "running_init",
    "set_state",
    "to_module",
    "transform",
    "transform_with_state",
    "transparent",
    "with_empty_state",
    "with_rng",
    "without_apply_rng",
    "without_state",
]
