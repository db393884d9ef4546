"""`tabulate`: a table of the module calls of a function, with shapes and parameter sizes."""

from __future__ import annotations

import dataclasses
import decimal
import pprint
import types
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from sonnax._src import filtering
from sonnax._src.experimental import summarise

_MISSING_TABULATE = (
    "hk.experimental.tabulate needs the `tabulate` package: pip install 'sonnax[tabulate]' "
    "(or pip install tabulate)."
)


@dataclasses.dataclass(frozen=True)
class _Column:
    header: str
    render: Callable[[summarise.MethodInvocation], str]
    align: str = "left"


def _owned_params(invocation: summarise.MethodInvocation) -> str:
    """`name: spec` lines for the module's own parameters, largest first, then by name."""
    details = invocation.module_details
    owned = {}
    for full_name, spec in details.params.items():
        module_name, name = full_name.rsplit("/", 1)
        if module_name == details.module.module_name:
            owned[name] = spec
    ordered = sorted(owned.items(), key=lambda item: (-item[1].size, item[0]))
    return "\n".join(f"{name}: {summarise.format_array(spec)}" for name, spec in ordered)


def _input(invocation: summarise.MethodInvocation) -> str:
    text = ", ".join(map(pprint.pformat, invocation.args_spec))
    if invocation.kwargs_spec:
        pairs = (f"{key}={pprint.pformat(value)}" for key, value in invocation.kwargs_spec.items())
        text += "\n" + ", ".join(pairs)
    return text


def _call_stack(invocation: summarise.MethodInvocation) -> str:
    def entry(details: summarise.ModuleDetails) -> str:
        owner = type(details.module).__name__
        if details.method_name != "__call__":
            owner += f".{details.method_name}"
        return f"{details.module.module_name} ({owner})"

    return "\n └ ".join(map(entry, invocation.call_stack))


def format_bytes(num_bytes: int) -> str:
    """`942.00 KB`: a byte count in decimal units, as Haiku prints it."""
    value = decimal.Decimal(num_bytes)
    unit = "B"
    for larger in ("KB", "MB", "GB", "TB"):
        if value < 1000:
            break
        value, unit = value / 1000, larger
    return f"{value:.2f} {unit}"


_COLUMNS = {
    "module": _Column("Module", _call_stack),
    "config": _Column("Config", lambda call: repr(call.module_details.module)),
    "owned_params": _Column("Module params", _owned_params),
    "input": _Column("Input", _input),
    "output": _Column("Output", lambda call: pprint.pformat(call.output_spec)),
    "params_size": _Column(
        "Param count",
        lambda call: f"{filtering.tree_size(call.module_details.params):,}",
        "right",
    ),
    "params_bytes": _Column(
        "Param bytes",
        lambda call: format_bytes(filtering.tree_bytes(call.module_details.params)),
        "right",
    ),
}

_FILTERS: dict[str, Callable[[summarise.MethodInvocation], bool]] = {
    "has_output": lambda call: call.output_spec is not None,
    "has_params": lambda call: bool(call.module_details.params),
}

DEFAULT_COLUMNS: tuple[str, ...] = (
    "module",
    "config",
    "owned_params",
    "input",
    "output",
    "params_size",
    "params_bytes",
)
DEFAULT_FILTERS = ("has_output",)
_GRID = types.MappingProxyType({"tablefmt": "grid"})


def _checked(kind: str, chosen: Sequence[str] | None, known: Mapping[str, Any], default: Any):
    if chosen is None:
        return default
    invalid = [name for name in chosen if name not in known]
    if invalid:
        raise ValueError(
            f"Invalid {kind}(s) {invalid}, valid {kind}s {list(known)} "
            f"(hk.experimental.tabulate's `{kind}s` argument)."
        )
    return chosen


def tabulate(
    f: Callable[..., Any],
    *,
    columns: Sequence[str] | None = DEFAULT_COLUMNS,
    filters: Sequence[str] | None = DEFAULT_FILTERS,
    tabulate_kwargs: Mapping[str, Any] = _GRID,
) -> Callable[..., str]:
    """A table of the module calls `f` makes (see `eval_summary`), one row per call.

    Columns: `module` (path, class and method, with its callers), `config`
    (the module's `repr`), `owned_params` (its own parameters), `input`,
    `output`, `params_size` (parameter count, submodules included) and
    `params_bytes`. Filters: `has_output` (drop calls returning `None`) and
    `has_params` (drop modules without parameters).

    >>> import sonnax as hk
    >>> import jax.numpy as jnp
    >>> f = hk.transform(lambda x: hk.Linear(3)(x))
    >>> print(hk.experimental.tabulate(f, columns=["module", "params_size"])(jnp.ones([1, 2])))
    +-----------------+---------------+
    | Module          |   Param count |
    +=================+===============+
    | linear (Linear) |             9 |
    +-----------------+---------------+

    Args:
      f: a function using modules, a transformed function, or its init/apply.
      columns: the columns to show, in order (`None`: the default ones).
      filters: the filters rows must pass (`None`: the default ones).
      tabulate_kwargs: keyword arguments for `tabulate.tabulate`.

    Returns:
      A function taking `f`'s arguments and returning the table as a string.

    Raises:
      ValueError: an unknown column or filter name.
    """
    summary = summarise.eval_summary(f)
    chosen_columns = [_COLUMNS[c] for c in _checked("column", columns, _COLUMNS, DEFAULT_COLUMNS)]
    chosen_filters = [_FILTERS[n] for n in _checked("filter", filters, _FILTERS, DEFAULT_FILTERS)]

    def table(*args: Any, **kwargs: Any) -> str:
        try:
            import tabulate as tabulate_lib  # An optional dependency, like graphviz for to_dot.
        except ImportError as e:
            raise ImportError(_MISSING_TABULATE) from e
        rows = [
            [column.render(call) for column in chosen_columns]
            for call in summary(*args, **kwargs)
            if all(keep(call) for keep in chosen_filters)
        ]
        if not rows:
            return "No modules matching filters."
        return tabulate_lib.tabulate(
            rows,
            headers=[column.header for column in chosen_columns],
            colalign=[column.align for column in chosen_columns],
            **tabulate_kwargs,
        )

    return table
