"""Tests for sonnax/_src/layers/spectral_norm.py, with dm-haiku 0.0.17 as the oracle."""

import haiku
import jax
import pytest

import sonnax
from tests import helpers

W = jax.random.normal(jax.random.PRNGKey(0), [4, 3])

CONFIGS = {
    "default": ({}, W),
    "three_steps_eps": ({"n_steps": 3, "eps": 1e-2}, W),
    "rank_3_flattened": ({}, W.reshape([2, 2, 3])),
}


@pytest.mark.parametrize("config, w", CONFIGS.values(), ids=CONFIGS.keys())
def test_matches_haiku(config, w):
    def build(lib, w):
        sn = lib.SpectralNorm(**config)
        first = sn(w)
        return first, sn(w * 2), sn.u0, sn.sigma

    helpers.assert_matches_haiku_with_state(build, w)


def test_state_carried_across_applies_matches_haiku():
    def run(lib):
        f = lib.transform_with_state(lambda w: lib.SpectralNorm()(w))
        _, state = f.init(helpers.KEY, W)
        for i in range(3):
            out, state = f.apply({}, state, None, W + i)
        return out, state

    helpers.assert_trees_close(run(sonnax), run(haiku))


def test_update_stats_false_and_sigma_default():
    def build(lib, w):
        sn = lib.SpectralNorm()
        return sn(w, update_stats=False), sn.sigma

    _, state, (out, new_state) = helpers.assert_matches_haiku_with_state(build, W)
    helpers.assert_trees_equal(new_state, state)
    assert "sigma" in state["spectral_norm"] and out[1] == 1


TREE = {"linear": {"w": W, "b": W[0]}, "~": {"kernel": W[:2]}}


@pytest.mark.parametrize(
    "config",
    [{"ignore_regex": ".*/b$"}, {"ignore_regex": "linear", "n_steps": 2, "name": "sn"}],
    ids=["skip_biases", "skip_linear_named"],
)
def test_params_tree_matches_haiku(config):
    def build(lib, w):
        tree = jax.tree.map(lambda leaf: leaf * w.mean(), TREE)
        return lib.SNParamsTree(**config)(tree)

    _, state, (out, _) = helpers.assert_matches_haiku_with_state(build, W)
    assert type(out) is dict


def test_params_tree_update_stats_false():
    def build(lib, w):
        return lib.SNParamsTree()({"~": {"w": w}}, update_stats=False)

    _, state, (_, new_state) = helpers.assert_matches_haiku_with_state(build, W)
    helpers.assert_trees_equal(new_state, state)
    assert list(state) == ["sn_params_tree/_tilde__w"]


ERRORS = {
    "vector": (
        {},
        W[0],
        "Spectral normalization is not well defined for scalar or vector inputs",
        r"'spectral_norm' needs an input of rank >= 2, got shape \(3,\)",
    ),
    "non_matrix": (
        {"error_on_non_matrix": True},
        W[None],
        "Input is 3D but error_on_non_matrix is True",
        r"'spectral_norm' got shape \(1, 4, 3\)",
    ),
}


@pytest.mark.parametrize("call, w, phrase, context", ERRORS.values(), ids=ERRORS.keys())
def test_errors(call, w, phrase, context):
    def trigger(lib):
        f = lib.transform_with_state(lambda w: lib.SpectralNorm()(w, **call))
        return f.init(helpers.KEY, w)

    helpers.assert_raises_like_haiku(ValueError, phrase, context, trigger)
