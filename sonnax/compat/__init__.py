"""Sonnet 2's API on sonnax: `from sonnax import compat as snt`.

A Sonnet 2 model ports by changing its import and running it inside
`sonnax.transform_with_state`; parameter and state names are Sonnet's variable
names, with `/~/` between modules (`mlp/linear_0/w` is `params["mlp/~/linear_0"]["w"]`).
"""

from sonnax.compat import distribute as distribute
from sonnax.compat import functional as functional
from sonnax.compat import initializers
from sonnax.compat import mixed_precision as mixed_precision  # Not in `__all__`, as in Sonnet.
from sonnax.compat import nets as nets
from sonnax.compat import optimizers as optimizers
from sonnax.compat import pad as pad
from sonnax.compat import regularizers as regularizers
from sonnax.compat._src.axis_norm import InstanceNorm as InstanceNorm
from sonnax.compat._src.axis_norm import LayerNorm as LayerNorm
from sonnax.compat._src.base import Module as Module
from sonnax.compat._src.base import Optimizer as Optimizer
from sonnax.compat._src.base import allow_empty_variables as allow_empty_variables
from sonnax.compat._src.base import no_name_scope as no_name_scope
from sonnax.compat._src.batch_apply import BatchApply as BatchApply
from sonnax.compat._src.batch_apply import merge_leading_dims as merge_leading_dims
from sonnax.compat._src.batch_apply import split_leading_dim as split_leading_dim
from sonnax.compat._src.batch_norm import BaseBatchNorm as BaseBatchNorm
from sonnax.compat._src.batch_norm import BatchNorm as BatchNorm
from sonnax.compat._src.bias import Bias as Bias
from sonnax.compat._src.build import build as build
from sonnax.compat._src.conv import Conv1D as Conv1D
from sonnax.compat._src.conv import Conv2D as Conv2D
from sonnax.compat._src.conv import Conv3D as Conv3D
from sonnax.compat._src.conv_transpose import Conv1DTranspose as Conv1DTranspose
from sonnax.compat._src.conv_transpose import Conv2DTranspose as Conv2DTranspose
from sonnax.compat._src.conv_transpose import Conv3DTranspose as Conv3DTranspose
from sonnax.compat._src.custom_getter import custom_variable_getter as custom_variable_getter
from sonnax.compat._src.deferred import Deferred as Deferred
from sonnax.compat._src.depthwise_conv import DepthwiseConv2D as DepthwiseConv2D
from sonnax.compat._src.dropout import Dropout as Dropout
from sonnax.compat._src.embed import Embed as Embed
from sonnax.compat._src.group_norm import GroupNorm as GroupNorm
from sonnax.compat._src.leaky_clip_by_value import leaky_clip_by_value as leaky_clip_by_value
from sonnax.compat._src.linear import Linear as Linear
from sonnax.compat._src.metrics import Mean as Mean
from sonnax.compat._src.metrics import Metric as Metric
from sonnax.compat._src.metrics import Sum as Sum
from sonnax.compat._src.moving_averages import ExponentialMovingAverage as ExponentialMovingAverage
from sonnax.compat._src.once import once as once
from sonnax.compat._src.recurrent.conv_lstm import Conv1DLSTM as Conv1DLSTM
from sonnax.compat._src.recurrent.conv_lstm import Conv2DLSTM as Conv2DLSTM
from sonnax.compat._src.recurrent.conv_lstm import Conv3DLSTM as Conv3DLSTM
from sonnax.compat._src.recurrent.deep_rnn import DeepRNN as DeepRNN
from sonnax.compat._src.recurrent.deep_rnn import (
    deep_rnn_with_residual_connections as deep_rnn_with_residual_connections,
)
from sonnax.compat._src.recurrent.deep_rnn import (
    deep_rnn_with_skip_connections as deep_rnn_with_skip_connections,
)
from sonnax.compat._src.recurrent.gru import GRU as GRU
from sonnax.compat._src.recurrent.lstm import LSTM as LSTM
from sonnax.compat._src.recurrent.lstm import LSTMState as LSTMState
from sonnax.compat._src.recurrent.lstm import UnrolledLSTM as UnrolledLSTM
from sonnax.compat._src.recurrent.lstm import (
    lstm_with_recurrent_dropout as lstm_with_recurrent_dropout,
)
from sonnax.compat._src.recurrent.rnn_core import RNNCore as RNNCore
from sonnax.compat._src.recurrent.rnn_core import UnrolledRNN as UnrolledRNN
from sonnax.compat._src.recurrent.trainable_state import TrainableState as TrainableState
from sonnax.compat._src.recurrent.unroll import dynamic_unroll as dynamic_unroll
from sonnax.compat._src.recurrent.unroll import static_unroll as static_unroll
from sonnax.compat._src.recurrent.vanilla_rnn import VanillaRNN as VanillaRNN
from sonnax.compat._src.reshape import Flatten as Flatten
from sonnax.compat._src.reshape import Reshape as Reshape
from sonnax.compat._src.reshape import flatten as flatten
from sonnax.compat._src.reshape import reshape as reshape
from sonnax.compat._src.scale_gradient import scale_gradient as scale_gradient
from sonnax.compat._src.sequential import Sequential as Sequential
from sonnax.compat._src.variables import format_variables as format_variables
from sonnax.compat._src.variables import log_variables as log_variables

__all__ = [
    "BaseBatchNorm",
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
    "DeepRNN",
    "Deferred",
    "DepthwiseConv2D",
    "Dropout",
    "Embed",
    "ExponentialMovingAverage",
    "Flatten",
    "GRU",
    "GroupNorm",
    "InstanceNorm",
    "LSTM",
    "LSTMState",
    "LayerNorm",
    "Linear",
    "Mean",
    "Metric",
    "Module",
    "Optimizer",
    "RNNCore",
    "Reshape",
    "Sequential",
    "Sum",
    "TrainableState",
    "UnrolledLSTM",
    "UnrolledRNN",
    "VanillaRNN",
    "allow_empty_variables",
    "build",
    "custom_variable_getter",
    "deep_rnn_with_residual_connections",
    "deep_rnn_with_skip_connections",
    "distribute",
    "dynamic_unroll",
    "flatten",
    "format_variables",
    "functional",
    "initializers",
    "leaky_clip_by_value",
    "log_variables",
    "lstm_with_recurrent_dropout",
    "merge_leading_dims",
    "nets",
    "no_name_scope",
    "once",
    "optimizers",
    "pad",
    "regularizers",
    "reshape",
    "scale_gradient",
    "split_leading_dim",
    "static_unroll",
]

# The imports above bind the implementation package `_src` here; keep it out of the namespace.
globals().pop("_src")
