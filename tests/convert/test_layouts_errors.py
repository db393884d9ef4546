"""Errors of the layout mapping: each names the module, the variable, both shapes and the fix."""

from typing import Any

import numpy as np
import pytest

from sonnax import convert


def _names(tree: Any) -> dict[str, list[str]]:
    return {module: sorted(names) for module, names in tree.items()}


def _ones(*shape: int) -> np.ndarray:
    return np.ones(shape, np.float32)


def _ema(shape: tuple[int, ...], counter: Any = 2) -> dict[str, np.ndarray]:
    return {"counter": np.asarray(counter), "hidden": _ones(*shape), "average": _ones(*shape)}


def _compat_bn(**params: np.ndarray) -> tuple[dict[str, Any], dict[str, Any]]:
    state = {"bn/~/moving_mean": _ema((1, 3)), "bn/~/moving_variance": _ema((1, 3))}
    return {"bn": params}, state


_LSTM = {"w_i": _ones(3, 8), "w_h": _ones(2, 8), "b": _ones(8)}
_LSTM_SHAPES = [(name, value.shape) for name, value in _LSTM.items()]
ERRORS = {
    "lstm_projection": (
        lambda: convert.to_haiku_layout({"lstm": {**_LSTM, "projection": _ones(2, 2)}}),
        r"module 'lstm': it has a projection of shape \(2, 2\).*modules=\{'lstm': 'none'\}",
    ),
    "lstm_or_gru_ambiguous": (
        lambda: convert.to_haiku_layout({"rnn": {**_LSTM, "w_h": _ones(2, 5)}}),
        r"module 'rnn' is ambiguous.*w_h has shape \(2, 5\), neither \[h, 4h\]",
    ),
    "lstm_b_shape": (
        lambda: convert.to_haiku_layout({"x": {**_LSTM, "b": _ones(6)}}, modules={"x": "lstm"}),
        r"layout 'lstm' of module 'x': b has shape \(6,\), expected \[4 \* hidden_size\]",
    ),
    "lstm_w_h_shape": (
        lambda: convert.to_haiku_layout(
            {"x": {**_LSTM, "w_h": _ones(3, 8)}}, modules={"x": "lstm"}
        ),
        r"module 'x': w_h has shape \(3, 8\), expected \(2, 8\)",
    ),
    "lstm_w_i_shape": (
        lambda: convert.to_haiku_layout(
            {"x": {**_LSTM, "w_i": _ones(3, 4)}}, modules={"x": "lstm"}
        ),
        r"module 'x': w_i has shape \(3, 4\), expected \[input_size, 8\]",
    ),
    "lstm_wrong_names": (
        lambda: convert.to_haiku_layout({"x": {"w": _ones(2, 8)}}, modules={"x": "lstm"}),
        r"layout 'lstm' of module 'x': expected params\['x'\] to hold \['b', 'w_h', 'w_i'\], "
        r"found \['w'\]",
    ),
    "core_lstm_b_shape": (
        lambda: convert.to_compat_layout(
            {"lstm/linear": {"w": _ones(5, 6), "b": _ones(6)}}, modules={"lstm": "lstm"}
        ),
        r"module 'lstm/linear': b has shape \(6,\), expected \[4 \* hidden_size\]",
    ),
    "core_lstm_w_shape": (
        lambda: convert.to_compat_layout({"lstm/linear": {"w": _ones(2, 8), "b": _ones(8)}}),
        r"module 'lstm/linear': w has shape \(2, 8\), expected \[input_size \+ 2, 8\]",
    ),
    "conv_lstm_kernel_gates": (
        lambda: convert.to_haiku_layout(
            {
                "c": {"b": _ones(8)},
                "c/~/input_to_hidden": {"w": _ones(3, 3, 2, 8)},
                "c/~/hidden_to_hidden": {"w": _ones(3, 3, 2, 12)},
            },
            modules={"c": "conv_lstm"},
        ),
        r"layout 'conv_lstm' of module 'c/~/hidden_to_hidden': w has shape \(3, 3, 2, 12\), "
        r"expected \[\*kernel, in, 8\]",
    ),
    "conv_lstm_b_shape": (
        lambda: convert.to_haiku_layout(
            {
                "c": {"b": _ones(4)},
                "c/~/input_to_hidden": {"w": _ones(3, 3, 2, 8)},
                "c/~/hidden_to_hidden": {"w": _ones(3, 3, 2, 8)},
            },
            modules={"c": "conv_lstm"},
        ),
        r"layout 'conv_lstm' of module 'c': b has shape \(4,\), expected \(8,\)",
    ),
    "core_conv_lstm_b_shape": (
        lambda: convert.to_compat_layout(
            {
                "c/input_to_hidden": {"w": _ones(3, 3, 2, 8), "b": _ones(8)},
                "c/hidden_to_hidden": {"w": _ones(3, 3, 2, 8), "b": _ones(4)},
            }
        ),
        r"module 'c/hidden_to_hidden': b has shape \(4,\), expected \(8,\)",
    ),
    "gru_b_shape": (
        lambda: convert.to_haiku_layout(
            {"g": {"w_i": _ones(2, 6), "w_h": _ones(2, 6), "b": _ones(5)}}, modules={"g": "gru"}
        ),
        r"layout 'gru' of module 'g': b has shape \(5,\), expected \[3 \* hidden_size\]",
    ),
    "gru_w_h_shape": (
        lambda: convert.to_haiku_layout(
            {"g": {"w_i": _ones(2, 6), "w_h": _ones(3, 6), "b": _ones(6)}}, modules={"g": "gru"}
        ),
        r"module 'g': w_h has shape \(3, 6\), expected \(2, 6\)",
    ),
    "gru_w_i_shape": (
        lambda: convert.to_haiku_layout(
            {"g": {"w_i": _ones(2, 3), "w_h": _ones(2, 6), "b": _ones(6)}}, modules={"g": "gru"}
        ),
        r"module 'g': w_i has shape \(2, 3\), expected \[input_size, 6\]",
    ),
    "batch_norm_counter": (
        lambda: convert.to_haiku_layout(
            {}, {"bn/~/moving_mean": _ema((1, 3), [1, 2]), "bn/~/moving_variance": _ema((1, 3))}
        ),
        r"module 'bn/~/moving_mean': counter has shape \(2,\), expected a scalar that fits int32",
    ),
    "batch_norm_counter_too_big": (
        lambda: convert.to_haiku_layout(
            {}, {"bn/~/moving_mean": _ema((1, 3), 2**40), "bn/~/moving_variance": _ema((1, 3))}
        ),
        r"counter has shape \(\), expected a scalar that fits int32",
    ),
    "batch_norm_average_shapes": (
        lambda: convert.to_haiku_layout(
            {}, {"bn/~/moving_mean": _ema((1, 3)), "bn/~/moving_variance": _ema((1, 4))}
        ),
        r"module 'bn': the moving averages has shape \(1, 3\), expected one shape for all",
    ),
    "batch_norm_scale_size": (
        lambda: convert.to_haiku_layout(*_compat_bn(scale=_ones(4))),
        r"module 'bn': scale has shape \(4,\), expected 3 elements \(one per channel\)",
    ),
    "batch_norm_other_param": (
        lambda: convert.to_haiku_layout(*_compat_bn(gamma=_ones(3))),
        r"params\['bn'\]\['gamma'\] has shape \(3,\), expected only scale / offset",
    ),
    "batch_norm_state_scale_not_ones": (
        lambda: convert.to_haiku_layout({}, {**_compat_bn()[1], "bn": {"scale": _ones(3) * 2}}),
        r"state\['bn'\]\['scale'\] is not the constant sonnax.compat makes",
    ),
    "core_batch_norm_stats_layout": (
        lambda: convert.to_compat_layout(
            {"bn": {"scale": _ones(1, 3, 2)}},
            {"bn/~/mean_ema": _ema((1, 3, 2)), "bn/~/var_ema": _ema((1, 3, 2))},
        ),
        r"module 'bn': the moving averages has shape \(1, 3, 2\), expected \[1, ..., 1, C\]",
    ),
    "conv_bias_rank": (
        lambda: convert.to_haiku_layout(
            {"c": {"w": _ones(3, 3, 2, 4), "b": _ones(4, 1)}}, modules={"c": "conv:channels_first"}
        ),
        r"layout 'conv' of module 'c': b has shape \(4, 1\), expected \[output_channels\]",
    ),
    "core_conv_bias_shape": (
        lambda: convert.to_compat_layout(
            {"c": {"w": _ones(3, 3, 2, 4), "b": _ones(4, 2, 2)}}, modules={"c": "conv"}
        ),
        r"module 'c': b has shape \(4, 2, 2\), expected \[C\] or \[C, 1, ...\]",
    ),
    "conv_transpose_rank": (
        lambda: convert.to_haiku_layout(
            {"up": {"w": _ones(3, 4)}}, modules={"up": "conv_transpose"}
        ),
        r"layout 'conv_transpose' of module 'up': w has shape \(3, 4\), expected \[\*kernel",
    ),
    "conv_transpose_names": (
        lambda: convert.to_haiku_layout(
            {"up": {"kernel": _ones(3, 4, 4)}}, modules={"up": "conv_transpose"}
        ),
        r"expected params\['up'\] to hold \['w'\], found \['kernel'\]",
    ),
    "depthwise_rank": (
        lambda: convert.to_haiku_layout(
            {"dw": {"w": _ones(3, 3, 4)}}, modules={"dw": "depthwise_conv"}
        ),
        r"module 'dw': w has shape \(3, 3, 4\), expected \[height, width, in, multiplier\]",
    ),
    "core_depthwise_multiplier": (
        lambda: convert.to_compat_layout(
            {"dw": {"w": _ones(3, 3, 1, 5)}}, modules={"dw": "depthwise_conv:multiplier=2"}
        ),
        r"module 'dw': w has shape \(3, 3, 1, 5\), expected \[height, width, 1, in \* 2\]",
    ),
    "unknown_kind": (
        lambda: convert.to_haiku_layout({"x": {"w": _ones(2)}}, modules={"x": "lsmt"}),
        r"modules\['x'\] = 'lsmt': unknown layout 'lsmt'; expected one of \['batch_norm'",
    ),
    "unknown_option": (
        lambda: convert.to_haiku_layout({"x": {"w": _ones(2)}}, modules={"x": "conv:nchw"}),
        r"modules\['x'\] = 'conv:nchw': unknown option 'nchw'",
    ),
    "missing_module": (
        lambda: convert.to_haiku_layout({"x": {"w": _ones(2)}}, modules={"lstm": "lstm"}),
        r"modules\['lstm'\] = 'lstm': no such module; a 'lstm' at 'lstm' holds "
        r"\[\"params\['lstm'\]\"\]",
    ),
    "collision": (
        lambda: convert.to_haiku_layout({"lstm": _LSTM, "lstm/linear": {"w": _ones(2, 2)}}),
        r"params\['lstm/linear'\] is both made by a mapped module and already present",
    ),
}


