"""Transformed functions and modules survive `pickle` and `copy.deepcopy`.

Haiku's init/apply are closures and do not pickle, so there is no oracle here: the
round-tripped objects are compared with the originals.
"""

import copy
import pickle

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import sonnax as hk

X = jnp.arange(6.0).reshape([2, 3])


def forward(x):
    return hk.Linear(2)(jax.nn.relu(hk.Linear(4)(x)))


def counting_forward(x):
    count = hk.get_state("count", [], jnp.int32, init=jnp.zeros)
    hk.set_state("count", count + 1)
    return hk.Linear(2)(x) * count


def encoder_decoder():
    encoder, decoder = hk.Linear(3, name="encoder"), hk.Linear(2, name="decoder")
    return (lambda x: decoder(encoder(x))), (encoder, decoder)


def pickle_round_trip(value):
    return pickle.loads(pickle.dumps(value))


ROUND_TRIPS = [
    pytest.param(pickle_round_trip, id="pickle"),
    pytest.param(copy.deepcopy, id="deepcopy"),
]


def assert_trees_equal(actual, expected):
    assert jax.tree.structure(actual) == jax.tree.structure(expected)
    jax.tree.map(np.testing.assert_array_equal, actual, expected)


@pytest.mark.parametrize("round_trip", ROUND_TRIPS)
def test_transformed(round_trip, key):
    f = hk.transform(forward)
    g = round_trip(f)
    assert isinstance(g, hk.Transformed)
    params = g.init(key, X)
    assert_trees_equal(params, f.init(key, X))
    np.testing.assert_array_equal(g.apply(params, None, X), f.apply(params, None, X))


@pytest.mark.parametrize("round_trip", ROUND_TRIPS)
def test_transformed_with_state(round_trip, key):
    f = hk.transform_with_state(counting_forward)
    g = round_trip(f)
    assert isinstance(g, hk.TransformedWithState)
    params, state = g.init(key, X)
    assert_trees_equal((params, state), f.init(key, X))
    assert_trees_equal(g.apply(params, state, None, X), f.apply(params, state, None, X))


@pytest.mark.parametrize("round_trip", ROUND_TRIPS)
def test_without_apply_rng(round_trip, key):
    f = hk.without_apply_rng(hk.transform(forward))
    g = round_trip(f)
    params = g.init(key, X)
    np.testing.assert_array_equal(g.apply(params, X), f.apply(params, X))


@pytest.mark.parametrize("round_trip", ROUND_TRIPS)
def test_with_empty_state(round_trip, key):
    f = hk.with_empty_state(hk.transform(forward))
    g = round_trip(f)
    params, state = g.init(key, X)
    assert state == {}
    assert_trees_equal(g.apply(params, state, None, X), f.apply(params, state, None, X))


@pytest.mark.parametrize("round_trip", ROUND_TRIPS)
def test_multi_transform(round_trip, key):
    f = hk.multi_transform(encoder_decoder)
    g = round_trip(f)
    assert isinstance(g, hk.MultiTransformed)
    params = g.init(key, X)
    assert_trees_equal(params, f.init(key, X))
    for ours, theirs in zip(g.apply, f.apply, strict=True):
        np.testing.assert_array_equal(ours(params, None, X), theirs(params, None, X))


@pytest.mark.parametrize("round_trip", ROUND_TRIPS)
def test_unpickled_function_can_be_jitted(round_trip, key):
    f = round_trip(hk.transform(forward))
    params = jax.jit(f.init)(key, X)
    np.testing.assert_allclose(
        jax.jit(f.apply)(params, None, X), hk.transform(forward).apply(params, None, X), rtol=1e-6
    )


@pytest.mark.parametrize("round_trip", ROUND_TRIPS)
def test_module_inside_transform(round_trip, key):
    def f(x):
        module = hk.Linear(2, with_bias=False, name="proj")
        out = module(x)
        restored = round_trip(module)
        assert type(restored) is hk.Linear
        assert restored.module_name == "proj"
        assert restored.name == "proj"
        assert restored.output_size == 2
        assert restored.with_bias is False
        assert restored.input_size == 3
        # Same name, so the copy reads the same parameters.
        np.testing.assert_array_equal(restored(x), out)
        return out

    params = hk.transform(f).init(key, X)
    assert list(params) == ["proj"]
    hk.transform(f).apply(params, None, X)
