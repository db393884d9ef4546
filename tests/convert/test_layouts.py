"""`to_haiku_layout` / `to_compat_layout`: the core modules give the compat modules' outputs."""

import dataclasses
from collections.abc import Callable
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import sonnax as snx
from sonnax import compat as snt
from sonnax import convert
from sonnax.convert.__main__ import main

STATE_SEED = 3
LSTM_FORGET_BIAS = 2.5  # Not Sonnet's default 1, and not the core's built-in 1.


@dataclasses.dataclass(frozen=True)
class Pair:
    """A compat function and the core function that should give its outputs."""

    name: str
    compat: Callable[..., Any]
    core: Callable[..., Any]
    input_shape: tuple[int, ...]
    modules: dict[str, str] | None = None
    inverse_modules: dict[str, str] | None = None


def _lstm_steps(core: Any, x: jax.Array) -> Any:
    state = core.initial_state(x.shape[1])
    outputs = []
    for t in range(x.shape[0]):
        out, state = core(x[t], state)
        outputs.append(out)
    return jnp.stack(outputs), state


def _batch_norm(module: Callable[..., Any]) -> Callable[..., Any]:
    def run(x: jax.Array) -> Any:
        bn = module()
        # Inference first: Sonnet's rank-4 update of the moving variance is Bessel-corrected
        # and the core's is not, so a training call first would move the averages apart.
        return bn(x, is_training=False), bn(x * 2 + 1, is_training=True)

    return run


PAIRS = [
    Pair(
        "lstm",
        lambda x: _lstm_steps(snt.LSTM(5, forget_bias=LSTM_FORGET_BIAS), x),
        lambda x: _lstm_steps(snx.LSTM(5), x),
        (3, 2, 4),
    ),
    Pair(
        "unrolled_lstm",
        lambda x: snt.UnrolledLSTM(3)(x, snt.UnrolledLSTM(3, name="unused").initial_state(2)),
        lambda x: snx.dynamic_unroll(
            snx.LSTM(3, name="unrolled_lstm"), x, snx.LSTM(3, name="unused").initial_state(2)
        ),
        (4, 2, 3),
    ),
    Pair(
        "lstm_custom_name",
        lambda x: _lstm_steps(snt.LSTM(4, name="encoder"), x),
        lambda x: _lstm_steps(snx.LSTM(4, name="encoder"), x),
        (2, 3, 2),
        modules={"encoder": "lstm"},
        inverse_modules={"encoder": "lstm"},
    ),
    Pair(
        "conv2d_lstm",
        lambda x: _lstm_steps(
            snt.Conv2DLSTM((4, 4, 2), 3, (3, 2), forget_bias=2.0, name="clstm"), x
        ),
        lambda x: _lstm_steps(snx.Conv2DLSTM([4, 4], 3, (3, 2), name="clstm"), x),
        (2, 2, 4, 4, 2),
    ),
    Pair(
        "gru", lambda x: _lstm_steps(snt.GRU(4), x), lambda x: _lstm_steps(snx.GRU(4), x), (3, 2, 3)
    ),
    Pair(
        "batch_norm_nhwc",
        _batch_norm(lambda: snt.BatchNorm(True, True, decay_rate=0.9)),
        _batch_norm(lambda: snx.BatchNorm(True, True, decay_rate=0.9)),
        (3, 4, 4, 3),
    ),
    Pair(
        "batch_norm_no_scale_rank2",
        _batch_norm(lambda: snt.BatchNorm(False, True, decay_rate=0.5)),
        _batch_norm(lambda: snx.BatchNorm(False, True, decay_rate=0.5)),
        (5, 3),
    ),
    Pair(
        "batch_norm_nchw_no_offset",
        _batch_norm(lambda: snt.BatchNorm(True, False, decay_rate=0.9, data_format="NCHW")),
        _batch_norm(lambda: snx.BatchNorm(True, False, decay_rate=0.9, data_format="NCHW")),
        (2, 3, 4, 4),
        inverse_modules={"batch_norm": "batch_norm:channels_first"},
    ),
    Pair(
        "conv1d_transpose",
        lambda x: snt.Conv1DTranspose(3, 4, stride=2)(x),
        lambda x: snx.Conv1DTranspose(3, 4, stride=2)(x),
        (2, 5, 2),
    ),
    Pair(
        "conv2d_transpose",
        lambda x: snt.Conv2DTranspose(4, (3, 2), stride=2)(x),
        lambda x: snx.Conv2DTranspose(4, (3, 2), stride=2)(x),
        (2, 5, 6, 3),
    ),
    Pair(
        "conv2d_transpose_valid",
        lambda x: snt.Conv2DTranspose(2, (3, 2), stride=2, padding="VALID")(x),
        lambda x: snx.Conv2DTranspose(2, (3, 2), stride=2, padding="VALID", output_shape=(10, 9))(
            x
        ),
        (2, 4, 4, 3),
    ),
    Pair(
        "conv2d_transpose_nchw_named",
        lambda x: snt.Conv2DTranspose(4, (2, 3), stride=2, data_format="NCHW", name="up")(x),
        lambda x: snx.Conv2DTranspose(4, (2, 3), stride=2, data_format="NCHW", name="up")(x),
        (2, 3, 4, 5),
        modules={"up": "conv_transpose:channels_first"},
        inverse_modules={"up": "conv_transpose"},
    ),
    Pair(
        "conv3d_transpose",
        lambda x: snt.Conv3DTranspose(2, (3, 2, 1), stride=2)(x),
        lambda x: snx.Conv3DTranspose(2, (3, 2, 1), stride=2)(x),
        (1, 3, 4, 2, 2),
    ),
    Pair(
        "depthwise_conv2d",
        lambda x: snt.DepthwiseConv2D((3, 2), channel_multiplier=2, stride=2)(x),
        lambda x: snx.DepthwiseConv2D(2, (3, 2), stride=2)(x),
        (2, 6, 5, 3),
        inverse_modules={"depthwise_conv2_d": "depthwise_conv:multiplier=2"},
    ),
    Pair(
        "depthwise_conv2d_nchw",
        lambda x: snt.DepthwiseConv2D(3, data_format="NCHW", name="dw")(x),
        lambda x: snx.DepthwiseConv2D(1, 3, data_format="NCHW", name="dw")(x),
        (2, 3, 5, 5),
        modules={"dw": "depthwise_conv:channels_first"},
        inverse_modules={"dw": "depthwise_conv"},
    ),
    Pair(
        "conv2d_nchw",
        lambda x: snt.Conv2D(4, 3, data_format="NCHW")(x),
        lambda x: snx.Conv2D(4, 3, data_format="NCHW")(x),
        (2, 3, 5, 5),
        modules={"conv2_d": "conv:channels_first"},
    ),
    Pair(
        "unchanged_mlp_conv_layer_norm",
        lambda x: snt.LayerNorm(-1, True, True)(snt.Linear(4)(snt.Conv2D(3, 2)(x))),
        lambda x: snx.LayerNorm(-1, True, True)(snx.Linear(4)(snx.Conv2D(3, 2)(x))),
        (2, 4, 4, 2),
    ),
]


