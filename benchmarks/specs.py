"""The benchmarked models: their sizes (full and `--quick`), inputs and losses."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import Any

import numpy as np

MODELS = ("mlp", "resnet18", "resnet50", "lstm", "transformer")


@dataclasses.dataclass(frozen=True)
class ModelSpec:
    """One model at one size.

    Attributes:
      name: the model's name in tables and JSON (one of `MODELS`).
      kind: `mlp`, `resnet`, `lstm` or `transformer`: which builder makes it.
      batch: examples per training step.
      dims: the kind's sizes (see `_FULL`).
      rounds: interleaved timing rounds of the step, forward and dispatch figures.
      compile_repeats: fresh `init` and trace-plus-compile measurements per library.
    """

    name: str
    kind: str
    batch: int
    dims: Mapping[str, Any]
    rounds: int
    compile_repeats: int

    @property
    def stateful(self) -> bool:
        """Whether the model has state besides parameters (batch norm statistics)."""
        return self.kind == "resnet"

    @property
    def classifies(self) -> bool:
        """Softmax cross-entropy on integer labels (else mean squared error on a target)."""
        return self.kind in ("mlp", "resnet")


# Haiku's `ResNet.CONFIGS[18]` and `[50]`; every library builds its ResNet from these.
_RESNET18 = {"blocks": (2, 2, 2, 2), "channels": (64, 128, 256, 512), "bottleneck": False}
_RESNET50 = {"blocks": (3, 4, 6, 3), "channels": (256, 512, 1024, 2048), "bottleneck": True}
_TINY_BASIC = {"blocks": (1, 1, 1, 1), "channels": (64, 32, 32, 32), "bottleneck": False}
_TINY_BOTTLENECK = {"blocks": (1, 1, 1, 1), "channels": (32, 64, 128, 256), "bottleneck": True}

# On 2 CPU cores ResNet-50 at 224x224 takes about 20 s to compile its jitted init (the random
# initializers), 10 s its step, and 1.2 s a step: one compile measurement and three rounds.
_FULL = {
    "mlp": ModelSpec("mlp", "mlp", 128, {"input": 784, "layers": (1000, 100, 10)}, 15, 3),
    "resnet18": ModelSpec(
        "resnet18", "resnet", 16, {"image": 32, "classes": 10, **_RESNET18}, 7, 1
    ),
    "resnet50": ModelSpec(
        "resnet50", "resnet", 2, {"image": 224, "classes": 1000, **_RESNET50}, 3, 1
    ),
    "lstm": ModelSpec("lstm", "lstm", 32, {"steps": 50, "input": 64, "hidden": 256}, 11, 2),
    "transformer": ModelSpec(
        "transformer", "transformer", 8, {"seq": 128, "model": 256, "heads": 4, "mlp": 1024}, 11, 2
    ),
}

# Small versions of the same architectures, for smoke tests: every code path, little work
# (the ResNets keep their layout but have one block per group and few channels).
_QUICK = {
    "mlp": ModelSpec("mlp", "mlp", 8, {"input": 32, "layers": (64, 32, 10)}, 2, 1),
    "resnet18": ModelSpec(
        "resnet18", "resnet", 2, {"image": 16, "classes": 4, **_TINY_BASIC}, 2, 1
    ),
    "resnet50": ModelSpec(
        "resnet50", "resnet", 1, {"image": 32, "classes": 4, **_TINY_BOTTLENECK}, 2, 1
    ),
    "lstm": ModelSpec("lstm", "lstm", 4, {"steps": 5, "input": 8, "hidden": 16}, 2, 1),
    "transformer": ModelSpec(
        "transformer", "transformer", 2, {"seq": 16, "model": 32, "heads": 4, "mlp": 64}, 2, 1
    ),
}


def resnet_blocks(dims: Mapping[str, Any]) -> list[tuple[int, int, int, int, bool]]:
    """`(group, index, channels, stride, projection)` of each block of a ResNet, in order.

    Strides are (1, 2, 2, 2) per group; a group's first block strides and, for bottleneck
    nets or after the first group, projects its shortcut (Haiku's ResNet-18 and -50).
    """
    return [
        (
            group,
            index,
            channels,
            stride if index == 0 else 1,
            index == 0 and (dims["bottleneck"] or group > 0),
        )
        for group, (count, channels, stride) in enumerate(
            zip(dims["blocks"], dims["channels"], (1, 2, 2, 2), strict=True)
        )
        for index in range(count)
    ]


def spec(name: str, quick: bool) -> ModelSpec:
    """The `ModelSpec` called `name`, full size or quick."""
    return (_QUICK if quick else _FULL)[name]


def input_shape(model: ModelSpec, batch: int) -> tuple[int, ...]:
    """The shape of a batch of `batch` inputs (the LSTM's are time-major)."""
    dims = model.dims
    if model.kind == "mlp":
        return (batch, dims["input"])
    if model.kind == "resnet":
        return (batch, dims["image"], dims["image"], 3)
    if model.kind == "lstm":
        return (dims["steps"], batch, dims["input"])
    return (batch, dims["seq"], dims["model"])


def output_shape(model: ModelSpec, batch: int) -> tuple[int, ...]:
    """The shape of the model's output for `batch` inputs."""
    if model.kind == "mlp":
        return (batch, model.dims["layers"][-1])
    if model.kind == "resnet":
        return (batch, model.dims["classes"])
    if model.kind == "lstm":
        return (model.dims["steps"], batch, model.dims["hidden"])
    return input_shape(model, batch)


def batch(model: ModelSpec, size: int | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Fixed random inputs and targets: integer labels, or a regression target.

    Args:
      model: the model.
      size: examples in the batch (default: the model's training batch).

    Returns:
      `(inputs, targets)` as float32 (and int32 labels) NumPy arrays.
    """
    size = model.batch if size is None else size
    rng = np.random.default_rng(0)
    inputs = rng.standard_normal(input_shape(model, size)).astype(np.float32)
    if model.classifies:
        classes = output_shape(model, size)[-1]
        return inputs, rng.integers(0, classes, size=size).astype(np.int32)
    return inputs, rng.standard_normal(output_shape(model, size)).astype(np.float32)
