"""Sonnet's `LSTM` (`w_i`, `w_h`, `b`; gates i, f, g, o) and the core `LSTM` (one `linear`).

Sonnet (and `sonnax.compat.LSTM` / `UnrolledLSTM`) keeps `w_i` `[in, 4h]`, `w_h` `[h, 4h]` and
`b` `[4h]`, gates in the order input, forget, cell candidate, output, and adds `forget_bias` to
`b`'s forget quarter once, when `b` is initialized. The core `LSTM` (Haiku's) runs one `Linear`
named `linear` over `[x, h]`: `w` `[in + h, 4h]` and `b` `[4h]`, gates in the order input, cell
candidate, forget, output, and adds 1 to the forget pre-activation at every step. So the
mapping stacks `w_i` over `w_h`, swaps the middle two gate blocks, and subtracts 1 from the
forget quarter of `b` (Sonnet's stored bias already holds whatever forget bias it was built
with; the core supplies exactly 1).
"""

import re

import numpy as np

from sonnax.convert import errors
from sonnax.convert._mapping.layouts import entries

KIND = "lstm"
_GATES = frozenset({"w_i", "w_h", "b"})
_NAMED = re.compile(r"(unrolled_)?lstm(_\d+)?$")


def swap_middle_gates(array: np.ndarray) -> np.ndarray:
    """`[i, f, g, o]` <-> `[i, g, f, o]` on the last axis (the swap is its own inverse)."""
    first, second, third, fourth = np.split(array, 4, axis=-1)
    return np.concatenate([first, third, second, fourth], axis=-1)


def shift_forget(b: np.ndarray, by: float) -> np.ndarray:
    """Adds `by` to the forget quarter of a `[i, g, f, o]` bias, in its own dtype."""
    quarter = b.shape[0] // 4
    shifted = b.copy()
    shifted[2 * quarter : 3 * quarter] += np.asarray(by, b.dtype)
    return shifted


def find_compat(params: entries.Shapes, state: entries.Shapes) -> list[str]:
    """Modules holding `w_i`, `w_h` (`[r, 4h]`) and `b` (`[4h]`), with or without `projection`.

    Raises:
      UnsupportedError: a module holds `w_i`, `w_h` and `b` shaped like neither an LSTM nor a
        GRU, so its layout cannot be told.
    """
    del state  # An LSTM has no state variables.
    found = []
    for module, arrays in params.items():
        if set(arrays) - {"projection"} != _GATES:
            continue
        rows, columns = _matrix(arrays["w_h"].shape)
        if "projection" in arrays or columns == 4 * rows:
            found.append(module)
        elif columns != 3 * rows:
            raise errors.UnsupportedError(
                f"layout of module {module!r} is ambiguous: it holds w_i, w_h and b like an "
                f"LSTM or a GRU, but w_h has shape {tuple(arrays['w_h'].shape)}, neither "
                "[h, 4h] (LSTM) nor [h, 3h] (GRU). Give its layout in `modules`, e.g. "
                f"modules={{{module!r}: 'none'}}."
            )
    return found


def _matrix(shape: tuple[int, ...]) -> tuple[int, int]:
    return (shape[0], shape[1]) if len(shape) == 2 else (-1, -1)


def find_haiku(params: entries.Shapes, state: entries.Shapes) -> list[str]:
    """Parents named like an LSTM (`lstm`, `lstm_1`, `unrolled_lstm`) of a `linear` with
    `w` `[in + h, 4h]` and `b` `[4h]`."""
    del state
    found = []
    for module, arrays in params.items():
        parent, _, child = module.rpartition("/")
        if child != "linear" or not _NAMED.search(entries.last_component(parent)):
            continue
        if set(arrays) == {"w", "b"} and len(arrays["b"].shape) == 1:
            if (
                arrays["b"].shape[0] % 4 == 0
                and _matrix(arrays["w"].shape)[1] == arrays["b"].shape[0]
            ):
                found.append(parent)
    return found


def compat_keys(module: str) -> tuple[entries.Key, ...]:
    """The compat LSTM's one params entry."""
    return (("params", module),)


def haiku_keys(module: str) -> tuple[entries.Key, ...]:
    """The core LSTM's `linear` submodule, made in `__call__` (so `/`, not `/~/`)."""
    return (("params", f"{module}/linear"),)


def to_haiku(module: str, group: entries.Group, options: entries.Options) -> entries.Group:
    """Sonnet's `w_i`, `w_h`, `b` to the core `linear`'s `w` and `b`.

    Raises:
      UnsupportedError: the LSTM has a `projection` (the core LSTM has none), or a shape does
        not fit an LSTM.
    """
    arrays = group.get(("params", module), {})
    if "projection" in arrays:
        raise errors.UnsupportedError(
            f"layout 'lstm' of module {module!r}: it has a projection of shape "
            f"{tuple(arrays['projection'].shape)} (LSTM(projection_size=...)), which the core "
            "LSTM (Haiku's) does not have. Keep this module in the compat layout "
            f"(modules={{{module!r}: 'none'}}) and run it with sonnax.compat.LSTM."
        )
    arrays = entries.require(group, ("params", module), _GATES, KIND)
    w_i, w_h, b = arrays["w_i"], arrays["w_h"], arrays["b"]
    gates = b.shape[0] if b.ndim == 1 else -1
    if gates % 4 or gates <= 0:
        entries.shape_error(KIND, module, "b", "[4 * hidden_size]", b.shape)
    if w_h.shape != (gates // 4, gates):
        entries.shape_error(KIND, module, "w_h", f"{(gates // 4, gates)}", w_h.shape)
    if w_i.ndim != 2 or w_i.shape[1] != gates:
        entries.shape_error(KIND, module, "w_i", f"[input_size, {gates}]", w_i.shape)
    w = swap_middle_gates(np.concatenate([w_i, w_h], axis=0))
    b = swap_middle_gates(b)
    if options.values:
        b = shift_forget(b, -1.0)
    return {("params", f"{module}/linear"): {"w": w, "b": b}}


def to_compat(module: str, group: entries.Group, options: entries.Options) -> entries.Group:
    """The core `linear`'s `w` and `b` to Sonnet's `w_i`, `w_h`, `b`.

    Raises:
      UnsupportedError: a shape does not fit an LSTM.
    """
    arrays = entries.require(group, ("params", f"{module}/linear"), {"w", "b"}, KIND)
    w, b = arrays["w"], arrays["b"]
    gates = b.shape[0] if b.ndim == 1 else -1
    if gates % 4 or gates <= 0:
        entries.shape_error(KIND, f"{module}/linear", "b", "[4 * hidden_size]", b.shape)
    hidden = gates // 4
    if w.ndim != 2 or w.shape[1] != gates or w.shape[0] <= hidden:
        expected = f"[input_size + {hidden}, {gates}] with input_size >= 1"
        entries.shape_error(KIND, f"{module}/linear", "w", expected, w.shape)
    if options.values:
        b = shift_forget(b, 1.0)
    w = swap_middle_gates(w)
    inputs = w.shape[0] - hidden
    return {("params", module): {"w_i": w[:inputs], "w_h": w[inputs:], "b": swap_middle_gates(b)}}


RULE = entries.Rule(KIND, find_compat, find_haiku, compat_keys, haiku_keys, to_haiku, to_compat)
