"""The models in Flax linen, written as its documentation writes them.

The architectures are those of `haiku_style.py` (Haiku's ResNet v1, its pre-norm transformer
block, an LSTM unrolled over time), built from linen's own layers: `nn.OptimizedLSTMCell`
and `nn.MultiHeadDotProductAttention` lay out their weights their own way, and linen's batch
norm keeps a plain (not zero-debiased) moving average, so the programs differ in detail.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import flax.linen as nn
import jax
import jax.numpy as jnp

from benchmarks import programs, specs


class MLP(nn.Module):
    layers: Sequence[int]

    @nn.compact
    def __call__(self, x: jax.Array, train: bool) -> jax.Array:
        for index, size in enumerate(self.layers):
            x = nn.Dense(size)(x)
            if index < len(self.layers) - 1:
                x = nn.relu(x)
        return x


class Block(nn.Module):
    """Haiku's v1 block: basic (3x3, 3x3) or bottleneck (1x1, 3x3, 1x1), each conv + BN."""

    channels: int
    stride: int
    projection: bool
    bottleneck: bool

    @nn.compact
    def __call__(self, x: jax.Array, train: bool) -> jax.Array:
        def norm(scale_init: Any = nn.initializers.ones) -> nn.BatchNorm:
            return nn.BatchNorm(not train, momentum=0.9, epsilon=1e-5, scale_init=scale_init)

        shortcut = x
        if self.projection:
            shortcut = nn.Conv(self.channels, (1, 1), self.stride, "SAME", use_bias=False)(x)
            shortcut = norm()(shortcut)
        if self.bottleneck:
            inner = self.channels // 4
            layers = [(inner, 1, 1), (inner, 3, self.stride), (self.channels, 1, 1)]
        else:
            layers = [(self.channels, 3, self.stride), (self.channels, 3, 1)]
        for index, (channels, kernel, stride) in enumerate(layers):
            x = nn.Conv(channels, (kernel, kernel), stride, "SAME", use_bias=False)(x)
            last = index == len(layers) - 1
            x = norm(nn.initializers.zeros if last and self.bottleneck else nn.initializers.ones)(x)
            if not last:
                x = nn.relu(x)
        return nn.relu(x + shortcut)


class ResNet(nn.Module):
    dims: Any

    @nn.compact
    def __call__(self, x: jax.Array, train: bool) -> jax.Array:
        x = nn.Conv(64, (7, 7), 2, "SAME", use_bias=False)(x)
        x = nn.relu(nn.BatchNorm(not train, momentum=0.9, epsilon=1e-5)(x))
        x = nn.max_pool(x, (3, 3), (2, 2), "SAME")
        for _, _, width, stride, projection in specs.resnet_blocks(self.dims):
            x = Block(width, stride, projection, self.dims["bottleneck"])(x, train)
        return nn.Dense(self.dims["classes"], kernel_init=nn.initializers.zeros)(
            jnp.mean(x, axis=(1, 2))
        )


class LSTM(nn.Module):
    hidden: int

    @nn.compact
    def __call__(self, x: jax.Array, train: bool) -> Any:
        return nn.RNN(nn.OptimizedLSTMCell(self.hidden), time_major=True)(x)


class TransformerBlock(nn.Module):
    heads: int
    mlp: int

    @nn.compact
    def __call__(self, x: jax.Array, train: bool) -> jax.Array:
        normed = nn.LayerNorm(epsilon=1e-5)(x)
        x = x + nn.MultiHeadDotProductAttention(num_heads=self.heads)(normed, normed)
        hidden = nn.gelu(nn.Dense(self.mlp)(nn.LayerNorm(epsilon=1e-5)(x)))
        return x + nn.Dense(x.shape[-1])(hidden)


def _module(model: specs.ModelSpec) -> nn.Module:
    dims = model.dims
    if model.kind == "mlp":
        return MLP(dims["layers"])
    if model.kind == "resnet":
        return ResNet(dims)
    if model.kind == "lstm":
        return LSTM(dims["hidden"])
    return TransformerBlock(dims["heads"], dims["mlp"])


def build(model: specs.ModelSpec) -> programs.Program:
    """The model as a `Program`: `init`/`apply` of a linen module, `batch_stats` as state."""
    module = _module(model)

    def init(key: jax.Array, x: jax.Array) -> tuple[Any, Any]:
        variables = module.init(key, x, train=False)
        params = variables.pop("params")
        return params, variables

    def train_apply(params: Any, state: Any, x: jax.Array) -> Any:
        if not state:
            return module.apply({"params": params}, x, train=True), state
        return module.apply({"params": params, **state}, x, train=True, mutable=list(state))

    def forward(params: Any, state: Any, x: jax.Array) -> Any:
        return module.apply({"params": params, **state}, x, train=False)

    return programs.Program(init, train_apply, forward, lambda p, s: lambda x: forward(p, s, x))
