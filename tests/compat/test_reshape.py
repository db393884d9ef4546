"""Non-TF checks of compat `Reshape` / `Flatten`: signatures and errors match Sonnet's."""

from __future__ import annotations

import inspect

import jax
import jax.numpy as jnp
import pytest
import sonnet

import sonnax
from sonnax import compat


@pytest.mark.parametrize("name", ["Reshape", "Flatten"])
def test_signature_matches_sonnet(name: str) -> None:
    ours = inspect.signature(getattr(compat, name).__init__)
    theirs = inspect.signature(getattr(sonnet, name).__init__)
    assert list(ours.parameters) == list(theirs.parameters)
    assert [p.default for p in ours.parameters.values()] == [
        p.default for p in theirs.parameters.values()
    ]


@pytest.mark.parametrize("name", ["reshape", "flatten"])
def test_function_signature_matches_sonnet(name: str) -> None:
    ours = inspect.signature(getattr(compat, name))
    theirs = inspect.signature(getattr(sonnet, name))
    assert list(ours.parameters) == list(theirs.parameters)


def test_bad_preserve_dims() -> None:
    f = sonnax.transform_with_state(lambda: compat.Reshape((-1,), preserve_dims=0))
    with pytest.raises(ValueError, match="preserve_dims should be >= 1"):
        f.init(None)


def test_rank_below_preserve_dims_names_module() -> None:
    f = sonnax.transform_with_state(lambda x: compat.Flatten(preserve_dims=3, name="fl")(x))
    with pytest.raises(ValueError, match="fl.*preserve_dims=3"):
        f.init(None, jnp.zeros([2, 3]))


def test_reversed_default_name_and_jit() -> None:
    def forward(x):
        module = compat.Reshape((6,), name="r")
        y = module(x)
        back = module.reversed()
        return back(y), back.module_name

    f = sonnax.transform_with_state(lambda x: forward(x)[0])
    x = jnp.arange(12.0).reshape(2, 3, 2)
    out, _ = jax.jit(f.apply)({}, {}, None, x)
    assert (out == x).all()
    names = []
    sonnax.transform_with_state(lambda x: names.append(forward(x)[1])).init(None, x)
    assert names == ["r_reversed"]
