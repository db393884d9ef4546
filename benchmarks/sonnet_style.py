"""The models in Sonnet 2's API: one source, run on TF Sonnet or on `sonnax.compat`.

`snt` is `sonnet` or `sonnax.compat`, and `ops` the few tensor functions the models call
directly (`TF_OPS` or `JAX_OPS`): what a port changes is the import and those calls. Sonnet
has no basic-block ResNet (ResNet-18) and no attention module, so those two are written here
from its layers, in the shapes of Haiku's (`haiku_style.py`). Nothing here imports TensorFlow.
"""

from __future__ import annotations

import functools
import types
from collections.abc import Callable
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np
from jax import lax

from benchmarks import haiku_style, programs, specs

JAX_OPS = types.SimpleNamespace(
    relu=jax.nn.relu,
    gelu=jax.nn.gelu,
    softmax=jax.nn.softmax,
    einsum=jnp.einsum,
    reshape=jnp.reshape,
    mean=jnp.mean,
    max_pool=lambda x: lax.reduce_window(x, -jnp.inf, lax.max, (1, 3, 3, 1), (1, 2, 2, 1), "SAME"),
)


def tf_ops() -> types.SimpleNamespace:
    """`JAX_OPS`' counterparts in TensorFlow (imported here, on first use)."""
    import tensorflow as tf

    return types.SimpleNamespace(
        relu=tf.nn.relu,
        gelu=functools.partial(tf.nn.gelu, approximate=True),  # jax.nn.gelu's default.
        softmax=tf.nn.softmax,
        einsum=tf.einsum,
        reshape=tf.reshape,
        mean=tf.reduce_mean,
        max_pool=lambda x: tf.nn.max_pool2d(x, 3, 2, "SAME"),
    )


def _basic_resnet(snt: Any, ops: Any, dims: Any) -> Any:
    """Haiku's ResNet v1 with basic blocks (ResNet-18's), built from Sonnet's layers."""

    def conv(channels: int, kernel: int, stride: int, name: str) -> Any:
        return snt.Conv2D(channels, kernel, stride=stride, with_bias=False, name=name)

    def norm(name: str) -> Any:
        return snt.BatchNorm(create_scale=True, create_offset=True, decay_rate=0.9, name=name)

    class BasicBlock(snt.Module):
        def __init__(self, channels: int, stride: int, projection: bool, name: str):
            super().__init__(name=name)
            self.convs = [conv(channels, 3, stride, "conv_0"), conv(channels, 3, 1, "conv_1")]
            self.norms = [norm("batchnorm_0"), norm("batchnorm_1")]
            self.shortcut = None
            if projection:
                self.shortcut = (
                    conv(channels, 1, stride, "shortcut_conv"),
                    norm("shortcut_batchnorm"),
                )

        def __call__(self, x: Any, is_training: bool) -> Any:
            shortcut = x
            if self.shortcut is not None:
                shortcut = self.shortcut[1](self.shortcut[0](x), is_training=is_training)
            out = ops.relu(self.norms[0](self.convs[0](x), is_training=is_training))
            out = self.norms[1](self.convs[1](out), is_training=is_training)
            return ops.relu(out + shortcut)

    class BasicResNet(snt.Module):
        def __init__(self, name: str = "basic_res_net"):
            super().__init__(name=name)
            self.initial_conv = conv(64, 7, 2, "initial_conv")
            self.initial_norm = norm("initial_batchnorm")
            self.blocks = [
                BasicBlock(width, stride, projection, f"block_{group}_{index}")
                for group, index, width, stride, projection in specs.resnet_blocks(dims)
            ]
            self.logits = snt.Linear(
                dims["classes"], w_init=snt.initializers.Zeros(), name="logits"
            )

        def __call__(self, x: Any, is_training: bool) -> Any:
            x = ops.relu(self.initial_norm(self.initial_conv(x), is_training=is_training))
            x = ops.max_pool(x)
            for block in self.blocks:
                x = block(x, is_training)
            return self.logits(ops.mean(x, axis=(1, 2)))

    return BasicResNet()


def _transformer_block(snt: Any, ops: Any, dims: Any) -> Any:
    """Haiku-shaped pre-norm transformer block from `snt.Linear` and `snt.LayerNorm`."""
    seq, model, heads = dims["seq"], dims["model"], dims["heads"]
    key_size = model // heads

    class TransformerBlock(snt.Module):
        def __init__(self, name: str = "transformer_block"):
            super().__init__(name=name)
            self.norms = [snt.LayerNorm(-1, True, True, name=f"norm_{i}") for i in range(2)]
            self.projections = [snt.Linear(model, name=n) for n in ("query", "key", "value")]
            self.output = snt.Linear(model, name="output")
            self.hidden = snt.Linear(dims["mlp"], name="mlp_0")
            self.out = snt.Linear(model, name="mlp_1")

        def __call__(self, x: Any, is_training: bool) -> Any:
            # Sonnet's Linear takes rank-2 inputs: positions are flattened into the batch.
            batch = x.shape[0]
            flat = ops.reshape(x, [batch * seq, model])
            normed = self.norms[0](flat)
            q, k, v = (
                ops.reshape(p(normed), [batch, seq, heads, key_size]) for p in self.projections
            )
            logits = ops.einsum("bthd,bThd->bhtT", q, k) / np.sqrt(key_size).astype(np.float32)
            attended = ops.einsum("bhtT,bThd->bthd", ops.softmax(logits), v)
            flat = flat + self.output(ops.reshape(attended, [batch * seq, model]))
            flat = flat + self.out(ops.gelu(self.hidden(self.norms[1](flat))))
            return ops.reshape(flat, [batch, seq, model])

    return TransformerBlock()


def make(
    snt: Any, ops: Any, model: specs.ModelSpec
) -> tuple[Callable[[], Any], Callable[..., Any]]:
    """`(construct, call)`: `construct()` builds the module, `call(module, x, is_training)`.

    Args:
      snt: `sonnet` or `sonnax.compat`.
      ops: `tf_ops()` or `JAX_OPS`.
      model: the model.
    """
    dims = model.dims
    if model.kind == "mlp":
        return (lambda: snt.nets.MLP(list(dims["layers"]))), (lambda m, x, is_training: m(x))
    if model.kind == "resnet":
        if dims["bottleneck"]:  # Sonnet's ResNet: bottleneck blocks, each group projecting.
            construct = lambda: snt.nets.ResNet(
                list(dims["blocks"]),
                dims["classes"],
                channels_per_group_list=list(dims["channels"]),
            )
        else:
            construct = lambda: _basic_resnet(snt, ops, dims)
        return construct, (lambda m, x, is_training: m(x, is_training))
    if model.kind == "lstm":

        def unroll(core: Any, x: Any, is_training: bool) -> Any:
            outputs, _ = snt.dynamic_unroll(core, x, core.initial_state(x.shape[1]))
            return outputs

        return (lambda: snt.LSTM(dims["hidden"])), unroll
    return (lambda: _transformer_block(snt, ops, dims)), (
        lambda m, x, is_training: m(x, is_training)
    )


def build_compat(model: specs.ModelSpec) -> programs.Program:
    """The Sonnet source on `sonnax.compat`, transformed by sonnax, trained by compat's Momentum."""
    import sonnax
    from sonnax import compat

    construct, call = make(compat, JAX_OPS, model)
    program = haiku_style.program_of(
        sonnax, lambda x, is_training: call(construct(), x, is_training), model.stateful
    )
    momentum = compat.optimizers.Momentum(programs.LEARNING_RATE, programs.MOMENTUM)
    return program._replace(optimizer=momentum.gradient_transformation())