def _perturbed(tree: Any, seed: int) -> dict[str, dict[str, np.ndarray]]:
    """Every leaf moved off its initial value: floats by noise, counters to a positive count."""
    rng = np.random.default_rng(seed)
    result: dict[str, dict[str, np.ndarray]] = {}
    for module, names in tree.items():
        for name, value in names.items():
            value = np.asarray(value)
            if module == "batch_norm" and seed == STATE_SEED:
                new = value  # compat's constant scale / offset without create_scale / _offset
            elif np.issubdtype(value.dtype, np.floating):
                noise = rng.uniform(0.2, 0.6, value.shape).astype(value.dtype)
                # Variances stay positive; everything else moves either way.
                new = value + (
                    noise if "variance" in module else noise * rng.choice([-1, 1], value.shape)
                )
            else:
                new = np.full_like(value, 7)
            result.setdefault(module, {})[name] = new
    return result


def _outputs(pair: Pair, run: bool = True) -> tuple[Any, Any, Any, Any, Any]:
    x = np.random.default_rng(1).standard_normal(pair.input_shape).astype(np.float32)
    compat = snx.transform_with_state(pair.compat)
    initial = compat.init(jax.random.PRNGKey(0), x)
    params, state = _perturbed(initial[0], 2), _perturbed(initial[1], STATE_SEED)
    core_params, core_state = convert.to_haiku_layout(params, state, modules=pair.modules)
    if not run:
        return params, state, None, None, (core_params, core_state)
    expected = compat.apply(params, state, None, x)
    got = snx.transform_with_state(pair.core).apply(core_params, core_state, None, x)
    return params, state, expected, got, (core_params, core_state)


@pytest.mark.parametrize("pair", PAIRS, ids=lambda pair: pair.name)
def test_core_module_gives_the_compat_outputs(pair: Pair) -> None:
    with jax.default_matmul_precision("highest"):
        _, _, (expected, _), (got, _), _ = _outputs(pair)
    expected, got = jax.tree.leaves(expected), jax.tree.leaves(got)
    assert len(expected) == len(got)
    for e, g in zip(expected, got, strict=True):
        np.testing.assert_allclose(g, e, rtol=1e-5, atol=1e-5)


def _names(tree: Any) -> dict[str, list[str]]:
    return {module: sorted(names) for module, names in tree.items()}


