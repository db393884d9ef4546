"""Records a function's JAX operations as a graph, clustered by module method call.

The function runs eagerly under a tracer that forwards every primitive to the
enclosing trace and writes down a node (the primitive and its outputs) and its
edges (from its inputs). Each module method call, and each `jit`, opens a
subgraph. Values are identified by `id`, as `to_dot` renders them.
"""

from __future__ import annotations

import contextlib
import dataclasses
import threading
from collections.abc import Callable, Iterator
from typing import Any

import jax
import jax.core
from jax.extend import core as jax_core

from sonnax._src.core import interceptors


@dataclasses.dataclass
class Node:
    """A primitive application: `id` is its first output, by which edges refer to it."""

    id: Any
    title: str
    outputs: list[Any]


@dataclasses.dataclass
class Graph:
    """A (sub)graph: nodes, edges `(source value, node id value)` and nested subgraphs."""

    title: str = ""
    nodes: list[Node] = dataclasses.field(default_factory=list)
    edges: list[tuple[Any, Any]] = dataclasses.field(default_factory=list)
    subgraphs: list[Graph] = dataclasses.field(default_factory=list)


class _Graphs(threading.local):
    def __init__(self) -> None:
        self.stack: list[Graph] = []


_graphs = _Graphs()


@contextlib.contextmanager
def _open(graph: Graph) -> Iterator[Graph]:
    _graphs.stack.append(graph)
    try:
        yield graph
    finally:
        _graphs.stack.pop()


def _module_subgraph(next_fun: Callable[..., Any], args: Any, kwargs: Any, context: Any) -> Any:
    """Method interceptor: the call's operations go into a subgraph named after it."""
    with _open(Graph()) as graph:
        out = next_fun(*args, **kwargs)
    graph.title = context.module.module_name  # Known only after `__init__` has run.
    if context.method_name != "__call__":
        graph.title += f" ({context.method_name})"
    _graphs.stack[-1].subgraphs.append(graph)
    return out


class _DotTracer(jax.core.Tracer):
    """Wraps a value computed by the enclosing trace."""

    __slots__ = ("val",)

    def __init__(self, trace: _DotTrace, val: Any):
        super().__init__(trace, jax.typeof(val))
        self.val = val


class _DotTrace(jax.core.Trace):
    """Forwards primitives to `parent`, recording them in the innermost open graph."""

    def __init__(self, parent: Any, tag: Any):
        super().__init__()
        self.parent = parent
        self.tag = tag

    def to_val(self, value: Any) -> Any:
        if isinstance(value, _DotTracer) and value._trace.tag is self.tag:
            return value.val
        return value

    def process_primitive(self, primitive: Any, tracers: Any, params: Any) -> Any:
        vals = [self.to_val(t) for t in tracers]
        if primitive is jax_core.primitives.jit_p:
            return self._call(params["name"], params, vals, _jaxpr_function(params["jaxpr"]))
        with jax_core.set_current_trace(self.parent):
            out = primitive.bind(*vals, **params)
        outputs = list(jax.tree.leaves(out))
        if outputs:
            graph = _graphs.stack[-1]
            graph.nodes.append(Node(id=outputs[0], title=str(primitive), outputs=outputs))
            graph.edges.extend((val, outputs[0]) for val in vals)
        return jax.tree.map(lambda v: _DotTracer(self, v), out)

    def _call(self, name: str, params: Any, vals: list[Any], fun: Callable[..., Any]) -> Any:
        if params.get("inline", False):
            return trace_flat(fun, self.tag, self.parent, vals, self)
        graph = Graph(title=f"jit ({name})")
        _graphs.stack[-1].subgraphs.append(graph)
        with _open(graph):
            return trace_flat(fun, self.tag, self.parent, vals, self)

    def process_call(self, call_primitive: Any, f: Any, tracers: Any, params: Any) -> Any:
        name = getattr(f.f, "__name__", str(f.f))
        graph = Graph(title=f"{call_primitive} ({name})")
        _graphs.stack[-1].subgraphs.append(graph)
        with _open(graph):
            vals = [self.to_val(t) for t in tracers]
            return trace_flat(f.call_wrapped, self.tag, self.parent, vals, self)

    process_map = process_call

    def process_custom_jvp_call(
        self, primitive: Any, fun: Any, jvp: Any, tracers: Any, *, symbolic_zeros: Any
    ) -> Any:
        del primitive, jvp, symbolic_zeros  # Only the primal computation is drawn.
        with jax_core.set_current_trace(self):
            return fun.call_wrapped(*tracers)

    def process_custom_vjp_call(
        self,
        primitive: Any,
        fun: Any,
        fwd: Any,
        bwd: Any,
        tracers: Any,
        out_trees: Any,
        symbolic_zeros: Any,
    ) -> Any:
        del primitive, fwd, bwd, out_trees, symbolic_zeros  # Only the primal computation.
        with jax_core.set_current_trace(self):
            return fun.call_wrapped(*tracers)


def _jaxpr_function(closed_jaxpr: Any) -> Callable[..., Any]:
    return jax_core.jaxpr_as_fun(closed_jaxpr)


def trace_flat(
    fun: Callable[..., Any], tag: Any, parent: Any, vals: list[Any], wrap_as: Any = None
) -> Any:
    """Runs `fun(*vals)` under a fresh recording trace; returns its flat outputs.

    With `wrap_as` (the calling trace), the outputs are wrapped as its tracers.
    """
    trace = _DotTrace(parent, tag)
    with jax_core.set_current_trace(trace):
        outs = fun(*[_DotTracer(trace, v) for v in vals])
    outs = [trace.to_val(o) for o in outs]
    return outs if wrap_as is None else [_DotTracer(wrap_as, v) for v in outs]


def to_graph(fun: Callable[..., Any], title: str) -> Callable[..., tuple[Graph, Any, Any]]:
    """Wraps `fun` to return `(graph, args, outputs)` of one eager run."""

    def run(*args: Any) -> tuple[Graph, Any, Any]:
        flat_args, in_tree = jax.tree.flatten(args)
        out_tree: list[Any] = []

        def flat_fun(*flat: Any) -> list[Any]:
            out = fun(*jax.tree.unflatten(in_tree, flat))
            leaves, treedef = jax.tree.flatten(out)
            out_tree.append(treedef)
            return leaves

        graph = Graph(title=title)
        with _open(graph), interceptors.intercept_methods(_module_subgraph):
            with jax_core.take_current_trace() as parent:
                flat_out = trace_flat(flat_fun, jax_core.TraceTag(), parent, flat_args)
        return graph, args, jax.tree.unflatten(out_tree[0], flat_out)

    return run
