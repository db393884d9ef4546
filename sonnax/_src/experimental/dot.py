"""`to_dot`, `abstract_to_dot`: Graphviz source of the operations a function runs, by module."""

from __future__ import annotations

import collections
import functools
import html
from collections.abc import Callable
from typing import Any

import jax

from sonnax._src.experimental import dot_graph, summarise

_HEAD = """\
digraph G {{
rankdir = TD;
compound = true;
label = <<b>{title}</b>>;
fontsize={fontsize};
labelloc = t;
stylesheet = <
  data:text/css,
  @import url(https://fonts.googleapis.com/css?family=Roboto:400,700);
  svg text {{
    font-family: 'Roboto';
  }}
  .node text {{
    font-size: 12px;
  }}"""
_CLUSTER = """\
subgraph cluster_{id} {{
  style="rounded,filled";
  fillcolor="#F0F5F5";
  color="#14234B;";
  pad=0.1;
  fontsize={fontsize};
  label = <<b>{title}</b>>;
  labelloc = t;"""
_NODE = (
    '{id} [label=<{label}>,  id="node{id}", shape=rect, style="{style}", tooltip=" ", '
    'fontcolor="black", color="{color}", fillcolor="{fill}"];'
)
_ARG = (
    '{id} [label=<{label}> id="node{id}", shape=rect, style="filled", fontcolor="{font}", '
    'color="#FF8A4F", fillcolor="{fill}"];'
)
_CAPTURE = (
    '{id} [label=<{label}> shape=rect, style="filled", fontcolor="black", color="#A261FF", '
    'fillcolor="#E6D6FF"];'
)


def to_dot(fun: Callable[..., Any]) -> Callable[..., str]:
    """Wraps `fun` to return Graphviz (dot) source of the operations it runs.

    Operations are grouped in a cluster per module method call (and per
    `jit`); inputs, outputs and captured constants are drawn in their own
    colours. Render it with the `graphviz` package if you have it:
    `graphviz.Source(dot)`.

    >>> import sonnax as hk
    >>> import jax, jax.numpy as jnp
    >>> f = hk.transform(lambda x: hk.Linear(2)(x))
    >>> x = jnp.ones([1, 3])
    >>> dot = hk.to_dot(f.apply)(f.init(jax.random.PRNGKey(0), x), None, x)
    >>> dot.splitlines()[0], "<b>linear</b>" in dot
    ('digraph G {', True)

    Args:
      fun: a function using modules (e.g. a transformed function's `apply`).

    Returns:
      A function taking `fun`'s positional arguments and returning the dot text.
    """
    graph_fun = dot_graph.to_graph(fun, getattr(fun, "__name__", str(fun)))

    @functools.wraps(fun)
    def wrapped(*args: Any) -> str:
        return render(*graph_fun(*args))

    return wrapped


def abstract_to_dot(fun: Callable[..., Any]) -> Callable[..., str]:
    """Like `to_dot`, from abstract inputs (`jax.ShapeDtypeStruct` allowed).

    No values are computed, so `fun` must not branch on data.

    Args:
      fun: a function using modules.

    Returns:
      A function taking `fun`'s positional arguments and returning the dot text.
    """

    @functools.wraps(fun)
    def wrapped(*args: Any) -> str:
        found: list[str] = []
        # eval_shape returns only arrays, so the text leaves through `found`.
        jax.eval_shape(lambda *inner: found.append(to_dot(fun)(*inner)), *args)
        assert found, "the dot graph was not produced by the abstract evaluation"
        return found[0]

    return wrapped


def _format_value(value: Any) -> str:
    if not hasattr(value, "shape"):
        return repr(value)
    return summarise.format_array(value)


def _font_size(depth: int) -> int:
    return int(1.4**depth * 14)


def _depth(graph: dot_graph.Graph) -> int:
    return 1 + max([0, *(_depth(s) for s in graph.subgraphs)]) if graph.subgraphs else 1


def _path_text(path: tuple[Any, ...]) -> str:
    return "/".join(map(str, path))


def _paths(tree: Any) -> list[tuple[tuple[Any, ...], Any]]:
    """`(path, leaf)` pairs, keys as plain values (index, dict key or attribute name)."""
    leaves, _ = jax.tree_util.tree_flatten_with_path(tree)
    plain = []
    for path, leaf in leaves:
        keys = tuple(getattr(k, "idx", getattr(k, "key", getattr(k, "name", k))) for k in path)
        plain.append((keys, leaf))
    return plain