@pytest.mark.parametrize("pair", PAIRS, ids=lambda pair: pair.name)
def test_inverse_gives_back_the_compat_variables(pair: Pair) -> None:
    params, state, _, _, (core_params, core_state) = _outputs(pair, run=False)
    back_params, back_state = convert.to_compat_layout(
        core_params, core_state, modules=pair.inverse_modules
    )
    # The compat BatchNorm's constant state scale/offset (create_*=False) is not made again.
    state = {m: {k: v for k, v in n.items() if m != "batch_norm"} for m, n in state.items()}
    state = {m: n for m, n in state.items() if n}
    assert _names(back_params) == _names(params)
    assert _names(back_state) == _names(state)
    for tree, back in ((params, back_params), (state, back_state)):
        for module, names in tree.items():
            for name, value in names.items():
                assert back[module][name].dtype == value.dtype, (module, name)
                if name == "b" and "lstm" in pair.name:  # b - 1 + 1: exact up to its last bit
                    np.testing.assert_allclose(back[module][name], value, rtol=0, atol=2.4e-7)
                else:
                    np.testing.assert_array_equal(
                        back[module][name], value, err_msg=f"{module}/{name}"
                    )


def test_tf_sonnet_checkpoint_runs_in_the_core_modules(tmp_path: Any) -> None:
    import sonnet  # noqa: PLC0415 - TensorFlow only in the tests that compare with it.
    import tensorflow as tf  # noqa: PLC0415

    tf.config.experimental.enable_tensor_float_32_execution(False)
    rng = np.random.default_rng(4)
    sequence = rng.standard_normal((3, 2, 4)).astype(np.float32)
    images = rng.standard_normal((2, 3, 3, 4)).astype(np.float32)
    lstm, bn = sonnet.LSTM(5, forget_bias=3.0), sonnet.BatchNorm(True, True, decay_rate=0.8)
    lstm(tf.constant(sequence[0]), lstm.initial_state(2))
    for step in range(3):  # moving statistics off zero, counters at 3
        bn(tf.constant(images * (step + 1)), is_training=True)
    for variable in lstm.variables + (bn.scale, bn.offset):
        variable.assign_add(rng.uniform(-0.5, 0.5, variable.shape).astype(np.float32))
    state = lstm.initial_state(2)
    expected_sequence = []
    for inputs in sequence:
        output, state = lstm(tf.constant(inputs), state)
        expected_sequence.append(output.numpy())
    expected_images = bn(tf.constant(images), is_training=False)
    prefix = tf.train.Checkpoint(lstm=lstm, bn=bn).write(str(tmp_path / "ckpt"))

    with convert.open_checkpoint(prefix) as checkpoint:
        converted = convert.to_params(checkpoint)
    params, state = convert.to_haiku_layout(converted.params, converted.state)
    assert sorted(params) == ["batch_norm", "lstm/linear"]
    assert sorted(state) == ["batch_norm/~/mean_ema", "batch_norm/~/var_ema"]
    assert state["batch_norm/~/mean_ema"]["counter"] == 3

    def core(sequence: jax.Array, images: jax.Array) -> Any:
        outputs, _ = _lstm_steps(snx.LSTM(5), sequence)
        return outputs, snx.BatchNorm(True, True, 0.8)(images, is_training=False)

    with jax.default_matmul_precision("highest"):
        got = snx.transform_with_state(core).apply(params, state, None, sequence, images)[0]
    np.testing.assert_allclose(got[0], np.stack(expected_sequence), rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(got[1], expected_images.numpy(), rtol=1e-5, atol=1e-5)

    # The CLI's --layout haiku writes the same arrays (mapped modules read whole, others streamed).
    out = tmp_path / "out.npz"
    assert main([prefix, str(out), "--layout", "haiku", "--quiet"]) == 0
    for got_tree, want_tree in zip(convert.load(out), (params, state), strict=True):
        assert _names(got_tree) == _names(want_tree)
        for module, names in want_tree.items():
            for name, value in names.items():
                np.testing.assert_array_equal(got_tree[module][name], value)
    with pytest.raises(
        convert.UnsupportedError, match=r"convert: layout 'flax'; expected 'compat'"
    ):
        convert.convert(prefix, tmp_path / "never.npz", layout="flax")

    # from_checkpoint and from_module give the same trees with layout="haiku".
    container = tf.Module()
    container.lstm, container.bn = lstm, bn
    for source in (
        convert.from_checkpoint(prefix, layout="haiku"),
        convert.from_module(container, layout="haiku"),
    ):
        for got_tree, want_tree in zip(source, (params, state), strict=True):
            assert _names(got_tree) == _names(want_tree)
            for module, names in want_tree.items():
                for name, value in names.items():
                    np.testing.assert_array_equal(got_tree[module][name], value)
    with pytest.raises(convert.UnsupportedError, match=r"^layout 'flax'; expected 'compat' or"):
        convert.from_checkpoint(prefix, layout="flax")
    with pytest.raises(convert.UnsupportedError, match=r"^layout 'flax'; expected 'compat' or"):
        convert.from_module(container, layout="flax")


def test_cli_layout_module_needs_path_and_kind(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit, match="2"):
        main(["src", "out.npz", "--layout", "haiku", "--layout-module", "encoder"])
    assert "bad layout module 'encoder': expected PATH=KIND" in capsys.readouterr().err
