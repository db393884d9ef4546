"""`format_variables` and `log_variables`: a table of variables (Sonnet keeps them in `utils.py`).

Sonnet lists `tf.Variable`s, which carry their name, trainability and device. Compat
variables are arrays in params and state, so they are given as one of:

* a params tree `{module: {name: array}}` (every row trainable), or `(params, state)` as
  `transform_with_state(f).init` returns them (state rows not trainable);
* inside a transform, arrays read there, such as `module.variables`: each is found, by
  identity, among the current params (trainable) and state (not trainable).

Names are the params/state keys joined by `/` (`mlp/~/linear_0/w`), the name the
converter gives the Sonnet variable `mlp/linear_0/w`. The table needs the optional
`tabulate` package, as Sonnet's does.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np

from sonnax._src.core import frames

_MISSING_TABULATE = (
    "format_variables needs the `tabulate` package: pip install 'sonnax[tabulate]' "
    "(or pip install tabulate)."
)
_HEADERS = ("Variable", "Spec", "Trainable", "Device")
_SHORT_DTYPES = {
    "float16": "f16",
    "float32": "f32",
    "float64": "f64",
    "bfloat16": "bf16",
    "complex64": "c64",
    "complex128": "c128",
    "uint8": "u8",
    "uint16": "u16",
    "uint32": "u32",
    "uint64": "u64",
    "int8": "i8",
    "int16": "i16",
    "int32": "i32",
    "int64": "i64",
}

logger = logging.getLogger("sonnax.compat")


def _is_tree(value: Any) -> bool:
    return isinstance(value, Mapping) and all(isinstance(v, Mapping) for v in value.values())


def _leaves(name: str, value: Any) -> Iterator[tuple[str, Any]]:
    """`(name, array)` for a value, or for each leaf of a state value that is a pytree."""
    if hasattr(value, "shape") and hasattr(value, "dtype"):
        yield name, value
        return
    for path, leaf in jax.tree_util.tree_flatten_with_path(value)[0]:
        yield name + jax.tree_util.keystr(path), leaf


def _from_tree(tree: Mapping[str, Mapping[str, Any]], trainable: bool) -> Iterator[tuple]:
    for module, bundle in tree.items():
        for name, value in bundle.items():
            for full_name, leaf in _leaves(f"{module}/{name}", value):
                yield full_name, leaf, trainable


def _from_frame(values: Sequence[Any]) -> Iterator[tuple]:
    if not frames.inside_transform():
        raise ValueError(
            "format_variables was given arrays outside a transform, where nothing names them: "
            "pass the params (or `(params, state)`) returned by `init`, or call it inside the "
            "transformed function with e.g. `module.variables`."
        )
    frame = frames.current()
    known: dict[int, tuple[str, bool]] = {}
    for tree, trainable in ((frame.state, False), (frame.params, True)):
        for module, bundle in tree.items():
            for name, value in bundle.items():
                known[id(value)] = (f"{module}/{name}", trainable)
    for index, value in enumerate(values):
        if id(value) not in known:
            raise ValueError(
                f"format_variables: value {index} (shape {np.shape(value)}) is not a parameter "
                "or state value of the current transform; pass the arrays read from them "
                "(e.g. `module.variables`)."
            )
        name, trainable = known[id(value)]
        yield name, value, trainable


def _rows_of(variables: Any) -> list[tuple]:
    if _is_tree(variables):
        return list(_from_tree(variables, True))
    if (
        isinstance(variables, list | tuple)
        and len(variables) == 2
        and all(_is_tree(v) for v in variables)
    ):
        return list(_from_tree(variables[0], True)) + list(_from_tree(variables[1], False))
    return list(_from_frame(list(variables)))


def _render_spec(value: Any) -> str:
    dtype = jnp.dtype(value.dtype)
    shape = ",".join(str(d) for d in np.shape(value))
    return f"{_SHORT_DTYPES.get(dtype.name, dtype.name)}[{shape}]"


def _device(value: Any) -> str:
    """Like Sonnet's: the platform, and the device number unless it is 0."""
    if isinstance(value, jax.core.Tracer) or not isinstance(value, jax.Array):
        return ""  # Traced values and host (numpy) arrays have no device.
    devices = sorted(value.devices(), key=lambda d: d.id)
    platform = devices[0].platform.upper()
    if len(devices) > 1:
        return f"{platform} ({len(devices)} devices)"
    return platform if devices[0].id == 0 else f"{platform} {devices[0].id}"


def _sort_key(row: tuple) -> tuple[str, int, str]:
    # Sonnet's order: by enclosing scope, then the higher-rank variables first, then by name.
    name, value, _ = row
    return name.rsplit("/", 1)[0], -len(np.shape(value)), name


def format_variables(variables: Any, tablefmt: str = "orgtbl") -> str:
    """Formats variables as a table of name, spec (`f32[3,2]`), trainability and device.

    >>> import jax, jax.numpy as jnp
    >>> import sonnax
    >>> from sonnax import compat as snt
    >>> f = sonnax.transform(lambda x: snt.Linear(2)(x))
    >>> params = f.init(jax.random.PRNGKey(0), jnp.ones([1, 3]))
    >>> print(snt.format_variables(params, tablefmt="plain"))
    Variable    Spec      Trainable    Device
    linear/w    f32[3,2]  True         CPU
    linear/b    f32[2]    True         CPU

    Args:
      variables: a params tree, `(params, state)`, or (inside a transform) arrays of the
        current params and state such as `module.variables`.
      tablefmt: a `tabulate` table format.

    Returns:
      The table.
    """
    try:
        import tabulate  # An optional dependency, as for `experimental.tabulate`.
    except ImportError as e:
        raise ImportError(_MISSING_TABULATE) from e
    rows = [
        (name, _render_spec(value), str(trainable), _device(value))
        for name, value, trainable in sorted(_rows_of(variables), key=_sort_key)
    ]
    return tabulate.tabulate(rows, headers=_HEADERS, tablefmt=tablefmt)


def log_variables(variables: Any) -> None:
    """Logs the table of `format_variables`, a line at a time, at INFO level.

    The logger is `logging.getLogger("sonnax.compat")`.

    Args:
      variables: as for `format_variables`.
    """
    for line in format_variables(variables).split("\n"):
        logger.info(line)
