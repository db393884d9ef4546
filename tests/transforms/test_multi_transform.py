"""Tests for sonnax/_src/transforms/multi_transform.py, with dm-haiku as the oracle.

Each model is written once as a function of the library (`lib` is `sonnax` or `haiku`).
"""

import haiku
import jax
import jax.numpy as jnp
import numpy as np
import pytest

import sonnax as hk

BOTH = [pytest.param(hk, id="sonnax"), pytest.param(haiku, id="haiku")]
X = jnp.arange(6.0).reshape([2, 3])


def assert_trees_equal(actual, expected):
    assert jax.tree.structure(actual) == jax.tree.structure(expected)
    jax.tree.map(np.testing.assert_array_equal, actual, expected)


def encoder_decoder(lib):
    def f():
        encoder = lib.Linear(3, name="encoder")
        decoder = lib.Linear(2, name="decoder")
        return (lambda x: decoder(encoder(x))), (encoder, decoder)

    return f


def test_multi_transform_matches_haiku(key):
    f, g = hk.multi_transform(encoder_decoder(hk)), haiku.multi_transform(encoder_decoder(haiku))
    params = f.init(key, X)
    assert_trees_equal(params, g.init(key, X))
    (encode, decode), (expected_encode, expected_decode) = f.apply, g.apply
    z = encode(params, None, X)
    np.testing.assert_array_equal(z, expected_encode(params, None, X))
    np.testing.assert_array_equal(decode(params, None, z), expected_decode(params, None, z))


def stateful_pair(lib):
    def f():
        def step(x):
            count = lib.get_state("count", [], jnp.int32, init=jnp.zeros)
            lib.set_state("count", count + 1)
            return x + count

        return step, {"step": step, "read": lambda: lib.get_state("count")}

    return f


def test_multi_transform_with_state_matches_haiku(key):
    f = hk.multi_transform_with_state(stateful_pair(hk))
    g = haiku.multi_transform_with_state(stateful_pair(haiku))
    params, state = f.init(key, X)
    assert_trees_equal((params, state), g.init(key, X))
    assert sorted(f.apply) == sorted(g.apply) == ["read", "step"]
    out, state = f.apply["step"](params, state, None, X)
    assert_trees_equal((out, state), g.apply["step"](params, g.init(key, X)[1], None, X))
    count, _ = f.apply["read"](params, state, None)
    assert int(count) == 1


def test_multi_transform_without_apply_rng(key):
    f = hk.multi_transform(encoder_decoder(hk))
    g = hk.without_apply_rng(f)
    assert isinstance(g, hk.MultiTransformed)
    params = g.init(key, X)
    encode, _ = g.apply
    np.testing.assert_array_equal(encode(params, X), f.apply[0](params, None, X))


def test_multi_transform_with_state_without_apply_rng(key):
    g = hk.without_apply_rng(hk.multi_transform_with_state(stateful_pair(hk)))
    assert isinstance(g, hk.MultiTransformedWithState)
    params, state = g.init(key, X)
    out, state = g.apply["step"](params, state, X)
    np.testing.assert_array_equal(out, X)


@pytest.mark.parametrize("lib", BOTH)
def test_multi_transform_refuses_state(lib):
    with pytest.raises(ValueError, match="use `hk.multi_transform_with_state`"):
        lib.multi_transform(stateful_pair(lib)).init(None, X)


def state_only_in_apply(lib):
    def f():
        def step(x):
            count = lib.get_state("count", [], jnp.int32, init=jnp.zeros)
            lib.set_state("count", count + 1)
            return x

        return (lambda x: x), step

    return f


@pytest.mark.parametrize("lib", BOTH)
def test_multi_transform_apply_refuses_state(lib):
    f = lib.multi_transform(state_only_in_apply(lib))
    params = f.init(None, X)
    with pytest.raises(ValueError, match="use `hk.multi_transform_with_state`"):
        f.apply(params, None, X)


@pytest.mark.parametrize("lib", BOTH)
def test_multi_transform_shares_params_between_apply_functions(lib, key):
    f = lib.multi_transform(encoder_decoder(lib))
    params = f.init(key, X)
    encode, decode = f.apply
    full = lib.transform(lambda x: encoder_decoder(lib)()[0](x)).apply(params, None, X)
    np.testing.assert_allclose(decode(params, None, encode(params, None, X)), full, rtol=1e-6)


def test_multi_transform_state_errors_say_where(key):
    def f():
        def step(x):
            return x + hk.get_state("count", [], jnp.int32, init=jnp.zeros)

        return (lambda x: x), {"plain": lambda x: x, "step": step}

    g = hk.multi_transform(f)
    params = g.init(key, X)
    np.testing.assert_array_equal(g.apply["plain"](params, None, X), X)
    match = r"apply function at `\['step'\]` .*\['~'\].*use `hk.multi_transform_with_state`"
    with pytest.raises(ValueError, match=match):
        g.apply["step"](params, None, X)
    with pytest.raises(ValueError, match=r"^The init function .*\['~'\]"):
        hk.multi_transform(lambda: (f()[1]["step"], ())).init(key, X)


def nested_tree_built_with_params(lib):
    class Offset(lib.Module):
        def __init__(self):
            super().__init__()
            # Made in the constructor with a random init, so finding the tree needs a key.
            self.b = lib.get_parameter("b", [2], init=lib.initializers.RandomNormal())

        def __call__(self, x):
            return x + self.b

    def f():
        offset = Offset()
        return offset, {"a": (offset, None), "b": [offset, lambda x: 2 * x]}

    return f


def test_apply_tree_structure_matches_haiku(key):
    f = hk.multi_transform(nested_tree_built_with_params(hk))
    g = haiku.multi_transform(nested_tree_built_with_params(haiku))
    assert jax.tree.structure(f.apply) == jax.tree.structure(g.apply)
    params = f.init(key, X[:, :2])
    assert_trees_equal(params, g.init(key, X[:, :2]))
    assert_trees_equal(f.apply["b"][1](params, None, X), g.apply["b"][1](params, None, X))