class _Renderer:
    """Writes the graph's lines, tracking argument reuse and captured constants."""

    def __init__(self, args: Any, outputs: Any):
        self.lines: list[str] = []
        self.arg_ids = {id(v) for v in jax.tree.leaves(args)}
        self.arg_uses: collections.Counter[int] = collections.Counter()
        self.used_ids: set[int] = set()
        self.op_output_ids: set[int] = set()
        self.captures: list[Any] = []
        self.output_ids = {id(v) for v in jax.tree.leaves(outputs)}
        self.output_names = {}
        for path, value in _paths(outputs):
            name = f"output[{path[0]}]" if isinstance(outputs, tuple) else "output"
            rest = path[1:] if isinstance(outputs, tuple) else path
            self.output_names[id(value)] = name + (f": {_path_text(rest)}" if rest else "")

    def node(self, node: dot_graph.Node) -> None:
        label = f"<b>{html.escape(node.title)}</b>"
        for output in node.outputs:
            label += "<br/>" + _format_value(output)
            self.op_output_ids.add(id(output))
        node_id = id(node.id)
        style, color, fill = "filled", "#FFDB13", "#FFF26E"
        if node_id in self.output_ids:
            label = f"<b>{html.escape(self.output_names[node_id])}</b><br/>" + label
            style, color, fill = "filled,bold", "#0053D6", "#AABFFF"
        line = _NODE.format(id=node_id, label=label, style=style, color=color, fill=fill)
        self.lines.append(line)

    def graph(self, graph: dot_graph.Graph, depth: int, nested: bool) -> None:
        if nested:
            title = html.escape(graph.title)
            cluster = _CLUSTER.format(id=id(graph), fontsize=_font_size(depth), title=title)
            self.lines.append(cluster)
        for node in graph.nodes:
            self.node(node)
        for subgraph in graph.subgraphs:
            self.graph(subgraph, depth - 1, nested=True)
        if nested:
            self.lines.append(f"}}  // subgraph cluster_{id(graph)}")
        for source, target in graph.edges:
            if id(source) not in self.arg_ids and id(source) not in self.op_output_ids:
                self.captures.append(source)
            a, b = id(source), id(target)
            if a in self.arg_ids:
                self.lines.append(f"{a}{self.arg_uses[a]} -> {b};")
                self.arg_uses[a] += 1
            else:
                self.lines.append(f"{a} -> {b};")
            self.used_ids.add(a)

    def arguments(self, args: Any) -> None:
        for path, value in _paths(args):
            node_id = id(value)
            if node_id not in self.used_ids:
                continue
            base = f"<b>args[{html.escape(str(path[0]))}]"
            base += (f": {_path_text(path[1:])}" if len(path) > 1 else "") + "</b>"
            if hasattr(value, "shape") and hasattr(value, "dtype"):
                base += f"<br/>{html.escape(_format_value(value))}"
            for use in range(self.arg_uses[node_id]):
                label, fill, font = base, "#FFDEAF", "black"
                if use > 0:
                    label, fill, font = "<b>(reuse)</b><br/>" + base, "#FFEACC", "#565858"
                self.lines.append(
                    _ARG.format(id=f"{node_id}{use}", label=label, fill=fill, font=font)
                )

    def constants(self) -> None:
        for value in self.captures:
            if not hasattr(value, "aval") and hasattr(value, "size") and value.size == 1:
                label = f"<b>{value.item()}</b>"
            else:
                label = f"<b>{html.escape(_format_value(value))}</b>"
            self.lines.append(_CAPTURE.format(id=id(value), label=label))

    def hover_styles(self) -> list[str]:
        """CSS making all the boxes of a reused argument light up together."""
        styles = []
        for node_id, uses in self.arg_uses.items():
            if uses == 1:
                continue
            for a in range(uses):
                for b in range(uses):
                    target = "" if a == b else f" ~ %23node{node_id}{b}"
                    styles.append(f"%23node{node_id}{a}:hover{target} {{ stroke-width: 0.2em; }}")
        return styles


def render(graph: dot_graph.Graph, args: Any, outputs: Any) -> str:
    """The dot text of a recorded graph (see `dot_graph.to_graph`)."""
    renderer = _Renderer(args, outputs)
    depth = _depth(graph)
    renderer.graph(graph, depth, nested=False)
    renderer.arguments(args)
    renderer.constants()
    head = _HEAD.format(title=html.escape(graph.title), fontsize=_font_size(depth))
    lines = [head, *renderer.hover_styles(), ">", *renderer.lines, "} // digraph G"]
    return "\n".join(lines) + "\n"