@pytest.mark.parametrize("name", sorted(ERRORS))
def test_errors_name_the_module_and_the_fix(name: str) -> None:
    call, match = ERRORS[name]
    with pytest.raises(convert.UnsupportedError, match=match):
        call()


def test_none_keeps_a_module_and_names_override_detection() -> None:
    params = {"lstm": _LSTM, "conv2_d_transpose": {"w": np.arange(8.0).reshape(2, 1, 2, 2)}}
    kept, _ = convert.to_haiku_layout(params, modules={"lstm": "none", "conv2_d_transpose": "none"})
    assert _names(kept) == _names(params)
    flipped, _ = convert.to_haiku_layout(params, modules={"lstm": "none"})
    np.testing.assert_array_equal(
        flipped["conv2_d_transpose"]["w"], params["conv2_d_transpose"]["w"][::-1]
    )


def test_a_mapped_module_may_not_land_on_a_streamed_one() -> None:
    from sonnax.convert._mapping import layouts, names  # noqa: PLC0415

    def placement(module: str, name: str, shape: tuple[int, ...]) -> names.Placement:
        info = convert.TensorInfo(name, name, None, "variable", None, np.dtype("float32"), shape, 0)
        return names.Placement(info, "params", module, name)

    placements = [placement("lstm", n, s) for n, s in _LSTM_SHAPES] + [
        placement("lstm/linear", "w", (5, 8))
    ]
    with pytest.raises(convert.UnsupportedError, match=r"params\['lstm/linear'\] is both made by"):
        layouts.map_placements(placements, lambda p: np.ones(p.info.shape, np.float32), None)
