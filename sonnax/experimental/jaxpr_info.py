"""Inspect what a function computes, module by module (Haiku's `hk.experimental.jaxpr_info`)."""

from sonnax._src.experimental.jaxpr_html import as_html as as_html
from sonnax._src.experimental.jaxpr_html import as_html_page as as_html_page
from sonnax._src.experimental.jaxpr_html import css as css
from sonnax._src.experimental.jaxpr_html import js as js
from sonnax._src.experimental.jaxpr_info import format_module as format_module
from sonnax._src.experimental.jaxpr_info import make_model_info as make_model_info
from sonnax._src.experimental.jaxpr_tree import Expression as Expression
from sonnax._src.experimental.jaxpr_tree import Module as Module

__all__ = [
    "Expression",
    "Module",
    "as_html",
    "as_html_page",
    "css",
    "format_module",
    "js",
    "make_model_info",
]
