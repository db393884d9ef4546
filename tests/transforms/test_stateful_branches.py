"""Tests for sonnax/_src/transforms/stateful/branches.py (cond, switch), dm-haiku the oracle."""

import jax
import jax.numpy as jnp
import pytest

from tests import helpers
from tests.transforms.stateful_oracle import BOTH, assert_same_as_haiku, count, noise, zero_state

X = jnp.array([0.5, -1.0, 2.0])


def branching_model(lib, x):
    linear = lib.Linear(3)
    zero_state(lib, "count", "other")  # Made before the conds, so both branches see it.

    def bump_and_draw(x):
        return linear(x) + noise(lib, x.shape) + count(lib)

    def scale(x):
        count(lib, "other")
        return 2.0 * linear(x)

    taken = lib.cond(x.sum() > 0, bump_and_draw, scale, x)
    return taken, lib.cond(x.sum() < 0, bump_and_draw, scale, x)


@pytest.mark.parametrize("jit", [False, True], ids=["eager", "jit"])
def test_cond_threads_params_state_and_rng(jit):
    params, state, _, new_state = assert_same_as_haiku(branching_model, X, jit=jit)
    assert set(params) == {"linear"}
    assert new_state == {"~": {"count": 1, "other": 1}}
    assert state == {"~": {"count": 0, "other": 0}}


def test_modules_made_in_both_branches_share_haiku_names():
    def build(lib, x):
        branch = lambda x: lib.Linear(3)(x)  # noqa: E731
        y = lib.cond(x.sum() > 0, branch, lambda x: lib.Linear(3)(2 * x), x)
        return lib.Linear(3)(y)

    params, *_ = assert_same_as_haiku(build, X, jit=True)
    assert set(params) == {"linear"}


def test_cond_calling_forms():
    def build(lib, x):
        lin = lib.Linear(2)
        zero_state(lib, "count")
        pred = x.sum() > 0
        five = lib.cond(pred, x, lin, 2 * x, lambda y: lin(y) + count(lib))
        keyword = lib.cond(pred, lin, lambda y: -lin(y), operand=x)
        two = lib.cond(pred, lambda a, b: lin(a * b), lambda a, b: lin(a - b), x, x)
        return five, keyword, two

    assert_same_as_haiku(build, X, jit=True)


@pytest.mark.parametrize("lib", BOTH)
def test_cond_operand_given_twice(lib):
    f = lib.transform(lambda x: lib.cond(True, lambda x: x, lambda x: x, x, operand=x))
    with pytest.raises(ValueError, match="operand keyword argument is used"):
        f.init(None, X)


def test_params_in_one_branch_at_init_raise_type_error():
    def trigger(lib):
        f = lib.transform(lambda x: lib.cond(x.sum() > 0, lib.Linear(3), lambda x: x, x))
        jax.eval_shape(f.init, jax.random.PRNGKey(0), X)

    helpers.assert_raises_like_haiku(
        TypeError, "same pytree structure", "Create every module's params", trigger
    )


def test_switch_threads_params_state_and_rng():
    def build(lib, x):
        linear = lib.Linear(2)
        zero_state(lib, "count", "third")
        branches = [
            lambda x: linear(x) + count(lib),
            lambda x: linear(x) * noise(lib),
            lambda x: linear(x) - count(lib, "third"),
        ]
        if lib.running_init():
            return [branch(x) for branch in branches]
        return [lib.switch(index, branches, x) for index in (0, 1, 2, 7, -1)]

    params, state, _, new_state = assert_same_as_haiku(build, X, jit=True)
    assert set(params) == {"linear"}
    assert state == {"~": {"count": 0, "third": 0}}
    # Apply starts from the initial state; out-of-range indices are clamped (7: last, -1: first).
    assert new_state == {"~": {"count": 2, "third": 2}}


@pytest.mark.parametrize(
    "call",
    [
        pytest.param(lambda lib: lib.cond(True, lambda: 1, lambda: 2), id="cond"),
        pytest.param(lambda lib: lib.switch(0, [lambda: 1]), id="switch"),
    ],
)
def test_outside_transform(call):
    helpers.assert_raises_like_haiku(
        ValueError, "should not be used outside of hk.transform", "from inside the function", call
    )
