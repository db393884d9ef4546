"""to_dot draws the same graph as Haiku's (node ids aside)."""

import re

import haiku
import jax
import jax.numpy as jnp

import sonnax


def _normalised(dot):
    """Node ids are Python `id`s; number them by first appearance instead."""
    ids = {}
    return re.sub(r"\d{6,}", lambda m: f"ID{ids.setdefault(m.group(0), len(ids))}", dot)


def _net(lib, x):
    class Scale(lib.Module):
        def __call__(self, x):
            return self.twice(x) + lib.get_parameter("s", [], init=jnp.ones)

        def twice(self, x):
            return x * 2.0

    y = lib.nets.MLP([3, 2], activation=jnp.tanh)(x)
    return {"a": Scale()(y), "b": jax.jit(jnp.sin)(x)}, x + 1


def _dots(convert):
    out = []
    for lib in (haiku, sonnax):
        f = lib.transform(lambda x, lib=lib: _net(lib, x))
        x = jnp.ones([1, 4])
        params = f.init(jax.random.PRNGKey(0), x)
        out.append(_normalised(getattr(lib, convert)(f.apply)(params, None, x)))
    return out


def test_to_dot_matches_haiku():
    ours_haiku, ours = _dots("to_dot")
    assert ours == ours_haiku
    assert ours.count(" -> ") == ours_haiku.count(" -> ") > 10
    assert "label = <<b>mlp/~/linear_0</b>>" in ours and "jit (sin)" in ours


def test_abstract_to_dot_matches_haiku():
    def build(lib):
        f = lib.transform(lambda x: lib.Linear(2)(x))
        x = jax.ShapeDtypeStruct((1, 3), jnp.float32)
        params = jax.eval_shape(f.init, jax.random.PRNGKey(0), x)
        return _normalised(lib.experimental.abstract_to_dot(f.apply)(params, None, x))

    assert build(sonnax) == build(haiku)


def test_custom_jvp_is_drawn_through():
    # Haiku 0.0.17 on this JAX raises UnexpectedTracerError on custom_jvp functions
    # (e.g. jax.nn.relu); sonnax draws their primal operations.
    dot = sonnax.to_dot(lambda x: jax.nn.relu(x))(jnp.ones([2]))
    assert "<b>max</b>" in dot and "<b>output</b>" in dot
