"""sonnax: Haiku's programming model for JAX, with a Sonnet 2 compatibility layer."""

from sonnax import (
    config,
    data_structures,
    experimental,
    initializers,
    mixed_precision,
    nets,
    pad,
    sharding,
    testing,
)
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
from sonnax._src.experimental.dot import to_dot as to_dot
from sonnax._src.layers.attention import MultiHeadAttention as MultiHeadAttention
from sonnax._src.layers.batch_apply import BatchApply as BatchApply
from sonnax._src.layers.batch_apply import expand_apply as expand_apply
from sonnax._src.layers.batch_norm import BatchNorm as BatchNorm
from sonnax._src.layers.bias import Bias as Bias
from sonnax._src.layers.conv import Conv1D as Conv1D
from sonnax._src.layers.conv import Conv2D as Conv2D
from sonnax._src.layers.conv import Conv3D as Conv3D
from sonnax._src.layers.conv import ConvND as ConvND
from sonnax._src.layers.conv_transpose import Conv1DTranspose as Conv1DTranspose
from sonnax._src.layers.conv_transpose import Conv2DTranspose as Conv2DTranspose
from sonnax._src.layers.conv_transpose import Conv3DTranspose as Conv3DTranspose
from sonnax._src.layers.conv_transpose import ConvNDTranspose as ConvNDTranspose
from sonnax._src.layers.deferred import Deferred as Deferred
from sonnax._src.layers.deprecated import multinomial as multinomial
from sonnax._src.layers.deprecated import one_hot as one_hot
from sonnax._src.layers.depthwise_conv import DepthwiseConv1D as DepthwiseConv1D
from sonnax._src.layers.depthwise_conv import DepthwiseConv2D as DepthwiseConv2D
from sonnax._src.layers.depthwise_conv import DepthwiseConv3D as DepthwiseConv3D
from sonnax._src.layers.depthwise_conv import SeparableDepthwiseConv2D as SeparableDepthwiseConv2D
from sonnax._src.layers.dropout import dropout as dropout
from sonnax._src.layers.embed import Embed as Embed
from sonnax._src.layers.embed import EmbedLookupStyle as EmbedLookupStyle
from sonnax._src.layers.group_norm import GroupNorm as GroupNorm
from sonnax._src.layers.layer_norm import InstanceNorm as InstanceNorm
from sonnax._src.layers.layer_norm import LayerNorm as LayerNorm
from sonnax._src.layers.linear import Linear as Linear
from sonnax._src.layers.moving_averages import EMAParamsTree as EMAParamsTree
from sonnax._src.layers.moving_averages import ExponentialMovingAverage as ExponentialMovingAverage
from sonnax._src.layers.pool import AvgPool as AvgPool
from sonnax._src.layers.pool import MaxPool as MaxPool
from sonnax._src.layers.pool import avg_pool as avg_pool
from sonnax._src.layers.pool import max_pool as max_pool
from sonnax._src.layers.reshape import Flatten as Flatten
from sonnax._src.layers.reshape import Reshape as Reshape
from sonnax._src.layers.rms_norm import RMSNorm as RMSNorm
from sonnax._src.layers.sequential import Sequential as Sequential
from sonnax._src.layers.sequential import to_module as to_module
from sonnax._src.layers.spatial import get_channel_index as get_channel_index
from sonnax._src.layers.spectral_norm import SNParamsTree as SNParamsTree
from sonnax._src.layers.spectral_norm import SpectralNorm as SpectralNorm
from sonnax._src.recurrent.conv_lstm import Conv1DLSTM as Conv1DLSTM
from sonnax._src.recurrent.conv_lstm import Conv2DLSTM as Conv2DLSTM
from sonnax._src.recurrent.conv_lstm import Conv3DLSTM as Conv3DLSTM
from sonnax._src.recurrent.deep_rnn import DeepRNN as DeepRNN
from sonnax._src.recurrent.deep_rnn import (
    deep_rnn_with_skip_connections as deep_rnn_with_skip_connections,
)
from sonnax._src.recurrent.gru import GRU as GRU
from sonnax._src.recurrent.identity_core import IdentityCore as IdentityCore
from sonnax._src.recurrent.lstm import LSTM as LSTM
from sonnax._src.recurrent.lstm import LSTMState as LSTMState
from sonnax._src.recurrent.reset_core import ResetCore as ResetCore
from sonnax._src.recurrent.rnn_core import RNNCore as RNNCore
from sonnax._src.recurrent.unroll import dynamic_unroll as dynamic_unroll
from sonnax._src.recurrent.unroll import static_unroll as static_unroll
from sonnax._src.recurrent.vanilla_rnn import VanillaRNN as VanillaRNN
from sonnax._src.transforms.layer_stack import (
    LayerStackTransparencyMapping as LayerStackTransparencyMapping,
)
from sonnax._src.transforms.layer_stack import layer_stack as layer_stack
from sonnax._src.transforms.lift import LiftWithStateUpdater as LiftWithStateUpdater
from sonnax._src.transforms.lift import lift as lift
from sonnax._src.transforms.lift import lift_with_state as lift_with_state
from sonnax._src.transforms.lift import transparent_lift as transparent_lift
from sonnax._src.transforms.lift import transparent_lift_with_state as transparent_lift_with_state
from sonnax._src.transforms.multi_transform import MultiTransformed as MultiTransformed
from sonnax._src.transforms.multi_transform import (
    MultiTransformedWithState as MultiTransformedWithState,
)
from sonnax._src.transforms.multi_transform import multi_transform as multi_transform
from sonnax._src.transforms.multi_transform import (
    multi_transform_with_state as multi_transform_with_state,
)
from sonnax._src.transforms.stateful.autodiff import grad as grad
from sonnax._src.transforms.stateful.autodiff import remat as remat
from sonnax._src.transforms.stateful.autodiff import value_and_grad as value_and_grad
from sonnax._src.transforms.stateful.branches import cond as cond
from sonnax._src.transforms.stateful.branches import switch as switch
from sonnax._src.transforms.stateful.eval_shape import eval_shape as eval_shape
from sonnax._src.transforms.stateful.loops import fori_loop as fori_loop
from sonnax._src.transforms.stateful.loops import map as map
from sonnax._src.transforms.stateful.loops import scan as scan
from sonnax._src.transforms.stateful.loops import while_loop as while_loop
from sonnax._src.transforms.stateful.vmap import vmap as vmap
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
    "AvgPool",
    "BatchApply",
    "BatchNorm",
    "Bias",
    "Conv1D",
    "Conv1DLSTM",
    "Conv1DTranspose",
    "Conv2D",
    "Conv2DLSTM",
    "Conv2DTranspose",
    "Conv3D",
    "Conv3DLSTM",
    "Conv3DTranspose",
    "ConvND",
    "ConvNDTranspose",
    "DO_NOT_STORE",
    "DeepRNN",
    "Deferred",
    "DepthwiseConv1D",
    "DepthwiseConv2D",
    "DepthwiseConv3D",
    "EMAParamsTree",
    "Embed",
    "EmbedLookupStyle",
    "ExponentialMovingAverage",
    "Flatten",
    "GRU",
    "GetterContext",
    "GroupNorm",
    "IdentityCore",
    "InstanceNorm",
    "LSTM",
    "LSTMState",
    "LayerNorm",
    "LayerStackTransparencyMapping",
    "LiftWithStateUpdater",
    "Linear",
    "MaxPool",
    "MethodContext",
    "Module",
    "ModuleProtocol",
    "MultiHeadAttention",
    "MultiTransformed",
    "MultiTransformedWithState",
    "MutableParams",
    "MutableState",
    "PRNGSequence",
    "Params",
    "RMSNorm",
    "RNNCore",
    "ResetCore",
    "Reshape",
    "SNParamsTree",
    "SeparableDepthwiseConv2D",
    "Sequential",
    "SetterContext",
    "SpectralNorm",
    "State",
    "SupportsCall",
    "Transformed",
    "TransformedWithState",
    "VanillaRNN",
    "avg_pool",
    "cond",
    "config",
    "current_name",
    "custom_creator",
    "custom_getter",
    "custom_setter",
    "data_structures",
    "deep_rnn_with_skip_connections",
    "dropout",
    "dynamic_unroll",
    "eval_shape",
    "expand_apply",
    "experimental",
    "force_name",
    "fori_loop",
    "get_channel_index",
    "get_current_state",
    "get_initial_state",
    "get_parameter",
    "get_params",
    "get_state",
    "grad",
    "initializers",
    "intercept_methods",
    "layer_stack",
    "lift",
    "lift_with_state",
    "map",
    "max_pool",
    "maybe_get_rng_sequence_state",
    "maybe_next_rng_key",
    "mixed_precision",
    "multi_transform",
    "multi_transform_with_state",
    "multinomial",
    "name_like",
    "name_scope",
    "nets",
    "next_rng_key",
    "next_rng_keys",
    "one_hot",
    "pad",
    "remat",
    "replace_rng_sequence_state",
    "reserve_rng_keys",
    "running_init",
    "scan",
    "set_state",
    "sharding",
    "static_unroll",
    "switch",
    "testing",
    "to_dot",
    "to_module",
    "transform",
    "transform_with_state",
    "transparent",
    "transparent_lift",
    "transparent_lift_with_state",
    "value_and_grad",
    "vmap",
    "while_loop",
    "with_empty_state",
    "with_rng",
    "without_apply_rng",
    "without_state",
]
