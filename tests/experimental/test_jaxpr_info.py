"""jaxpr_info builds the same module tree as Haiku's."""

import re

import haiku
import jax
import jax.numpy as jnp
import pytest
from haiku.experimental import jaxpr_info as haiku_jaxpr_info

import sonnax
from sonnax.experimental import jaxpr_info


def _net(lib, x):
    y = lib.nets.MLP([3, 2])(x)
    with jax.named_scope("outer"):
        y = jax.jit(jnp.sin)(y)
    count = lib.get_state("count", [2], init=jnp.zeros)
    lib.set_state("count", count + 1)
    return lib.Linear(1)(y) + count.sum()


def _info(lib, info_module, **options):
    f = lib.transform_with_state(lambda x: _net(lib, x))
    x = jnp.ones([1, 4])
    params, state = f.init(jax.random.PRNGKey(0), x)
    return info_module.make_model_info(f.apply, **options)(params, state, None, x)


def _seven_flops(eqn, expression):
    del eqn, expression
    return 7


@pytest.mark.parametrize(
    "options",
    [{}, {"compute_flops": _seven_flops, "name": "net"}, {"include_module_info": False}],
    ids=["default", "flops", "no_module_info"],
)
def test_format_module_matches_haiku(options):
    ours = jaxpr_info.format_module(_info(sonnax, jaxpr_info, **options))
    theirs = haiku_jaxpr_info.format_module(_info(haiku, haiku_jaxpr_info, **options))
    assert ours == theirs
    assert "linear_0" in ours and "outer" in ours


def test_tree_fields_match_haiku():
    ours, theirs = _info(sonnax, jaxpr_info), _info(haiku, haiku_jaxpr_info)

    def flat(module):
        rows = [(module.name, module.flops, module.total_param_size, module.param_info)]
        rows.append((module.total_state_size, module.state_info))
        for e in module.expressions:
            rows.append((e.primitive, e.invars, e.outvars, e.details, e.params, e.first_outvar))
            rows += flat(e.submodule) if e.submodule else []
        return rows

    assert flat(ours) == flat(theirs)


def _text(page):
    """The visible text of an HTML page: tags and whitespace removed."""
    return re.sub(
        r"\s+",
        "",
        re.sub(r"<[^>]*>", "", re.sub(r"<(style|script)>.*?</\1>", "", page, flags=re.S)),
    )


def test_html_shows_what_haiku_shows():
    ours = jaxpr_info.as_html_page(_info(sonnax, jaxpr_info, compute_flops=_seven_flops), 0)
    theirs = haiku_jaxpr_info.as_html_page(
        _info(haiku, haiku_jaxpr_info, compute_flops=_seven_flops), 0
    )
    assert _text(ours) == _text(theirs)
    assert ours.count("<li class='node'>") == theirs.count("<li class='node'>")
    for function in ("expand", "collapse"):
        assert f"function {function}(el)" in jaxpr_info.js()
    assert ".tooltip-container:hover .tooltip" in jaxpr_info.css()
