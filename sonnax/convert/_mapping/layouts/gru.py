"""Sonnet's `GRU` and the core `GRU`: the same variables, so the mapping only checks them.

Both keep `w_i` `[in, 3h]`, `w_h` `[h, 3h]` and `b` `[3h]` with the gates in the order update,
reset, candidate, apply the reset gate to `h` before its matmul with the candidate's block of
`w_h`, and add the whole bias once (sonnet/src/recurrent.py `GRU`, haiku/_src/recurrent.py
`GRU`); the module path is unchanged.
"""

from sonnax.convert._mapping.layouts import entries

KIND = "gru"
_GATES = frozenset({"w_i", "w_h", "b"})


def find_compat(params: entries.Shapes, state: entries.Shapes) -> list[str]:
    """Modules holding exactly `w_i`, `w_h` `[h, 3h]` and `b`."""
    del state  # A GRU has no state variables.
    found = []
    for module, arrays in params.items():
        shape = tuple(arrays["w_h"].shape) if set(arrays) == _GATES else ()
        if len(shape) == 2 and shape[1] == 3 * shape[0]:
            found.append(module)
    return found


def keys(module: str) -> tuple[entries.Key, ...]:
    """The GRU's one params entry, at the same path in both layouts."""
    return (("params", module),)


def _checked(module: str, group: entries.Group, options: entries.Options) -> entries.Group:
    """The GRU's arrays unchanged, once their shapes are checked.

    Raises:
      UnsupportedError: the module is not shaped like a GRU.
    """
    del options  # Nothing is shifted or reshaped.
    arrays = entries.require(group, ("params", module), _GATES, KIND)
    w_i, w_h, b = arrays["w_i"], arrays["w_h"], arrays["b"]
    gates = b.shape[0] if b.ndim == 1 else -1
    if gates % 3 or gates <= 0:
        entries.shape_error(KIND, module, "b", "[3 * hidden_size]", b.shape)
    if w_h.shape != (gates // 3, gates):
        entries.shape_error(KIND, module, "w_h", f"{(gates // 3, gates)}", w_h.shape)
    if w_i.ndim != 2 or w_i.shape[1] != gates:
        entries.shape_error(KIND, module, "w_i", f"[input_size, {gates}]", w_i.shape)
    return {("params", module): dict(arrays)}


RULE = entries.Rule(KIND, find_compat, find_compat, keys, keys, _checked, _checked)
