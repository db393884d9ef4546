"""Sonnet's `Conv1DLSTM` / `Conv2DLSTM` / `Conv3DLSTM` and the core's convolutional LSTMs.

Sonnet (and `sonnax.compat`) runs two bias-free `SAME` convolutions, submodules
`input_to_hidden` and `hidden_to_hidden` (`w` `[*kernel, in, 4c]` and `[*kernel, c, 4c]`), and
adds the core's own `b` `[4c]`, gates in the order i, f, g, o, its forget quarter holding the
forget bias from initialization on. The core (Haiku's) runs two convolutions with biases,
`input_to_hidden` and `hidden_to_hidden` made in `__call__` (paths `P/input_to_hidden`, not
`P/~/...`), gates in the order i, g, f, o, and adds 1 to the forget pre-activation at each step.
So both kernels have their middle gate blocks swapped, `b` (swapped, minus 1 on its forget
quarter) becomes `input_to_hidden`'s bias and `hidden_to_hidden`'s bias is zero; on the way
back the two core biases are summed into `b`.
"""

import numpy as np

from sonnax.convert._mapping.layouts import entries, lstm

KIND = "conv_lstm"
_CONVS = ("input_to_hidden", "hidden_to_hidden")
_KERNEL_RANKS = (3, 4, 5)


def _gates(arrays: entries.Shapes, names: set[str]) -> int | None:
    """`4c` if each module holds exactly `names` with a kernel of rank 3-5 ending in it."""
    sizes = set()
    for module in arrays.values():
        if set(module) != names or len(module["w"].shape) not in _KERNEL_RANKS:
            return None
        sizes.add(module["w"].shape[-1])
    return sizes.pop() if len(sizes) == 1 else None


def find_compat(params: entries.Shapes, state: entries.Shapes) -> list[str]:
    """Modules holding only `b` `[4c]`, with bias-free `input_to_hidden` and `hidden_to_hidden`
    submodules."""
    del state
    found = []
    for module, arrays in params.items():
        paths = [entries.join(module, name) for name in _CONVS]
        convs = {path: params[path] for path in paths if path in params}
        if set(arrays) != {"b"} or len(convs) != 2 or len(arrays["b"].shape) != 1:
            continue
        if _gates(convs, {"w"}) == arrays["b"].shape[0]:
            found.append(module)
    return found


def find_haiku(params: entries.Shapes, state: entries.Shapes) -> list[str]:
    """Parents of `input_to_hidden` and `hidden_to_hidden` convolutions (kernels of rank 3-5)."""
    del state
    found = []
    for module in params:
        parent, _, child = module.rpartition("/")
        if child != _CONVS[0] or not parent:
            continue
        convs = {path: params[path] for name in _CONVS if (path := f"{parent}/{name}") in params}
        if len(convs) == 2 and _gates(convs, {"w", "b"}):
            found.append(parent)
    return found


def compat_keys(module: str) -> tuple[entries.Key, ...]:
    """The core's `b` and its two convolutions."""
    return (("params", module), *(("params", entries.join(module, name)) for name in _CONVS))


def haiku_keys(module: str) -> tuple[entries.Key, ...]:
    """The two convolutions, made in `__call__`."""
    return tuple(("params", f"{module}/{name}") for name in _CONVS)


def _kernels(
    group: entries.Group, paths: list[str], names: set[str]
) -> list[dict[str, np.ndarray]]:
    """The two convolutions' arrays, checked to give the same `4c` gates.

    Raises:
      UnsupportedError: a convolution is missing, holds other names, or its kernel's last
        axis differs from the other's.
    """
    convs = [dict(entries.require(group, ("params", path), names, KIND)) for path in paths]
    for path, conv in zip(paths, convs, strict=True):
        w = conv["w"]
        if w.ndim not in _KERNEL_RANKS or w.shape[-1] % 4 or w.shape[-1] != convs[0]["w"].shape[-1]:
            gates = convs[0]["w"].shape[-1]
            entries.shape_error(
                KIND, path, "w", f"[*kernel, in, {gates}] (gates a multiple of 4)", w.shape
            )
    return convs


def to_haiku(module: str, group: entries.Group, options: entries.Options) -> entries.Group:
    """Sonnet's two kernels and `b` to the core's two convolutions with biases."""
    paths = [entries.join(module, name) for name in _CONVS]
    convs = _kernels(group, paths, {"w"})
    b = entries.require(group, ("params", module), {"b"}, KIND)["b"]
    if b.shape != (convs[0]["w"].shape[-1],):
        entries.shape_error(KIND, module, "b", f"({convs[0]['w'].shape[-1]},)", b.shape)
    b = lstm.swap_middle_gates(b)
    if options.values:
        b = lstm.shift_forget(b, -1.0)
    biases = (b, np.zeros_like(b))
    return {
        ("params", f"{module}/{name}"): {"w": lstm.swap_middle_gates(conv["w"]), "b": bias}
        for name, conv, bias in zip(_CONVS, convs, biases, strict=True)
    }


def to_compat(module: str, group: entries.Group, options: entries.Options) -> entries.Group:
    """The core's two convolutions to Sonnet's bias-free kernels and one `b`."""
    paths = [f"{module}/{name}" for name in _CONVS]
    convs = _kernels(group, paths, {"w", "b"})
    for path, conv in zip(paths, convs, strict=True):
        if conv["b"].shape != (conv["w"].shape[-1],):
            entries.shape_error(KIND, path, "b", f"({conv['w'].shape[-1]},)", conv["b"].shape)
    b = convs[0]["b"] + convs[1]["b"]
    if options.values:
        b = lstm.shift_forget(b, 1.0)
    result = {("params", module): {"b": lstm.swap_middle_gates(b)}}
    for name, conv in zip(_CONVS, convs, strict=True):
        result["params", entries.join(module, name)] = {"w": lstm.swap_middle_gates(conv["w"])}
    return result


RULE = entries.Rule(KIND, find_compat, find_haiku, compat_keys, haiku_keys, to_haiku, to_compat)
