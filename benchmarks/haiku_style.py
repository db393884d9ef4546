"""The models in Haiku's API: one source, run on dm-haiku or on sonnax (`hk` is either).

Writing them once is what makes the comparison fair: both libraries trace the same user
code, so any difference in time is the library's.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from types import ModuleType
from typing import Any

import jax

from benchmarks import programs, specs


def _transformer_block(hk: ModuleType, dims: Any, x: jax.Array) -> jax.Array:
    """A pre-norm transformer block: self-attention, then a GELU MLP, each residual."""
    attention = hk.MultiHeadAttention(
        num_heads=dims["heads"],
        key_size=dims["model"] // dims["heads"],
        w_init=hk.initializers.VarianceScaling(1.0),
    )
    normed = hk.LayerNorm(axis=-1, create_scale=True, create_offset=True)(x)
    x = x + attention(normed, normed, normed)
    normed = hk.LayerNorm(axis=-1, create_scale=True, create_offset=True)(x)
    hidden = jax.nn.gelu(hk.Linear(dims["mlp"])(normed))
    return x + hk.Linear(dims["model"])(hidden)


def network(hk: ModuleType, model: specs.ModelSpec) -> Callable[[jax.Array, bool], jax.Array]:
    """`f(inputs, is_training) -> outputs`, to be transformed by `hk.transform(_with_state)`."""
    dims = model.dims
    if model.kind == "mlp":
        return lambda x, is_training: hk.nets.MLP(dims["layers"])(x)
    if model.kind == "resnet":
        resnet = functools.partial(
            hk.nets.ResNet,
            dims["blocks"],
            dims["classes"],
            bottleneck=dims["bottleneck"],
            channels_per_group=dims["channels"],
            use_projection=[
                projection for _, index, _, _, projection in specs.resnet_blocks(dims) if index == 0
            ],
        )
        return lambda x, is_training: resnet()(x, is_training)
    if model.kind == "lstm":

        def lstm(x: jax.Array, is_training: bool) -> jax.Array:
            core = hk.LSTM(dims["hidden"])
            outputs, _ = hk.dynamic_unroll(core, x, core.initial_state(x.shape[1]))
            return outputs

        return lstm
    return lambda x, is_training: _transformer_block(hk, dims, x)


def program_of(hk: ModuleType, f: Callable[..., Any], stateful: bool) -> programs.Program:
    """The `Program` of `f(inputs, is_training)`, transformed as its users would."""
    if stateful:
        with_state = hk.transform_with_state(f)
        return programs.Program(
            init=lambda key, x: with_state.init(key, x, True),
            train_apply=lambda p, s, x: with_state.apply(p, s, None, x, True),
            forward=lambda p, s, x: with_state.apply(p, s, None, x, False)[0],
            bind=lambda p, s: lambda x: with_state.apply(p, s, None, x, False)[0],
        )
    pure = hk.without_apply_rng(hk.transform(f))
    return programs.Program(
        init=lambda key, x: (pure.init(key, x, True), {}),
        train_apply=lambda p, s, x: (pure.apply(p, x, True), s),
        forward=lambda p, s, x: pure.apply(p, x, False),
        bind=lambda p, s: lambda x: pure.apply(p, x, False),
    )


def build(hk: ModuleType, model: specs.ModelSpec) -> programs.Program:
    """The model as a `Program` of the library `hk` (`haiku` or `sonnax`)."""
    return program_of(hk, network(hk, model), model.stateful)
