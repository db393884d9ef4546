"""Transposed convolutions: TF's kernel, applied as a gradient, against `lax.conv_transpose`.

Both layouts store `w` as `[*kernel, out, in]`. Sonnet's `ConvNDTranspose` (and
`sonnax.compat`'s) computes the gradient of a convolution with that kernel
(`tf.nn.conv_transpose`), which correlates the dilated input with the kernel rotated by 180
degrees; the core `ConvNDTranspose` (Haiku's) calls `lax.conv_transpose` without
`transpose_kernel`, which correlates with the kernel as stored. So the mapping reverses every
spatial axis of `w` (its own inverse), and the channel axes stay. Shown by equal outputs for
asymmetric kernels at stride 2, in 1-D, 2-D and 3-D (`tests/convert/test_layouts.py`). The
padding arithmetic of the two agrees for `SAME`; for `VALID`, Sonnet's output size is
`input * stride + kernel - 1`, so give the core module that `output_shape`.

Found by Sonnet's (and Haiku's) default module names, `conv1_d_transpose`,
`conv2_d_transpose`, `conv3_d_transpose` (with `_N` suffixes): a transposed convolution with
another name holds the same shapes as a plain one, so name it in `modules` as
`"conv_transpose"` (`"conv_transpose:channels_first"` for `NC...` inputs).
"""

import re

import numpy as np

from sonnax.convert._mapping.layouts import conv, entries

KIND = "conv_transpose"
_NAMED = re.compile(r"conv[123]_d_transpose(_\d+)?")


def find(params: entries.Shapes, state: entries.Shapes) -> list[str]:
    """Modules named as Sonnet and Haiku name transposed convolutions by default."""
    del state
    return conv.named(params, _NAMED)


def _flip(module: str, arrays: dict[str, np.ndarray]) -> np.ndarray:
    w = arrays["w"]
    if w.ndim not in (3, 4, 5):
        entries.shape_error(KIND, module, "w", "[*kernel (1 to 3 axes), out, in]", w.shape)
    return np.ascontiguousarray(np.flip(w, axis=tuple(range(w.ndim - 2))))


def _to_haiku(module: str, group: entries.Group, options: entries.Options) -> entries.Group:
    arrays = conv.kernel_arrays(module, group, KIND)
    result = {"w": _flip(module, arrays)}
    if "b" in arrays:
        b = arrays["b"]
        result["b"] = conv.bias_to_haiku(
            module, KIND, b, arrays["w"].ndim - 2, options.channels_first
        )
    return {("params", module): result}


def _to_compat(module: str, group: entries.Group, options: entries.Options) -> entries.Group:
    del options  # The core's bias shape says its data format.
    arrays = conv.kernel_arrays(module, group, KIND)
    result = {"w": _flip(module, arrays)}
    if "b" in arrays:
        result["b"] = conv.bias_to_compat(module, KIND, arrays["b"])
    return {("params", module): result}


RULE = entries.Rule(KIND, find, find, conv.keys, conv.keys, _to_haiku, _to_compat)
