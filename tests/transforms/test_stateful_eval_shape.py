"""Tests for sonnax/_src/transforms/stateful/eval_shape.py, with dm-haiku as the oracle."""

import jax
import jax.numpy as jnp

from tests import helpers
from tests.transforms.stateful_oracle import assert_same_as_haiku, count, noise

X = jnp.ones([2, 3])


def test_eval_shape_discards_params_state_and_rng():
    def build(lib, x):
        def probe(x, *, offset):
            count(lib)
            # Params made here are dropped, so apply (which cannot make them) skips them.
            y = lib.Linear(4)(x) if lib.running_init() else x @ jnp.ones([3, 4])
            return {"y": y + noise(lib) + offset, "i": jnp.arange(4)}

        shapes = lib.eval_shape(probe, x, offset=1.0)
        count(lib, "after")
        return shapes["y"].shape, shapes["i"].dtype, noise(lib)

    params, state, out, new_state = assert_same_as_haiku(build, X)
    assert params == {} and set(state["~"]) == {"after"}
    assert out[:2] == ((2, 4), jnp.int32)
    helpers.assert_trees_equal(new_state, {"~": {"after": jnp.array(1, jnp.int32)}})


def test_eval_shape_in_jitted_apply_with_abstract_inputs():
    def build(lib, x):
        linear = lib.Linear(5)
        y = linear(x)  # Params exist: eval_shape reads them.
        spec = lib.eval_shape(linear, jax.ShapeDtypeStruct((7, 3), jnp.float32))
        return y + spec.shape[0]

    assert_same_as_haiku(build, X, jit=True)


def test_outside_transform():
    helpers.assert_raises_like_haiku(
        ValueError,
        "should not be used outside of hk.transform",
        "from inside the function",
        lambda lib: lib.eval_shape(jnp.sum, X),
    )
