"""Sonnet's `DepthwiseConv2D` kernel `[h, w, in, multiplier]` and the core's `[h, w, 1, in * m]`.

Both run one feature-grouped convolution in which output channel `c * multiplier + k` comes
from input channel `c`, so the core kernel is Sonnet's reshaped (no transposition). Sonnet's
bias is `[in * m]`; the core (Haiku) shapes it `[in * m, 1, 1]` for channels-first inputs.
The core kernel does not say how `in * m` splits, so the way back takes the multiplier from
`modules` (`"depthwise_conv:multiplier=2"`; default 1). Found by the default module name,
`depthwise_conv2_d` (with `_N` suffixes); name others in `modules` as `"depthwise_conv"`
(`"depthwise_conv:channels_first"` for `NCHW` inputs).
"""

import re

from sonnax.convert._mapping.layouts import conv, entries

KIND = "depthwise_conv"
_NAMED = re.compile(r"depthwise_conv2_d(_\d+)?")


def find(params: entries.Shapes, state: entries.Shapes) -> list[str]:
    """Modules named as Sonnet and Haiku name a `DepthwiseConv2D` by default."""
    del state
    return [module for module in conv.named(params, _NAMED) if len(params[module]["w"].shape) == 4]


def _to_haiku(module: str, group: entries.Group, options: entries.Options) -> entries.Group:
    arrays = conv.kernel_arrays(module, group, KIND)
    w = arrays["w"]
    if w.ndim != 4:
        entries.shape_error(KIND, module, "w", "[height, width, in, multiplier]", w.shape)
    height, width, inputs, multiplier = w.shape
    result = {"w": w.reshape(height, width, 1, inputs * multiplier)}
    if "b" in arrays:
        # Haiku's channels-first depthwise bias is [C, 1, 1] whatever the rank: its quirk.
        result["b"] = conv.bias_to_haiku(module, KIND, arrays["b"], 2, options.channels_first)
    return {("params", module): result}


def _to_compat(module: str, group: entries.Group, options: entries.Options) -> entries.Group:
    arrays = conv.kernel_arrays(module, group, KIND)
    w, multiplier = arrays["w"], options.channel_multiplier
    if w.ndim != 4 or w.shape[2] != 1 or multiplier < 1 or w.shape[3] % multiplier:
        expected = f"[height, width, 1, in * {multiplier}] (channel_multiplier {multiplier})"
        entries.shape_error(KIND, module, "w", expected, w.shape)
    height, width, _, outputs = w.shape
    result = {"w": w.reshape(height, width, outputs // multiplier, multiplier)}
    if "b" in arrays:
        result["b"] = conv.bias_to_compat(module, KIND, arrays["b"])
    return {("params", module): result}


RULE = entries.Rule(KIND, find, find, conv.keys, conv.keys, _to_haiku, _to_compat)
