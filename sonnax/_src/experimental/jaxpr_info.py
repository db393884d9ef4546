"""`make_model_info`: a module tree of the JAX operations a function runs, with sizes and FLOPs.

Operations come from the function's jaxpr; modules from the name scopes sonnax
opens for each module method, and parameter and state sizes from `eval_summary`.
`format_module` prints the tree; `jaxpr_html.as_html` makes it interactive.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import jax

from sonnax._src.experimental import jaxpr_tree, jaxpr_walk, summarise


def make_model_info(
    f: Callable[..., Any],
    name: str | None = None,
    include_module_info: bool = True,
    compute_flops: jaxpr_tree.ComputeFlopsFn | None = None,
    axis_env: Sequence[tuple[Any, int]] | None = None,
) -> Callable[..., jaxpr_tree.Module]:
    """Wraps `f` to return a `Module` tree describing what it computes.

    >>> import sonnax as hk
    >>> import jax, jax.numpy as jnp
    >>> from sonnax.experimental import jaxpr_info
    >>> f = hk.transform(lambda x: hk.Linear(2)(x))
    >>> x = jnp.ones([1, 3])
    >>> params = f.init(jax.random.PRNGKey(0), x)
    >>> info = jaxpr_info.make_model_info(f.apply)(params, None, x)
    >>> print(jaxpr_info.format_module(info))
    apply_fn
      linear 8 params
        dot_general in f32[1,3], f32[3,2], out f32[1,2]
        broadcast_in_dim in f32[2], out f32[1,2]
        add in f32[1,2], f32[1,2], out f32[1,2]
    <BLANKLINE>

    Args:
      f: the function; modules and `jax.named_scope`s become nested modules.
      name: the root module's name (default: `f.__name__`).
      include_module_info: add parameter and state sizes (runs `f` abstractly
        once more).
      compute_flops: estimates the FLOPs of an equation; `None` leaves FLOPs out.
      axis_env: sizes of named (pmapped) axes, as for `jax.make_jaxpr`.

    Returns:
      A function taking `f`'s arguments and returning the root `Module`.
    """
    root_name = name or f.__name__
    make_jaxpr = jax.make_jaxpr(f, axis_env=axis_env)
    summary = summarise.eval_summary(lambda *a, **k: f(*a, **k))

    def make_module(*args: Any, **kwargs: Any) -> jaxpr_tree.Module:
        previous_limit = sys.getrecursionlimit()
        sys.setrecursionlimit(10_000)  # The walk recurses once per operation on a path.
        try:
            jaxpr = make_jaxpr(*args, **kwargs).jaxpr
            root = jaxpr_tree.Module(name=root_name)
            walker = jaxpr_walk.Walker(compute_flops)
            walker.process_jaxpr(jaxpr, "0", root)
            jaxpr_walk.name_scopes_to_modules(root)
            if include_module_info:
                by_name = {
                    call.module_details.module.module_name.replace("/~/", "/"): call
                    for call in summary(*args, **kwargs)
                }
                for expression in root.expressions:
                    if expression.submodule:
                        _add_sizes(expression.submodule, expression.submodule.name, by_name)
        finally:
            sys.setrecursionlimit(previous_limit)
        return root

    return make_module


def _add_sizes(
    module: jaxpr_tree.Module, path: str, calls: Mapping[str, summarise.MethodInvocation]
) -> None:
    """Fills in parameter and state sizes of `module` (at `path`) and its submodules."""
    if path in calls:
        details = calls[path].module_details
        module.total_param_size = sum(spec.size for spec in details.params.values())
        module.total_state_size = sum(spec.size for spec in details.state.values())
        for key, spec in details.params.items():
            module.param_info[key.replace("/~/", "/").replace(path, ".")] = str(spec)
        for key, spec in details.state.items():
            module.state_info[key.replace("/~/", "/").replace(path, ".")] = str(spec)
    for expression in module.expressions:
        if expression.submodule:
            sub = expression.submodule
            _add_sizes(sub, os.path.join(path, sub.name), calls)


def decimal_prefix(n: int, unit: str, precision: int = 4) -> str:
    """`1.235 Mflops`: `n` with an SI prefix, once it exceeds a thousand."""
    for prefix, exponent in (("E", 18), ("P", 15), ("T", 12), ("G", 9), ("M", 6), ("k", 3)):
        if n > 10**exponent:
            return f"%.{precision}g {prefix}{unit}" % (n / 10**exponent)
    return f"{n} {unit}"


def format_module(module: jaxpr_tree.Module, depth: int = 0) -> str:
    """The module tree as indented text: a line per module and per operation.

    Args:
      module: a `Module` from `make_model_info`.
      depth: the indentation level of `module` (two spaces each).

    Returns:
      The text, one line per entry.
    """
    line = "  " * depth + module.name
    if module.flops is not None:
        line += " " + decimal_prefix(module.flops, "flops")
    if module.total_param_size > 0:
        line += " " + decimal_prefix(module.total_param_size, "params")
    if module.total_state_size > 0:
        line += " " + decimal_prefix(module.total_state_size, "state")
    return line + "\n" + "".join(format_expression(e, depth + 1) for e in module.expressions)


def format_expression(expression: jaxpr_tree.Expression, depth: int) -> str:
    """One operation as a line of text (or its submodule's tree).

    Args:
      expression: the operation.
      depth: its indentation level.

    Returns:
      The text.
    """
    if expression.submodule:
        return format_module(expression.submodule, depth)
    line = "  " * depth + expression.primitive
    if expression.flops is not None:
        line += " " + decimal_prefix(expression.flops, "flops")
    return f"{line} {expression.details}\n"
