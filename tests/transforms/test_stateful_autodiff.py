"""Tests for sonnax/_src/transforms/stateful/autodiff.py (grad, value_and_grad, remat),
with dm-haiku as the oracle."""

import jax
import jax.numpy as jnp
import pytest

from tests import helpers
from tests.transforms.stateful_oracle import assert_same_as_haiku, count, noise

X = jnp.array([[0.5, -1.0, 2.0]])


def differentiated_model(lib, x):
    def loss(x, scale):
        count(lib)
        lib.set_state("last", x)
        y = lib.Linear(2)(x) * noise(lib)  # Made inside: named as if made outside `grad`.
        return jnp.sum(y**2) * scale, y

    dx = lib.grad(lambda x: loss(x, 1.0)[0])(x)
    (value, aux), (dx2, dscale) = lib.value_and_grad(loss, argnums=(0, 1), has_aux=True)(x, 2.0)
    dx3, aux3 = lib.grad(loss, has_aux=True)(x, 0.5)
    return lib.Linear(2)(dx), value, aux, dx2, dscale, dx3, aux3


@pytest.mark.parametrize("jit", [False, True], ids=["eager", "jit"])
def test_grad_and_value_and_grad(jit):
    params, state, _, new_state = assert_same_as_haiku(differentiated_model, X, jit=jit)
    assert set(params) == {"linear"}  # Haiku's grad keeps the caller's names untouched.
    assert state["~"]["count"] == 0 and new_state["~"]["count"] == 3


def remat_model(lib, x):
    def block(x):
        count(lib)
        return jax.nn.relu(lib.Linear(3)(x)) + noise(lib)

    y = lib.remat(block)(x)
    y = lib.remat(block, prevent_cse=False, static_argnums=())(y)
    return lib.Linear(3)(y)


def test_remat():
    params, _, _, new_state = assert_same_as_haiku(remat_model, X, jit=True)
    # Unlike grad, remat shares naming with its caller.
    assert set(params) == {"linear", "linear_1", "linear_2"}
    assert new_state == {"~": {"count": 2}}


def test_gradients_through_remat_match_haiku():
    helpers.assert_matches_haiku_with_state(remat_model, X, apply_key=jax.random.PRNGKey(1))


@pytest.mark.parametrize(
    "call",
    [
        pytest.param(lambda lib: lib.grad(jnp.sum), id="grad"),
        pytest.param(lambda lib: lib.value_and_grad(jnp.sum), id="value_and_grad"),
        pytest.param(lambda lib: lib.remat(jnp.sum), id="remat"),
    ],
)
def test_outside_transform(call):
    helpers.assert_raises_like_haiku(
        ValueError, "should not be used outside of hk.transform", "from inside the function", call
    )
