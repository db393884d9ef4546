"""sonnax: Haiku's programming model for JAX, with a Sonnet 2 compatibility layer."""

from sonnax import config, data_structures, initializers, nets
from sonnax._src.core.interceptors import GetterContext as GetterContext
from sonnax._src.core.interceptors import MethodContext as MethodContext
from sonnax._src.core.interceptors import SetterContext as SetterContext
from sonnax._src.core.interceptors import custom_creator as custom_creator
from sonnax._src.core.interceptors import custom_getter as custom_getter
from sonnax._src.core.interceptors import custom_setter as custom_setter
from sonnax._src.core.interceptors import intercept_methods as intercept_methods
from sonnax._src.core.module import Module as Module
from sonnax._src.core.naming import current_name as current_name
from sonnax._src.core.naming import force_name as force_name
from sonnax._src.core.naming import name_like as name_like
from sonnax._src.core.naming import name_scope as name_scope
from sonnax._src.core.naming import transparent as transparent
from sonnax._src.core.params import DO_NOT_STORE as DO_NOT_STORE
from sonnax._src.core.params import get_parameter as get_parameter
from sonnax._src.core.params import get_params as get_params
from sonnax._src.core.rng import PRNGSequence as PRNGSequence
from sonnax._src.core.rng import maybe_get_rng_sequence_state as maybe_get_rng_sequence_state
from sonnax._src.core.rng import maybe_next_rng_key as maybe_next_rng_key
from sonnax._src.core.rng import next_rng_key as next_rng_key
from sonnax._src.core.rng import next_rng_keys as next_rng_keys
from sonnax._src.core.rng import replace_rng_sequence_state as replace_rng_sequence_state
from sonnax._src.core.rng import reserve_rng_keys as reserve_rng_keys
from sonnax._src.core.rng import with_rng as with_rng
from sonnax._src.core.state import get_current_state as get_current_state
from sonnax._src.core.state import get_initial_state as get_initial_state
from sonnax._src.core.state import get_state as get_state
from sonnax._src.core.state import set_state as set_state
from sonnax._src.core.transform import Transformed as Transformed
from sonnax._src.core.transform import TransformedWithState as TransformedWithState
from sonnax._src.core.transform import running_init as running_init
from sonnax._src.core.transform import transform as transform
from sonnax._src.core.transform import transform_with_state as transform_with_state
from sonnax._src.core.transform import with_empty_state as with_empty_state
from sonnax._src.core.transform import without_apply_rng as without_apply_rng
from sonnax._src.core.transform import without_state as without_state
from sonnax._src.layers.batch_apply import BatchApply as BatchApply
from sonnax._src.layers.batch_apply import expand_apply as expand_apply
from sonnax._src.layers.bias import Bias as Bias
from sonnax._src.layers.deferred import Deferred as Deferred
from sonnax._src.layers.deprecated import multinomial as multinomial
from sonnax._src.layers.deprecated import one_hot as one_hot
from sonnax._src.layers.dropout import dropout as dropout
from sonnax._src.layers.linear import Linear as Linear
from sonnax._src.layers.reshape import Flatten as Flatten
from sonnax._src.layers.reshape import Reshape as Reshape
from sonnax._src.layers.sequential import Sequential as Sequential
from sonnax._src.layers.sequential import to_module as to_module
from sonnax._src.transforms.multi_transform import MultiTransformed as MultiTransformed
from sonnax._src.transforms.multi_transform import (
    MultiTransformedWithState as MultiTransformedWithState,
)
from sonnax._src.transforms.multi_transform import multi_transform as multi_transform
from sonnax._src.transforms.multi_transform import (
    multi_transform_with_state as multi_transform_with_state,
)
from sonnax._src.typing import ModuleProtocol as ModuleProtocol
from sonnax._src.typing import MutableParams as MutableParams
from sonnax._src.typing import MutableState as MutableState
from sonnax._src.typing import Params as Params
from sonnax._src.typing import State as State
from sonnax._src.typing import SupportsCall as SupportsCall

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
