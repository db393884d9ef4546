"""Tests for sonnax/_src/recurrent/unroll.py (and its stateful scan), with dm-haiku 0.0.17 as
the oracle."""

import haiku
import jax
import jax.numpy as jnp
import numpy as np
import pytest

import sonnax
from tests import helpers
from tests.recurrent import unrolling

X = jax.random.normal(jax.random.PRNGKey(0), [3, 2, 4])  # [T, B, F]


def _unroll(lib, x, static, **kwargs):
    core = lib.LSTM(3)
    batch_axis = 0 if kwargs.get("time_major", True) is False else 1
    unroll_fn = lib.static_unroll if static else lib.dynamic_unroll
    out, state = unroll_fn(core, x, core.initial_state(x.shape[batch_axis]), **kwargs)
    return out, unrolling.plain(state)


DYNAMIC = {
    "time_major": {},
    "reverse": {"reverse": True},
    "batch_major_reverse_all_states": {
        "time_major": False,
        "reverse": True,
        "return_all_states": True,
    },
    "unroll_2": {"unroll": 2},
}


@pytest.mark.parametrize("kwargs", DYNAMIC.values(), ids=DYNAMIC.keys())
def test_dynamic_unroll_matches_haiku(kwargs):
    x = X if kwargs.get("time_major", True) else jnp.swapaxes(X, 0, 1)
    helpers.assert_matches_haiku(lambda lib, x: _unroll(lib, x, False, **kwargs), x)


@pytest.mark.parametrize("time_major", [True, False], ids=["time_major", "batch_major"])
def test_static_unroll_equals_dynamic_unroll(time_major):
    x = X if time_major else jnp.swapaxes(X, 0, 1)
    f_static = sonnax.transform(lambda x: _unroll(sonnax, x, True, time_major=time_major))
    f_dynamic = sonnax.transform(lambda x: _unroll(sonnax, x, False, time_major=time_major))
    params = f_static.init(helpers.KEY, x)
    helpers.assert_trees_equal(f_dynamic.init(helpers.KEY, x), params)
    helpers.assert_trees_close(f_static.apply(params, None, x), f_dynamic.apply(params, None, x))


def test_reverse_equals_unrolling_the_reversed_sequence():
    f = sonnax.transform(lambda x, reverse: _unroll(sonnax, x, False, reverse=reverse))
    params = f.init(helpers.KEY, X, False)
    out, state = f.apply(params, None, X, True)
    expected_out, expected_state = f.apply(params, None, X[::-1], False)
    helpers.assert_trees_close((out[::-1], state), (expected_out, expected_state))


def test_all_states_end_with_the_final_state():
    f = sonnax.transform(lambda x, every: _unroll(sonnax, x, False, return_all_states=every))
    params = f.init(helpers.KEY, X, False)
    _, states = f.apply(params, None, X, True)
    _, final = f.apply(params, None, X, False)
    assert [s.shape for s in states] == [(3, 2, 3)] * 2
    helpers.assert_trees_close([s[-1] for s in states], final)


def test_nested_inputs_and_outputs_match_haiku():
    def core(inputs, state):
        total = state + inputs["a"] * inputs["b"]
        return {"total": total, "pair": (total, inputs["a"])}, total

    def build(lib, a, b):
        kwargs = {"time_major": False}
        dynamic = lib.dynamic_unroll(core, {"a": a, "b": b}, jnp.zeros([2, 4]), **kwargs)
        static = lib.static_unroll(core, {"a": a, "b": b}, jnp.zeros([2, 4]), **kwargs)
        return dynamic, static

    helpers.assert_matches_haiku(build, jnp.swapaxes(X, 0, 1), jnp.swapaxes(X, 0, 1) + 1)


@pytest.mark.parametrize("length", [0, 1], ids=["empty", "one_step"])
def test_short_sequences_match_haiku(length):
    helpers.assert_matches_haiku(lambda lib, x: _unroll(lib, x, False), X[:length])


