"""Convolutions: the same kernel in both layouts, but a channels-first bias is shaped apart.

Sonnet's `Conv1D/2D/3D` keep `w` `[*kernel, in, out]` and `b` `[out]` whatever the data
format, as the core's do for channels-last inputs. For channels-first inputs the core (Haiku)
shapes `b` `[out, 1, ...]`, one 1 per spatial axis. So a channels-last convolution needs no
rule, and a channels-first one is named in `modules` as `"conv:channels_first"`; on the way
back, a core convolution with such a bias is found by its shapes.
"""

import re

import numpy as np

from sonnax.convert._mapping.layouts import entries

KIND = "conv"
_KERNEL_RANKS = (3, 4, 5)


def bias_to_haiku(
    module: str, kind: str, b: np.ndarray, spatial_dims: int, channels_first: bool
) -> np.ndarray:
    """A `[C]` bias in the core's shape: unchanged channels last, `[C, 1, ...]` channels first.

    Raises:
      UnsupportedError: `b` is not of rank 1.
    """
    if b.ndim != 1:
        entries.shape_error(kind, module, "b", "[output_channels]", b.shape)
    return b.reshape((b.shape[0], *([1] * spatial_dims))) if channels_first else b


def bias_to_compat(module: str, kind: str, b: np.ndarray) -> np.ndarray:
    """A core bias, `[C]` or `[C, 1, ...]`, as Sonnet's `[C]`.

    Raises:
      UnsupportedError: `b` holds more than one non-1 axis after its first.
    """
    if b.ndim == 0 or any(size != 1 for size in b.shape[1:]):
        entries.shape_error(kind, module, "b", "[C] or [C, 1, ...]", b.shape)
    return b.reshape(b.shape[0])


def kernel_arrays(module: str, group: entries.Group, kind: str) -> dict[str, np.ndarray]:
    """A convolution's `w` and, if it has one, `b`.

    Raises:
      UnsupportedError: `w` is missing or the module holds other names.
    """
    names = {"w", "b"} if "b" in group.get(("params", module), {}) else {"w"}
    return dict(entries.require(group, ("params", module), names, kind))


def named(params: entries.Shapes, pattern: re.Pattern[str]) -> list[str]:
    """Modules whose own name matches `pattern` and that hold `w` (rank 3-5) and maybe `b`."""
    found = []
    for module, arrays in params.items():
        if not pattern.fullmatch(entries.last_component(module)):
            continue
        if set(arrays) in ({"w"}, {"w", "b"}) and len(arrays["w"].shape) in _KERNEL_RANKS:
            found.append(module)
    return found


def _find_compat(params: entries.Shapes, state: entries.Shapes) -> list[str]:
    del params, state  # Channels-last convolutions need no rule; channels-first are named.
    return []


def _find_haiku(params: entries.Shapes, state: entries.Shapes) -> list[str]:
    """Modules holding `w` (rank 3-5) and a `b` shaped `[C, 1, ...]` (channels first)."""
    del state
    found = []
    for module, arrays in params.items():
        if set(arrays) != {"w", "b"} or len(arrays["w"].shape) not in _KERNEL_RANKS:
            continue
        b_shape = tuple(arrays["b"].shape)
        if len(b_shape) == len(arrays["w"].shape) - 1 and set(b_shape[1:]) == {1}:
            found.append(module)
    return found


def keys(module: str) -> tuple[entries.Key, ...]:
    """The convolution's one params entry, at the same path in both layouts."""
    return (("params", module),)


def _to_haiku(module: str, group: entries.Group, options: entries.Options) -> entries.Group:
    arrays = kernel_arrays(module, group, KIND)
    if "b" in arrays:
        spatial_dims = arrays["w"].ndim - 2
        arrays["b"] = bias_to_haiku(module, KIND, arrays["b"], spatial_dims, options.channels_first)
    return {("params", module): arrays}


def _to_compat(module: str, group: entries.Group, options: entries.Options) -> entries.Group:
    del options  # The core's bias shape says its data format.
    arrays = kernel_arrays(module, group, KIND)
    if "b" in arrays:
        arrays["b"] = bias_to_compat(module, KIND, arrays["b"])
    return {("params", module): arrays}


RULE = entries.Rule(KIND, _find_compat, _find_haiku, keys, keys, _to_haiku, _to_compat)
