"""An interactive HTML tree of a `make_model_info` result: `as_html`, `as_html_page`."""

from __future__ import annotations

import html

from sonnax._src.experimental import jaxpr_info, jaxpr_tree

_CSS = """\
.node { list-style-type: none; }
.node ol { padding-left: 0; margin-left: 30px; }
li.node { border-left: 1px solid black; }
li.node:last-child { border-left: none; }
li.node:last-child > span:first-child { margin-left: -5px; }
.expander { cursor: pointer; font-family: monospace; }
.expression { padding-left: 25px; }
.tooltip-container .tooltip {
  visibility: hidden; position: absolute; z-index: 1;
  margin-top: 1.4em; padding: 8px; border-radius: 6px; background-color: #e3eaff;
}
.tooltip-container:hover .tooltip { visibility: visible; }
.model-info { font-family: monospace; }
.flops { color: grey; }
.primitive { color: #3f48b0; }
"""

# A node's children are its last element; the `[expand]` link is the one before.
_JS = """
function toggle(el, open) {
  const parts = el.parentElement.children;
  parts[parts.length - 1].style.display = open ? 'block' : 'none';
  parts[parts.length - 2].style.display = open ? 'none' : 'inline';
  parts[0].onclick = () => toggle(el, !open);
}
function expand(el) { toggle(el, true); }
function collapse(el) { toggle(el, false); }
"""


def css() -> str:
    """The stylesheet that `as_html` output needs."""
    return _CSS


def js() -> str:
    """The script (expand/collapse) that `as_html` output needs."""
    return _JS


def as_html_page(module: jaxpr_tree.Module, min_flop: int = 1000) -> str:
    """A complete HTML page showing `module` as an expandable tree.

    Args:
      module: a `Module` from `make_model_info`.
      min_flop: operations with fewer FLOPs are hidden (when FLOPs were computed).

    Returns:
      The page's HTML.
    """
    body = as_html(module, min_flop=min_flop)
    return (
        f"<html>\n<head>\n<style>{css()}</style>\n<script>{js()}</script>\n</head>\n"
        f"<body>{body}</body>\n</html>"
    )


def _sizes(module: jaxpr_tree.Module) -> str:
    text = ""
    if module.flops is not None:
        text += f"<span class='flops'>{jaxpr_info.decimal_prefix(module.flops, 'flop')}</span>"
    if module.total_param_size > 0:
        size = jaxpr_info.decimal_prefix(module.total_param_size, "param")
        text += f"<span class='flops'>{size}</span>"
    if module.total_state_size > 0:
        size = jaxpr_info.decimal_prefix(module.total_state_size, "state")
        text += f"<span class='flops'>{size}</span>"
    return text


def _tooltip(module: jaxpr_tree.Module) -> str:
    rows = ["<tr><th colspan=2>Param</th></tr>"]
    rows += [f"<tr><td>{k}</td><td>{v}</td></tr>" for k, v in module.param_info.items()]
    rows.append("<tr><th colspan=2>State</th></tr>")
    rows += [f"<tr><td>{k}</td><td>{v}</td></tr>" for k, v in module.state_info.items()]
    return f"<span class='tooltip'><table>{''.join(rows)}</table></span>"


def _expression_html(expression: jaxpr_tree.Expression) -> str:
    params = "".join(f"<div>{k}: {html.escape(v)}</div>" for k, v in expression.params.items())
    flops = jaxpr_info.decimal_prefix(expression.flops or 0, "flops")
    return (
        f"<div class='expression tooltip-container'>"
        f"<span class='tooltip'>{expression.details}{params}</span>"
        f"{expression.outvars} = <span class='primitive'>{expression.primitive}</span> "
        f"{expression.invars} <span class='flops'>{flops}</span></div>"
    )


def as_html(
    module: jaxpr_tree.Module, min_flop: int = 1000, outvars: str = "", last: bool = False
) -> str:
    """`module` as nested HTML lists (embed `css()` and `js()` beside it).

    Args:
      module: a `Module` from `make_model_info`.
      min_flop: operations with fewer FLOPs are hidden (when FLOPs were computed).
      outvars: the variables `module` computes, shown before its name.
      last: whether `module` is the last child of its parent (drawn with an elbow).

    Returns:
      The HTML of the tree.
    """
    connector = "&#9492;&#9472;" if last else "&#9472;&#9472;"
    text = f"<span><span class='expander' onclick='javascript:expand(this)'>{connector}</span>"
    text += f"<span class='tooltip-container'> {outvars} = <b>{module.name}</b>"
    text += _sizes(module) + _tooltip(module) + "</span>"
    shown = [e for e in module.expressions if e.flops is None or e.flops >= min_flop]
    if shown:
        text += "<span class='expander' onclick='javascript:expand(this)'>[expand]</span>"
        text += "<ol style='display:none'>"
        for i, expression in enumerate(shown):
            text += "<li class='node'>"
            if expression.submodule:
                is_last = i + 1 == len(shown)
                text += as_html(expression.submodule, min_flop, expression.outvars, is_last)
            else:
                text += _expression_html(expression)
            text += "</li>"
        text += "</ol>"
    return text + "</span>"
