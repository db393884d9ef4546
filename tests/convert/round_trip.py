"""Round trips through sonnax.convert, one parity case per `sonnax.compat` module class.

A case's TF Sonnet module is built and called once (its variables exist), every variable is
set to random values (positive where a variance or a count must be), and the module is saved
with `tf.train.Checkpoint(module=m).write` (keys are object-graph keys) and, for a few cases,
`tf.saved_model.save`. TF's outputs are computed after the save, from the saved values.
"""

from __future__ import annotations

import dataclasses
import pathlib
import re
import zlib
from typing import Any

import numpy as np
import sonnet
import tensorflow as tf

import sonnax.convert
from tests.parity import harness
from tests.parity.cases import CASES, Case

# compat class (as named in its public namespace) -> the parity case that builds it.
CLASS_CASES = {
    "BaseBatchNorm": "base_batch_norm_ema",
    "BatchApply": "batch_apply_linear",
    "BatchNorm": "batch_norm_channels_last_rank4_scale1_offset1",
    "Bias": "bias",
    "Conv1D": "conv1d",
    "Conv1DLSTM": "conv1d_lstm_step",
    "Conv1DTranspose": "conv1d_transpose",
    "Conv2D": "conv2d",
    "Conv2DLSTM": "conv2d_lstm_step",
    "Conv2DTranspose": "conv2d_transpose",
    "Conv3D": "conv3d",
    "Conv3DLSTM": "conv3d_lstm_step",
    "Conv3DTranspose": "conv3d_transpose",
    "DeepRNN": "deep_rnn_static_unroll",
    "Deferred": "deferred",
    "DepthwiseConv2D": "depthwise_conv2d",
    "Embed": "embed_existing_vocab_frozen",
    "ExponentialMovingAverage": "exponential_moving_average",
    "GRU": "gru_step",
    "GroupNorm": "group_norm_channels_last_groups2",
    "InstanceNorm": "instance_norm_channels_last_scale1_offset1",
    "LSTM": "lstm_step",
    "LayerNorm": "layer_norm_last_channels_last_scale1_offset1",
    "Linear": "linear",
    "Mean": "metric_mean",
    "Sequential": "sequential",
    "Sum": "metric_sum",
    "TrainableState": "trainable_state_from_values",
    "UnrolledLSTM": "unrolled_lstm",
    "VanillaRNN": "vanilla_rnn_step",
    "distribute.CrossReplicaBatchNorm": "cross_replica_batch_norm_rank2",
    "nets.Cifar10ConvNet": "cifar10_convnet",
    "nets.MLP": "mlp",
    "nets.ResNet": "resnet_v1_eval_moving_stats",
    "nets.VectorQuantizer": "vector_quantizer",
    "nets.VectorQuantizerEMA": "vector_quantizer_ema",
}
# Classes without a round trip of their own, and why.
EXCLUDED = {
    "Module": "the base class; every case's modules are Modules",
    "Metric": "abstract base; Sum and Mean have cases",
    "RNNCore": "abstract base; every recurrent case is an RNNCore",
    "UnrolledRNN": "abstract base; UnrolledLSTM has a case",
    "Dropout": "no variables: nothing to convert",
    "Flatten": "no variables: nothing to convert",
    "Reshape": "no variables: nothing to convert",
    "nets.ResNet50": (
        "a ResNet configuration (nets.ResNet's case converts the same blocks); its 25M "
        "variables and their names are checked by tests/parity/test_nets.py"
    ),
}
# Cases also saved with `tf.saved_model.save` (slow, so only these).
SAVED_MODEL_CASES = ("mlp", "cifar10_convnet", "lstm_step", "vector_quantizer_ema")
# Variables that must stay positive: variances and counts.
_POSITIVE = re.compile(r"variance|var_ema|cluster_size")


@dataclasses.dataclass
class TFRun:
    """A case on the TF side, saved and run."""

    module: Any
    prefix: str
    saved_model: str | None
    inputs: tuple[np.ndarray, ...]
    outputs: list[np.ndarray]
    from_module: tuple[dict, dict]


def mode_of(case: Case) -> str:
    """The mode compared: `eval` where there is one (it reads the moving statistics)."""
    return "eval" if "eval" in case.modes else next(iter(case.modes))


def randomize(module: tf.Module, seed: int) -> None:
    """Sets every variable to random values; weights signed and scaled by their fan-in."""
    rng = np.random.default_rng(seed)
    for variable in module.variables:
        shape, dtype = tuple(variable.shape), variable.dtype.as_numpy_dtype
        if not variable.dtype.is_floating:
            variable.assign(rng.integers(1, 5, shape).astype(dtype))
            continue
        value = rng.uniform(0.5, 1.5, shape)
        if len(shape) >= 2 and not _POSITIVE.search(variable.name):
            value *= rng.choice([-1.0, 1.0], shape) / np.sqrt(np.prod(shape[:-1]))
        variable.assign(value.astype(dtype))


def _outputs(case: Case, module: Any, inputs: tuple[np.ndarray, ...]) -> list[np.ndarray]:
    kwargs = case.modes[mode_of(case)]
    result = case.call(sonnet, module, *map(tf.constant, inputs), **kwargs)
    return [np.asarray(out) for out in tf.nest.flatten(result)]


def run_tf(case: Case, directory: pathlib.Path) -> TFRun:
    """Builds, randomizes and saves the case's TF module, then records its outputs."""
    inputs = harness.case_inputs(case)[0]
    built = case.build(sonnet)
    _outputs(case, built, inputs)  # Creates the variables.
    module = built
    if not isinstance(built, tf.Module):  # A tuple of modules.
        module = tf.Module(name="parts")
        module.parts = built
    randomize(module, seed=zlib.crc32(f"{case.name}/round trip".encode()))
    prefix = tf.train.Checkpoint(module=module).write(str(directory / "ckpt"))
    saved_model = None
    if case.name in SAVED_MODEL_CASES:
        saved_model = str(directory / "saved_model")
        tf.saved_model.save(module, saved_model)
    converted = sonnax.convert.from_module(module)  # Before the call, which may change state.
    outputs = _outputs(case, built, inputs)
    return TFRun(built, prefix, saved_model, inputs, outputs, converted)


def module_classes(module: Any) -> set[str]:
    """Class names of a built TF module and all its submodules (or of a tuple's modules)."""
    parts = module if isinstance(module, tuple) else (module,)
    found = set()
    for part in parts:
        found |= {type(sub).__name__ for sub in (part, *part.submodules)}
    return found


def case_for(class_name: str) -> Case:
    return CASES[CLASS_CASES[class_name]]
