"""Tests for sonnax/_src/transforms/stateful/loops.py (scan, map, fori_loop, while_loop),
with dm-haiku as the oracle."""

import jax
import jax.numpy as jnp
import pytest

from tests import helpers
from tests.transforms.stateful_oracle import BOTH, assert_same_as_haiku, count, noise, zero_state

XS = jnp.arange(12.0).reshape([4, 3]) / 10


def scanned_model(lib, xs, reverse=False):
    linear = lib.Linear(3)

    def step(h, x):
        count(lib)
        h = jnp.tanh(linear(x) + h) + noise(lib)
        return h, 2 * h

    return lib.scan(step, jnp.zeros([3]), xs, reverse=reverse)


@pytest.mark.parametrize("jit", [False, True], ids=["eager", "jit"])
def test_scan_threads_params_state_and_rng(jit):
    params, state, _, new_state = assert_same_as_haiku(scanned_model, XS, jit=jit)
    assert set(params) == {"linear"}
    assert state == {"~": {"count": 0}}  # The initial value, before the first step.
    assert new_state == {"~": {"count": 4}}


def test_scan_reverse_with_a_larger_rng_block():
    def build(lib, xs):
        with lib.config.context(rng_reserve_size=3):
            return scanned_model(lib, xs, reverse=True)

    assert_same_as_haiku(build, XS, jit=True)


def test_scan_matches_haiku_gradients():
    helpers.assert_matches_haiku_with_state(scanned_model, XS, apply_key=jax.random.PRNGKey(1))


def test_scan_of_one_step_and_of_none():
    def build(lib, xs):
        linear = lib.Linear(2)
        one = lib.scan(lambda h, x: (h + linear(x), count(lib)), jnp.zeros([2]), xs[:1])
        empty = lib.scan(lambda h, x: (h + linear(x), count(lib)), jnp.zeros([2]), xs[:0])
        return one, empty

    _, state, _, new_state = assert_same_as_haiku(build, XS)
    # An empty scan still runs its step once at init (to shape its outputs), but not in apply.
    assert state == {"~": {"count": 0}} and new_state == {"~": {"count": 1}}


def test_module_made_inside_scan_step():
    def trigger(lib):
        step = lambda h, x: (h + lib.Linear(3)(x), None)  # noqa: E731
        f = lib.transform(lambda xs: lib.scan(step, jnp.zeros([3]), xs))
        jax.eval_shape(f.init, jax.random.PRNGKey(0), XS)

    helpers.assert_raises_like_haiku(
        AssertionError, r"New parameters were created: \[\('linear_1', 'b'\)", "outside", trigger
    )


def test_map():
    def build(lib, xs):
        linear = lib.Linear(2, name="shared")
        zero_state(lib, "count")  # Every step, the first included, adds one.
        return lib.map(lambda x: linear(x) * noise(lib) + count(lib), xs)

    params, _, out, new_state = assert_same_as_haiku(build, XS, jit=True)
    assert set(params) == {"shared"} and out.shape == (4, 2)
    assert new_state == {"~": {"count": 4}}


@pytest.mark.parametrize("upper", [1, 5])
def test_fori_loop(upper):
    def build(lib, x):
        linear = lib.Linear(3)

        def body(i, h):
            count(lib)
            return jnp.tanh(linear(h) + i * noise(lib))

        return lib.fori_loop(0, upper, body, x)

    params, _, _, new_state = assert_same_as_haiku(build, XS[0], jit=True)
    assert set(params) == {"linear"}
    assert new_state == {"~": {"count": upper}}


def test_while_loop_in_apply():
    def build(lib, x):
        linear = lib.Linear(3)
        zero_state(lib, "count")

        def body(h):
            count(lib)
            return h + jnp.abs(linear(h)) + noise(lib)

        if lib.running_init():
            return body(x)
        return lib.while_loop(lambda h: h.sum() < 8.0, body, x)

    assert_same_as_haiku(build, XS[0], jit=True)


@pytest.mark.parametrize("jit", [False, True], ids=["eager", "jit"])
def test_while_loop_counter(jit):
    def build(lib):
        zero_state(lib, "count")
        if not lib.running_init():
            lib.while_loop(lambda i: i < 5, lambda i: i + 1 + 0 * count(lib), 0)

    _, _, _, new_state = assert_same_as_haiku(build, jit=jit)
    assert new_state == {"~": {"count": 5}}


def test_while_loop_at_init():
    def trigger(lib):
        lib.transform(lambda: lib.while_loop(lambda i: i < 2, lambda i: i + 1, 0)).init(None)

    helpers.assert_raises_like_haiku(
        ValueError, "does not support initialization", "hk.running_init", trigger
    )


@pytest.mark.parametrize("lib", BOTH)
def test_while_loop_condition_must_not_change_state(lib):
    def f():
        zero_state(lib, "count")
        if not lib.running_init():
            lib.while_loop(lambda i: count(lib) < i, lambda i: i + 1, 0)

    f = lib.transform_with_state(f)
    params, state = f.init(None)
    with pytest.raises(ValueError, match="does not support `hk.set_state`"):
        f.apply(params, state, None)


@pytest.mark.parametrize(
    "call",
    [
        pytest.param(lambda lib: lib.scan(lambda c, x: (c, x), 0, XS), id="scan"),
        pytest.param(lambda lib: lib.map(lambda x: x, XS), id="map"),
        pytest.param(lambda lib: lib.fori_loop(0, 2, lambda i, x: x, 0), id="fori_loop"),
    ],
)
def test_outside_transform(call):
    helpers.assert_raises_like_haiku(
        ValueError, "should not be used outside of hk.transform", "from inside the function", call
    )


def test_while_loop_outside_transform():
    helpers.assert_raises_like_haiku(
        ValueError,
        "must be used as part of an `hk.transform`",
        "while_loop",
        lambda lib: lib.while_loop(lambda i: i < 2, lambda i: i + 1, 0),
    )