def test_outside_transform_matches_haiku():
    core = lambda x, state: (x * state, state + x)
    expected = haiku.dynamic_unroll(core, X, jnp.ones([2, 4]), reverse=True)
    helpers.assert_trees_close(
        sonnax.dynamic_unroll(core, X, jnp.ones([2, 4]), reverse=True), expected
    )


def _stateful_core(lib):
    linear = lib.Linear(3)

    def core(x, carry):
        count = lib.get_state("count", [], jnp.int32, init=jnp.zeros)
        lib.set_state("count", count + 1)
        noise = jax.random.normal(lib.next_rng_key(), x.shape)
        out = linear(x + noise) + count
        return out, carry + out

    return core


@pytest.mark.parametrize("reverse", [False, True], ids=["forward", "reverse"])
def test_state_and_rng_inside_the_loop_match_haiku(reverse):
    def build(lib, x):
        return lib.dynamic_unroll(_stateful_core(lib), x, jnp.zeros([2, 3]), reverse=reverse)

    helpers.assert_matches_haiku_with_state(build, X, apply_key=jax.random.PRNGKey(3))


def test_state_and_rng_under_jit_match_haiku():
    def build(lib, x):
        return lib.dynamic_unroll(_stateful_core(lib), x, jnp.zeros([2, 3]))

    key, apply_key = helpers.KEY, jax.random.PRNGKey(3)
    expected = helpers.run_with_state(haiku, build, key, X, apply_key=apply_key)
    f = sonnax.transform_with_state(lambda x: build(sonnax, x))
    params, state = jax.jit(f.init)(key, X)
    helpers.assert_trees_equal((params, state), expected[:2])
    helpers.assert_trees_close(jax.jit(f.apply)(params, state, apply_key, X), expected[2])


def test_new_parameters_inside_the_loop_raise():
    def trigger(lib):
        calls = []

        def core(x, state):
            calls.append(None)
            w = lib.get_parameter(f"w{len(calls)}", [], init=jnp.ones)
            return x * w, state

        lib.transform(lambda x: lib.dynamic_unroll(core, x, ())).init(None, X)

    helpers.assert_raises_like_haiku(
        AssertionError, "New parameters were created", r"w2.*outside", trigger
    )


def test_static_unroll_mismatched_time_lengths_raise():
    def trigger(lib):
        core = lambda inputs, state: (inputs[0] + inputs[1][:, :1], state)
        lib.static_unroll(core, (X, X[:2]), ())

    helpers.assert_raises_like_haiku(
        IndexError, ".", r"static_unroll.*first leaf has 3 but leaf 1 has 2", trigger
    )


@pytest.mark.parametrize("time_major", [True, False], ids=["time_major", "batch_major"])
def test_dynamic_unroll_mismatched_time_lengths_raise(time_major):
    axis = 0 if time_major else 1
    shorter = jax.lax.slice_in_dim(X, 0, 1, axis=axis)

    def trigger(lib):
        core = lambda inputs, state: (inputs[0], state)
        kwargs = {"time_major": time_major}
        lib.transform(lambda: lib.dynamic_unroll(core, (X, shorter), (), **kwargs)).init(None)

    context = rf"dynamic_unroll.*axis {axis}; the first leaf has {X.shape[axis]} but leaf 1 has 1"
    helpers.assert_raises_like_haiku(ValueError, ".", context, trigger)


def test_static_unroll_of_no_arrays_raises():
    helpers.assert_raises_like_haiku(
        IndexError,
        ".",
        "static_unroll: input_sequence holds no arrays",
        lambda lib: lib.static_unroll(None, {}, ()),
    )


def test_unroll_returns_time_on_the_input_axis():
    f = sonnax.transform(lambda x: _unroll(sonnax, x, False, time_major=False))
    x = jnp.swapaxes(X, 0, 1)
    out, _ = f.apply(f.init(helpers.KEY, x), None, x)
    assert out.shape == (2, 3, 3)
    np.testing.assert_array_equal(np.isfinite(out), True)
