"""Walks a jaxpr from its outputs back to its inputs, building `jaxpr_tree` modules.

Variables are named `a`, `b`, ..., `z`, `ba`, ... in the order the jaxpr binds
them, as JAX prints them. Each equation is listed once, in the module of the
call (`jit`, `scan`, ...) it belongs to; name scopes become modules afterwards.
"""

from __future__ import annotations

import itertools
import logging
from typing import Any

from jax.extend import core as jax_core

from sonnax._src.experimental import jaxpr_tree


def _letters(n: int) -> str:
    text = ""
    while not text or n:
        n, digit = divmod(n, 26)
        text = chr(ord("a") + digit) + text
    return text


def sort_key(name: str) -> tuple[int, str]:
    """Orders variable names as JAX binds them: short first, dropped (`_`) last."""
    return (1000 if name == "_" else len(name), name)


def _format_shape(var: Any) -> str:
    return var.aval.str_short().replace("float", "f")


def _call_body(eqn: jax_core.JaxprEqn) -> tuple[str, Any, int]:
    """`(name, inner jaxpr, FLOP multiplier)` of an equation that calls a jaxpr, or raises."""
    primitive, params = eqn.primitive.name, eqn.params
    if primitive in ("named_call", "xla_call"):
        return params["name"], params["call_jaxpr"], 1
    if primitive in ("remat_call", "xla_pmap"):
        return f"{primitive} {params['name']}", params["call_jaxpr"], 1
    if primitive == "remat2":
        return "remat", params["jaxpr"], 1
    if primitive == "while":
        return "while", params["body_jaxpr"].jaxpr, 1  # The condition is not shown.
    if primitive == "scan":
        name = f"scan length={params['length']} unroll={params['unroll']}"
        return name, params["jaxpr"].jaxpr, params["length"] // params["unroll"]
    if primitive in ("jit", "pjit"):
        return params["name"], params["jaxpr"].jaxpr, 1
    if primitive == "shard_map":
        return "shard_map", params["jaxpr"], params["mesh"].size
    if primitive in ("custom_jvp_call", "custom_vjp_call"):
        return primitive.replace("_call", ""), params["call_jaxpr"], 1
    if primitive in ("custom_jvp_call_jaxpr", "custom_vjp_call_jaxpr"):
        return primitive.replace("_call_jaxpr", ""), params["fun_jaxpr"].jaxpr, 1
    raise ValueError(f"unmatched eqn {primitive}: no rule for its inner jaxpr.")


_CALLS = frozenset(
    "named_call custom_jvp_call_jaxpr custom_vjp_call_jaxpr custom_jvp_call custom_vjp_call "
    "remat_call scan while xla_call xla_pmap jit pjit remat2 shard_map".split()
)


