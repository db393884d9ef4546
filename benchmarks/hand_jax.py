"""The models in hand-written JAX: explicit parameter dicts and `jax.numpy`, no library.

This is the baseline every library is measured against. Each model does the arithmetic of
its Haiku counterpart (`haiku_style.py`) op for op (Haiku's ResNet v1 with its batch norm's
zero-debiased moving averages, Haiku's LSTM gate layout, Haiku's attention), so that a
library costing nothing compiles to the same program; `hlo.py` checks that it does.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterator
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np
from jax import lax

from benchmarks import programs, specs

Params = dict[str, dict[str, jax.Array]]

_TRUNCATED_NORMAL_STDDEV = 0.87962566103423978  # Of a standard normal truncated to [-2, 2].
_BN_DECAY = 0.9
_EPS = 1e-5


def _truncated_normal(key: jax.Array, shape: tuple[int, ...], stddev: float) -> jax.Array:
    unit = jax.random.truncated_normal(key, -2.0, 2.0, shape, jnp.float32)
    return unit * (stddev / _TRUNCATED_NORMAL_STDDEV)


def _linear_init(key: jax.Array, fan_in: int, fan_out: int, zero: bool = False) -> Any:
    w = jnp.zeros([fan_in, fan_out]) if zero else None
    if w is None:
        w = _truncated_normal(key, (fan_in, fan_out), 1.0 / np.sqrt(fan_in))
    return {"w": w, "b": jnp.zeros([fan_out])}


def _linear(p: dict[str, jax.Array], x: jax.Array) -> jax.Array:
    out = jnp.dot(x, p["w"])
    return out + jnp.broadcast_to(p["b"], out.shape)


def _keys(key: jax.Array) -> Iterator[jax.Array]:
    while True:
        key, subkey = jax.random.split(key)
        yield subkey


# --- MLP ------------------------------------------------------------------------------------


def _mlp_init(dims: Any, key: jax.Array) -> Params:
    sizes = (dims["input"], *dims["layers"])
    keys = _keys(key)
    return {
        f"linear_{i}": _linear_init(next(keys), a, b)
        for i, (a, b) in enumerate(itertools.pairwise(sizes))
    }


def _mlp(params: Params, x: jax.Array) -> jax.Array:
    for i in range(len(params)):
        x = _linear(params[f"linear_{i}"], x)
        if i < len(params) - 1:
            x = jax.nn.relu(x)
    return x


# --- ResNet v1 (Haiku's) --------------------------------------------------------------------


def _resnet_layers(dims: Any) -> Iterator[tuple[str, int, int, int]]:
    """`(name, kernel, output channels, stride)` of every convolution, in call order.

    A block's shortcut projection is `<block>/shortcut`; the others are `<block>/conv_<i>`.
    """
    yield "initial", 7, 64, 2
    for group, index, width, stride, projection in specs.resnet_blocks(dims):
        name = f"block_{group}_{index}"
        if projection:
            yield f"{name}/shortcut", 1, width, stride
        if dims["bottleneck"]:
            yield f"{name}/conv_0", 1, width // 4, 1
            yield f"{name}/conv_1", 3, width // 4, stride
            yield f"{name}/conv_2", 1, width, 1
        else:
            yield f"{name}/conv_0", 3, width, stride
            yield f"{name}/conv_1", 3, width, 1


def _ema_init(channels: int) -> dict[str, jax.Array]:
    zeros = jnp.zeros([1, 1, 1, channels])
    return {"counter": jnp.zeros([], jnp.int32), "hidden": zeros, "average": zeros}


def _resnet_init(dims: Any, key: jax.Array) -> tuple[Params, Params]:
    params: Params = {}
    state: Params = {}
    keys, previous = _keys(key), 3
    block_inputs: dict[str, int] = {}
    for name, kernel, channels, _ in _resnet_layers(dims):
        block, _, leaf = name.rpartition("/")
        # A block's shortcut and first convolution both read the block's input.
        fan_in = (
            block_inputs.setdefault(block, previous) if leaf in ("shortcut", "conv_0") else previous
        )
        shape = (kernel, kernel, fan_in, channels)
        params[name] = {
            "w": _truncated_normal(next(keys), shape, 1.0 / np.sqrt(np.prod(shape[:-1])))
        }
        # The last batch norm of a bottleneck starts at zero scale, as Haiku's does.
        scale = jnp.zeros if leaf == "conv_2" else jnp.ones
        params[f"{name}/bn"] = {
            "scale": scale([1, 1, 1, channels]),
            "offset": jnp.zeros([1, 1, 1, channels]),
        }
        state[f"{name}/bn/mean"] = _ema_init(channels)
        state[f"{name}/bn/var"] = _ema_init(channels)
        if leaf != "shortcut":
            previous = channels
    params["logits"] = _linear_init(next(keys), previous, dims["classes"], zero=True)
    return params, state


def _ema(state: dict[str, jax.Array], value: jax.Array) -> dict[str, jax.Array]:
    counter = state["counter"] + 1
    decay = lax.convert_element_type(_BN_DECAY, value.dtype)
    one = jnp.ones([], value.dtype)
    hidden = state["hidden"] * decay + value * (one - decay)
    return {
        "counter": counter,
        "hidden": hidden,
        "average": hidden / (one - jnp.power(decay, counter)),
    }


def _batch_norm(
    params: Params, state: Params, name: str, x: jax.Array, training: bool
) -> jax.Array:
    """Normalizes `x`; in training, writes the updated moving averages into `state`."""
    axis = (0, 1, 2)
    if training:
        mean = jnp.mean(x, axis, keepdims=True)
        var = jnp.mean(jnp.square(x), axis, keepdims=True) - jnp.square(mean)
        state[f"{name}/mean"] = _ema(state[f"{name}/mean"], mean)
        state[f"{name}/var"] = _ema(state[f"{name}/var"], var)
    else:
        mean = state[f"{name}/mean"]["average"].astype(x.dtype)
        var = state[f"{name}/var"]["average"].astype(x.dtype)
    eps = lax.convert_element_type(_EPS, var.dtype)
    inv = params[name]["scale"] * lax.rsqrt(var + eps)
    return (x - mean) * inv + params[name]["offset"]


def _conv_bn(
    params: Params, state: Params, name: str, x: jax.Array, stride: int, training: bool
) -> jax.Array:
    x = lax.conv_general_dilated(
        x,
        params[name]["w"],
        window_strides=(stride, stride),
        padding="SAME",
        dimension_numbers=("NHWC", "HWIO", "NHWC"),
    )
    return _batch_norm(params, state, f"{name}/bn", x, training)


def _resnet(
    dims: Any, params: Params, state: Params, x: jax.Array, training: bool
) -> tuple[jax.Array, Params]:
    state = dict(state)
    layers = list(_resnet_layers(dims))
    x = jax.nn.relu(_conv_bn(params, state, "initial", x, 2, training))
    x = lax.reduce_window(x, -jnp.inf, lax.max, (1, 3, 3, 1), (1, 2, 2, 1), "SAME")
    blocks = dict.fromkeys(name.rsplit("/", 1)[0] for name, *_ in layers[1:])
    for block in blocks:
        shortcut = out = x
        convs = [(n, s) for n, _, _, s in layers if n.startswith(f"{block}/conv")]
        if f"{block}/shortcut" in params:
            stride = next(s for n, _, _, s in layers if n == f"{block}/shortcut")
            shortcut = _conv_bn(params, state, f"{block}/shortcut", shortcut, stride, training)
        for index, (name, stride) in enumerate(convs):
            out = _conv_bn(params, state, name, out, stride, training)
            if index < len(convs) - 1:
                out = jax.nn.relu(out)
        x = jax.nn.relu(out + shortcut)
    return _linear(params["logits"], jnp.mean(x, axis=(1, 2))), state


# --- LSTM (Haiku's gate layout) -------------------------------------------------------------


def _lstm(params: Params, x: jax.Array) -> jax.Array:
    hidden_size = params["lstm"]["b"].shape[0] // 4
    zeros = jnp.zeros([hidden_size])
    initial = (jnp.broadcast_to(zeros, (x.shape[1], hidden_size)),) * 2

    def step(carry: tuple[jax.Array, jax.Array], inputs: jax.Array) -> Any:
        hidden, cell = carry
        gates = _linear(params["lstm"], jnp.concatenate([inputs, hidden], axis=-1))
        input_gate, candidate, forget_gate, output_gate = jnp.split(gates, 4, axis=-1)
        cell = jax.nn.sigmoid(forget_gate + 1) * cell + jax.nn.sigmoid(input_gate) * jnp.tanh(
            candidate
        )
        hidden = jax.nn.sigmoid(output_gate) * jnp.tanh(cell)
        return (hidden, cell), hidden

    _, outputs = lax.scan(step, initial, x)
    return outputs


# --- Transformer block (Haiku's attention) --------------------------------------------------


def _transformer_init(dims: Any, key: jax.Array) -> Params:
    model, keys = dims["model"], _keys(key)
    norm = {"scale": jnp.ones([model]), "offset": jnp.zeros([model])}
    params = {
        name: _linear_init(next(keys), model, model) for name in ("query", "key", "value", "output")
    }
    params.update(norm_0=norm, norm_1=dict(norm))
    params["mlp_0"] = _linear_init(next(keys), model, dims["mlp"])
    params["mlp_1"] = _linear_init(next(keys), dims["mlp"], model)
    return params


def _layer_norm(p: dict[str, jax.Array], x: jax.Array) -> jax.Array:
    mean = jnp.mean(x, axis=-1, keepdims=True)
    variance = jnp.var(x, axis=-1, keepdims=True)
    inv = p["scale"] * lax.rsqrt(variance + lax.convert_element_type(_EPS, variance.dtype))
    return inv * (x - mean) + p["offset"]


def _transformer(dims: Any, params: Params, x: jax.Array) -> jax.Array:
    heads = dims["heads"]
    key_size = dims["model"] // heads
    normed = _layer_norm(params["norm_0"], x)
    q, k, v = (
        _linear(params[n], normed).reshape((*x.shape[:-1], heads, key_size))
        for n in ("query", "key", "value")
    )
    logits = jnp.einsum("...thd,...Thd->...htT", q, k) / np.sqrt(key_size).astype(x.dtype)
    attended = jnp.einsum("...htT,...Thd->...thd", jax.nn.softmax(logits), v)
    x = x + _linear(params["output"], attended.reshape(x.shape))
    hidden = jax.nn.gelu(_linear(params["mlp_0"], _layer_norm(params["norm_1"], x)))
    return x + _linear(params["mlp_1"], hidden)


def build(model: specs.ModelSpec) -> programs.Program:
    """The model as a `Program` of pure functions over explicit parameter dicts."""
    dims = model.dims
    if model.kind == "resnet":
        return programs.Program(
            init=lambda key, x: _resnet_init(dims, key),
            train_apply=lambda p, s, x: _resnet(dims, p, s, x, True),
            forward=lambda p, s, x: _resnet(dims, p, s, x, False)[0],
            bind=lambda p, s: lambda x: _resnet(dims, p, s, x, False)[0],
        )
    init: Callable[[jax.Array], Params]
    apply: Callable[[Params, jax.Array], jax.Array]
    if model.kind == "mlp":
        init, apply = (lambda key: _mlp_init(dims, key)), _mlp
    elif model.kind == "lstm":
        shape = (dims["input"] + dims["hidden"], 4 * dims["hidden"])
        init, apply = (lambda key: {"lstm": _linear_init(key, *shape)}), _lstm
    else:
        init, apply = (
            (lambda key: _transformer_init(dims, key)),
            (lambda p, x: _transformer(dims, p, x)),
        )
    return programs.Program(
        init=lambda key, x: (init(key), {}),
        train_apply=lambda p, s, x: (apply(p, x), s),
        forward=lambda p, s, x: apply(p, x),
        bind=lambda p, s: lambda x: apply(p, x),
    )
