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
from sonnax.compat import pad as pad
from sonnax.compat._src.conv import Conv1D as Conv1D
from sonnax.compat._src.conv import Conv2D as Conv2D
from sonnax.compat._src.conv import Conv3D as Conv3D
from sonnax.compat._src.linear import Linear as Linear

# group B: normalization, moving averages, metrics, regularizers, mixed precision, distribute

# group C: recurrent
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

# group D: nets, optimizers
from sonnax.compat import nets as nets
from sonnax.compat import optimizers as optimizers
from sonnax.compat._src.base import Optimizer as Optimizer

# group E: functional, build, custom_variable_getter

__all__ = [
    "Conv1D",
    "Conv1DLSTM",
    "Conv2D",
    "Conv2DLSTM",
    "Conv3D",
    "Conv3DLSTM",
    "DeepRNN",
    "GRU",
    "LSTM",
    "LSTMState",
    "Linear",
    "Module",
    "Optimizer",
    "RNNCore",
    "TrainableState",
    "UnrolledLSTM",
    "UnrolledRNN",
    "VanillaRNN",
    "allow_empty_variables",
    "deep_rnn_with_residual_connections",
    "deep_rnn_with_skip_connections",
    "dynamic_unroll",
    "initializers",
    "lstm_with_recurrent_dropout",
    "nets",
    "no_name_scope",
    "once",
    "optimizers",
    "pad",
    "static_unroll",
]
