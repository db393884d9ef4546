"""Tests for sonnax/_src/transforms/stateful/internal_state.py: the frames the stateful
transforms open, seen through `config.check_jax_usage`, with dm-haiku as the oracle."""

import jax
import jax.numpy as jnp
import pytest

from tests import helpers
from tests.transforms.stateful_oracle import assert_same_as_haiku, count, noise, zero_state

X = jnp.array([0.5, -1.0, 2.0])
XS = jnp.stack([X, 2 * X])


def every_transform(lib, x, xs):
    linear = lib.Linear(3)
    zero_state(lib, "count")

    def body(x):
        count(lib)
        return linear(x) * noise(lib)

    outs = [
        lib.vmap(body, split_rng=False)(xs),
        lib.scan(lambda c, x: (c + body(x), None), x, xs)[0],
        lib.map(body, xs),
        lib.fori_loop(0, 2, lambda i, x: body(x), x),
        lib.remat(body)(x),
        lib.grad(lambda x: body(x).sum())(x),
        lib.eval_shape(body, x).shape,
    ]
    if not lib.running_init():
        outs += [
            lib.cond(x.sum() > 0, body, lambda x: -body(x), x),
            lib.switch(1, [body, body], x),
            lib.while_loop(lambda x: x.sum() < 10, lambda x: jnp.abs(body(x)) + 1, x),
        ]
    return outs


def test_sonnax_apis_allowed_inside_every_stateful_transform():
    def build(lib, x, xs):
        with lib.config.context(check_jax_usage=True):
            return every_transform(lib, x, xs)

    assert_same_as_haiku(build, X, XS, jit=True)


@pytest.mark.parametrize(
    "raw",
    [
        pytest.param(lambda f, x: jax.vmap(f)(x), id="vmap"),
        pytest.param(lambda f, x: jax.jit(f)(x), id="jit"),
        pytest.param(lambda f, x: jax.lax.cond(True, f, f, x), id="cond"),
        pytest.param(lambda f, x: jax.lax.map(f, x), id="map"),
    ],
)
def test_raw_jax_transform_refused(raw):
    def trigger(lib):
        def f(xs):
            with lib.config.context(check_jax_usage=True):
                return raw(lambda x: x * noise(lib), xs)

        lib.transform(f).apply({}, jax.random.PRNGKey(0), XS)

    helpers.assert_raises_like_haiku(
        ValueError, "tl;dr - You need to use a", "instead of the `jax.\\*` equivalent", trigger
    )


def test_raw_jax_transform_inside_stateful_transform_refused():
    def trigger(lib):
        def f(xs):
            with lib.config.context(check_jax_usage=True):
                per_example = lambda x: jax.jit(lambda x: x * noise(lib))(x)  # noqa: E731
                return lib.vmap(per_example, split_rng=True)(xs)

        lib.transform(f).apply({}, jax.random.PRNGKey(0), XS)

    helpers.assert_raises_like_haiku(ValueError, "tl;dr", "hk.next_rng_key", trigger)


def test_state_survives_nesting():
    def build(lib, xs):
        zero_state(lib, "count")
        per_element = lib.vmap(lambda v: v * noise(lib), split_rng=True)

        def step(carry, x):
            def positive(x):
                count(lib)
                return per_element(x)

            return carry, lib.cond(x.sum() > 0, positive, lambda x: x - noise(lib), x)

        return lib.scan(step, 0, jnp.concatenate([xs, -xs, xs]))[1]

    _, _, _, new_state = assert_same_as_haiku(build, XS, jit=True)
    assert new_state == {"~": {"count": 4}}  # Rows with a positive sum: X, 2X and their copies.
