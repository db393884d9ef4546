"""The models in Flax nnx, run through `nnx.split`/`nnx.merge` inside `jax.jit`.

Split/merge around plain `jax.jit` is nnx's documented fast path for a training step; the
un-jitted `apply` is the live module called eagerly, as nnx users call it. The architectures
are those of `flax_linen.py`.
"""

from __future__ import annotations

import itertools
from typing import Any

import jax
import jax.numpy as jnp
from flax import nnx

from benchmarks import programs, specs


class MLP(nnx.Module):
    def __init__(self, sizes: tuple[int, ...], rngs: nnx.Rngs):
        self.layers = nnx.List(nnx.Linear(a, b, rngs=rngs) for a, b in itertools.pairwise(sizes))

    def __call__(self, x: jax.Array, train: bool) -> jax.Array:
        for index, layer in enumerate(self.layers):
            x = layer(x)
            if index < len(self.layers) - 1:
                x = nnx.relu(x)
        return x


def _conv(inputs: int, outputs: int, kernel: int, stride: int, rngs: nnx.Rngs) -> nnx.Conv:
    return nnx.Conv(
        inputs, outputs, (kernel, kernel), strides=stride, padding="SAME", use_bias=False, rngs=rngs
    )


def _norm(channels: int, rngs: nnx.Rngs, zero: bool = False) -> nnx.BatchNorm:
    scale_init = nnx.initializers.zeros if zero else nnx.initializers.ones
    return nnx.BatchNorm(channels, momentum=0.9, epsilon=1e-5, scale_init=scale_init, rngs=rngs)


class Block(nnx.Module):
    """Haiku's v1 block: basic (3x3, 3x3) or bottleneck (1x1, 3x3, 1x1), each conv + BN."""

    def __init__(
        self,
        inputs: int,
        channels: int,
        stride: int,
        projection: bool,
        bottleneck: bool,
        rngs: nnx.Rngs,
    ):
        shortcut = [_conv(inputs, channels, 1, stride, rngs), _norm(channels, rngs)]
        self.shortcut = nnx.data(nnx.List(shortcut) if projection else None)
        if bottleneck:
            inner = channels // 4
            layers = [(inputs, inner, 1, 1), (inner, inner, 3, stride), (inner, channels, 1, 1)]
        else:
            layers = [(inputs, channels, 3, stride), (channels, channels, 3, 1)]
        self.convs = nnx.List(_conv(*layer, rngs) for layer in layers)
        last = len(layers) - 1
        self.norms = nnx.List(
            _norm(layer[1], rngs, i == last and bottleneck) for i, layer in enumerate(layers)
        )

    def __call__(self, x: jax.Array, train: bool) -> jax.Array:
        shortcut = x
        if self.shortcut is not None:
            conv, norm = self.shortcut
            shortcut = norm(conv(x), use_running_average=not train)
        for index, (conv, norm) in enumerate(zip(self.convs, self.norms, strict=True)):
            x = norm(conv(x), use_running_average=not train)
            if index < len(self.convs) - 1:
                x = nnx.relu(x)
        return nnx.relu(x + shortcut)


class ResNet(nnx.Module):
    def __init__(self, dims: Any, rngs: nnx.Rngs):
        self.conv = _conv(3, 64, 7, 2, rngs)
        self.norm = _norm(64, rngs)
        layers, inputs = [], 64
        for _, _, width, stride, projection in specs.resnet_blocks(dims):
            layers.append(Block(inputs, width, stride, projection, dims["bottleneck"], rngs))
            inputs = width
        self.blocks = nnx.List(layers)
        self.logits = nnx.Linear(
            inputs, dims["classes"], kernel_init=nnx.initializers.zeros, rngs=rngs
        )

    def __call__(self, x: jax.Array, train: bool) -> jax.Array:
        x = nnx.relu(self.norm(self.conv(x), use_running_average=not train))
        x = nnx.max_pool(x, (3, 3), (2, 2), "SAME")
        for block in self.blocks:
            x = block(x, train)
        return self.logits(jnp.mean(x, axis=(1, 2)))


class LSTM(nnx.Module):
    def __init__(self, inputs: int, hidden: int, rngs: nnx.Rngs):
        self.hidden = hidden
        self.rnn = nnx.RNN(
            nnx.OptimizedLSTMCell(inputs, hidden, rngs=rngs), time_major=True, rngs=False
        )

    def __call__(self, x: jax.Array, train: bool) -> jax.Array:
        zeros = jnp.zeros((x.shape[1], self.hidden), x.dtype)
        return self.rnn(x, initial_carry=(zeros, zeros))


class TransformerBlock(nnx.Module):
    def __init__(self, model: int, heads: int, mlp: int, rngs: nnx.Rngs):
        self.norms = nnx.List([nnx.LayerNorm(model, epsilon=1e-5, rngs=rngs) for _ in range(2)])
        self.attention = nnx.MultiHeadAttention(
            heads, model, decode=False, keep_rngs=False, rngs=rngs
        )
        self.hidden = nnx.Linear(model, mlp, rngs=rngs)
        self.out = nnx.Linear(mlp, model, rngs=rngs)

    def __call__(self, x: jax.Array, train: bool) -> jax.Array:
        x = x + self.attention(self.norms[0](x))
        return x + self.out(nnx.gelu(self.hidden(self.norms[1](x))))


def _module(model: specs.ModelSpec, rngs: nnx.Rngs) -> nnx.Module:
    dims = model.dims
    if model.kind == "mlp":
        return MLP((dims["input"], *dims["layers"]), rngs)
    if model.kind == "resnet":
        return ResNet(dims, rngs)
    if model.kind == "lstm":
        return LSTM(dims["input"], dims["hidden"], rngs)
    return TransformerBlock(dims["model"], dims["heads"], dims["mlp"], rngs)


def _split(module: nnx.Module) -> tuple[Any, Any, Any]:
    """`(graphdef, params, state)`: `nnx.Param`s, then every other variable."""
    graphdef, params, *rest = nnx.split(module, nnx.Param, ...)
    return graphdef, params, rest[0]


def build(model: specs.ModelSpec) -> programs.Program:
    """The model as a `Program`: `nnx.Param`s as params, everything else as state."""
    graphdef, *_ = _split(nnx.eval_shape(lambda: _module(model, nnx.Rngs(0))))

    def init(key: jax.Array, x: jax.Array) -> tuple[Any, Any]:
        _, params, state = _split(_module(model, nnx.Rngs(key)))
        return params, state

    def train_apply(params: Any, state: Any, x: jax.Array) -> tuple[jax.Array, Any]:
        # Copied: the batch statistics are written in this trace, not the caller's.
        module = nnx.merge(graphdef, params, state, copy=True)
        outputs = module(x, train=True)
        return outputs, _split(module)[2]

    def forward(params: Any, state: Any, x: jax.Array) -> jax.Array:
        return nnx.merge(graphdef, params, state)(x, train=False)

    def bind(params: Any, state: Any) -> Any:
        module = nnx.merge(graphdef, params, state)
        return lambda x: module(x, train=False)

    return programs.Program(init, train_apply, forward, bind)