class Walker:
    """Builds the module of one jaxpr (and, recursively, of the calls inside it)."""

    def __init__(self, compute_flops: jaxpr_tree.ComputeFlopsFn | None):
        self.compute_flops = compute_flops
        self.seen: set[str] = set()

    def process_jaxpr(self, jaxpr: Any, scope: str, module: jaxpr_tree.Module) -> int | None:
        """Fills `module` with the equations of `jaxpr`; returns their FLOPs (or `None`)."""
        binders = itertools.chain(
            jaxpr.constvars, jaxpr.invars, (v for e in jaxpr.eqns for v in e.outvars)
        )
        index = {var: i for i, var in enumerate(binders)}
        by_output = {self.name(index, v): eqn for eqn in jaxpr.eqns for v in eqn.outvars}
        for var in [*jaxpr.invars, *jaxpr.constvars]:
            self.mark(index, var, scope)
        flops = None if self.compute_flops is None else 0
        for var in jaxpr.outvars:
            if isinstance(var, jax_core.Var) and self.mark(index, var, scope):
                eqn = by_output[self.name(index, var)]
                found = self.process_eqn(eqn, by_output, scope, module, index)
                flops = None if flops is None else flops + (found or 0)
        module.expressions.sort(key=lambda e: sort_key(e.first_outvar))
        module.flops = flops
        return flops

    @staticmethod
    def name(index: dict[Any, int], atom: Any) -> str:
        if isinstance(atom, jax_core.DropVar):
            return "_"
        if isinstance(atom, jax_core.Literal):
            return str(atom)
        return _letters(index[atom])

    def mark(self, index: dict[Any, int], var: Any, scope: str) -> bool:
        """Marks `var` as seen in `scope`; True if it was not seen before."""
        key = f"{scope}/{self.name(index, var)}"
        if key in self.seen:
            return False
        self.seen.add(key)
        return True

    def _expression(self, eqn: Any, index: dict[Any, int]) -> jaxpr_tree.Expression:
        outvars = sorted((self.name(index, v) for v in eqn.outvars), key=sort_key)
        invars = [self.name(index, v) for v in eqn.invars]
        name_stack = str(eqn.source_info.name_stack)
        return jaxpr_tree.Expression(
            primitive=eqn.primitive.name,
            invars=" ".join(invars) if len(invars) < 10 else f"{len(invars)} inputs",
            outvars=" ".join(outvars)
            if len(outvars) < 10
            else f"{outvars[0]}, {len(outvars) - 1} more outputs",
            first_outvar=outvars[0],
            name_stack=name_stack.split("/") if name_stack else [],
        )

    def process_eqn(
        self,
        eqn: Any,
        by_output: dict[str, Any],
        scope: str,
        module: jaxpr_tree.Module,
        index: dict[Any, int],
    ) -> int | None:
        """Adds `eqn`, then the equations computing its inputs; returns their FLOPs."""
        for var in eqn.outvars:
            self.mark(index, var, scope)
        expression = self._expression(eqn, index)
        if eqn.primitive.name in _CALLS:
            name, inner, multiplier = _call_body(eqn)
            expression.submodule = jaxpr_tree.Module(name=name)
            flops = self.process_jaxpr(inner, f"{scope}/{id(eqn)}", expression.submodule)
            flops = None if flops is None else flops * multiplier
            expression.submodule.flops = expression.flops = flops
            if flops is None or flops > 0:
                module.expressions.append(expression)
        else:
            shapes = []
            if eqn.invars:
                shapes.append("in " + ", ".join(_format_shape(v) for v in eqn.invars))
            if eqn.outvars:
                shapes.append("out " + ", ".join(_format_shape(v) for v in eqn.outvars))
            expression.details = ", ".join(shapes)
            expression.params.update({k: str(v) for k, v in eqn.params.items()})
            flops = None if self.compute_flops is None else self.compute_flops(eqn, expression)
            expression.flops = flops
            module.expressions.append(expression)
        for var in eqn.invars:
            if isinstance(var, jax_core.Literal) or not self.mark(index, var, scope):
                continue
            key = self.name(index, var)
            if key not in by_output:
                logging.warning("missing var %s = %s", key, type(var))
                continue
            found = self.process_eqn(by_output[key], by_output, scope, module, index)
            flops = None if flops is None else flops + (found or 0)
        return flops


def name_scopes_to_modules(module: jaxpr_tree.Module) -> None:
    """Nests the expressions of `module` (recursively) in modules named after their scopes."""
    expressions = list(module.expressions)
    module.expressions.clear()
    if module.flops:
        module.flops = 0  # Summed again below, over the expressions.
    stack = [module]
    for expression in expressions:
        if expression.submodule is not None:
            name_scopes_to_modules(expression.submodule)
        del stack[len(expression.name_stack) + 1 :]  # Leave scopes that have closed.
        for depth, scope_name in enumerate(expression.name_stack, start=1):
            if depth < len(stack) and stack[depth].name != scope_name:
                del stack[depth:]  # A different scope at this depth.
            if depth == len(stack):
                scope = jaxpr_tree.Expression(primitive="name_scope", invars="", outvars="")
                scope.submodule = jaxpr_tree.Module(name=scope_name)
                stack[-1].expressions.append(scope)
                stack.append(scope.submodule)
        stack[-1].expressions.append(expression)
        if expression.flops:
            for enclosing in stack:
                enclosing.flops = (enclosing.flops or 0) + expression.flops
    return None
