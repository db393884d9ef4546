"""Non-TF checks of Dropout, Deferred, scale_gradient and leaky_clip_by_value."""

from __future__ import annotations

import inspect

import jax
import jax.numpy as jnp
import sonnet

import sonnax
from sonnax import compat


def _params(function):
    return [(p.name, p.default) for p in inspect.signature(function).parameters.values()]


def test_signatures_match_sonnet() -> None:
    assert _params(compat.Dropout.__init__) == _params(sonnet.Dropout.__init__)
    assert _params(compat.Deferred.__init__) == _params(sonnet.Deferred.__init__)
    assert _params(compat.Dropout.__call__) == [("self", inspect.Parameter.empty)] + [
        ("x", inspect.Parameter.empty),
        ("is_training", inspect.Parameter.empty),
    ]


def test_deferred_builds_lazily_and_forwards_attributes() -> None:
    built = []

    def forward(x):
        def make():
            built.append(True)
            return compat.Linear(2, name="lin")

        d = compat.Deferred(make)
        assert not built
        out = d(x)
        assert d.output_size == 2 and d.w.shape == (3, 2)
        return out

    params = sonnax.transform(forward).init(jax.random.PRNGKey(0), jnp.ones([1, 3]))
    assert list(params) == ["lin"]
    assert built == [True]


def test_scale_gradient_under_jit_and_vmap() -> None:
    def f(x):
        return jnp.sum(compat.scale_gradient(x, 3.0) ** 2)

    x = jnp.array([1.0, -2.0])
    assert jnp.allclose(jax.jit(jax.grad(f))(x), 3.0 * 2 * x)
    assert jnp.allclose(jax.vmap(jax.grad(f))(x[:, None]), (3.0 * 2 * x)[:, None])


def test_leaky_clip_forward_clips() -> None:
    x = jnp.array([-3.0, 0.0, 3.0])
    assert jnp.array_equal(compat.leaky_clip_by_value(x, -1.0, 1.0), jnp.array([-1.0, 0.0, 1.0]))
