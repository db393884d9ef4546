"""Tests for sonnax/_src/nets/vqvae.py, with dm-haiku 0.0.17 as the oracle."""

import haiku
import jax
import jax.numpy as jnp
import pytest

import sonnax
from tests import helpers

X = jax.random.normal(jax.random.PRNGKey(0), [8, 6])
IMAGES = jax.random.normal(jax.random.PRNGKey(1), [2, 3, 3, 6])
TRAINING = pytest.mark.parametrize("is_training", [True, False], ids=["training", "inference"])


def _vq(lib, x, is_training=True, **kwargs):
    return lib.nets.VectorQuantizer(6, 5, commitment_cost=0.25, **kwargs)(x, is_training)


def _vq_ema(lib, x, is_training=True, **kwargs):
    module = lib.nets.VectorQuantizerEMA(6, 5, commitment_cost=0.25, decay=0.9, **kwargs)
    return module(x, is_training)


@TRAINING
@pytest.mark.parametrize("x", [X, IMAGES], ids=["flat", "images"])
def test_vector_quantizer_matches_haiku(x, is_training):
    params, out = helpers.assert_matches_haiku(lambda lib, x: _vq(lib, x, is_training), x)
    assert sorted(out) == [
        "distances",
        "encoding_indices",
        "encodings",
        "loss",
        "perplexity",
        "quantize",
    ]
    assert out["encoding_indices"].shape == x.shape[:-1]
    assert jax.tree.map(jnp.shape, params) == {"vector_quantizer": {"embeddings": (6, 5)}}


def test_vector_quantizer_options_match_haiku():
    build = lambda lib, x: _vq(lib, x, dtype=jnp.bfloat16, name="codebook")
    helpers.assert_matches_haiku(build, X.astype(jnp.bfloat16))


def test_vector_quantizer_under_jit_and_vmap():
    helpers.assert_jit_and_vmap_match(_vq, X)


@TRAINING
@pytest.mark.parametrize("x", [X, IMAGES], ids=["flat", "images"])
def test_vector_quantizer_ema_matches_haiku(x, is_training):
    params, state, _ = helpers.assert_matches_haiku_with_state(
        lambda lib, x: _vq_ema(lib, x, is_training), x
    )
    assert params == {}
    # The moving averages are created only by a training call, as in Haiku.
    expected = {"vector_quantizer_ema": {"embeddings": (6, 5)}}
    if is_training:
        expected["vector_quantizer_ema/~/ema_cluster_size"] = {
            "average": (5,),
            "counter": (),
            "hidden": (5,),
        }
        expected["vector_quantizer_ema/~/ema_dw"] = {
            "average": (6, 5),
            "counter": (),
            "hidden": (6, 5),
        }
    assert jax.tree.map(jnp.shape, state) == expected


def _two_steps(lib, is_training):
    f = lib.transform_with_state(lambda x: _vq_ema(lib, x, is_training))
    _, state = f.init(helpers.KEY, X)
    outputs = []
    for x in (X, 2 * X + 1):
        out, state = jax.jit(f.apply)({}, state, None, x)
        outputs.append(out)
    return outputs, state


@TRAINING
def test_vector_quantizer_ema_state_over_two_steps_matches_haiku(is_training):
    ours, theirs = _two_steps(sonnax, is_training), _two_steps(haiku, is_training)
    helpers.assert_trees_close(ours, theirs)


def test_cross_replica_axis_matches_haiku():
    def run(lib, build):
        params, state = lib.transform_with_state(lambda x: build(lib, x)).init(helpers.KEY, X)
        f = lib.transform_with_state(lambda x: build(lib, x, cross_replica_axis="i"))
        apply = lambda x: f.apply(params, state, None, x)
        return jax.vmap(apply, axis_name="i")(jnp.stack([X, -X]))

    for build in (_vq, _vq_ema):
        helpers.assert_trees_close(run(sonnax, build), run(haiku, build))


def test_decay_out_of_range_raises_like_haiku():
    def trigger(lib):
        lib.transform_with_state(lambda x: _vq_ema_with_decay(lib, x, 1.5)).init(None, X)

    helpers.assert_raises_like_haiku(
        ValueError, "decay must be in range", r"vector_quantizer_ema.*decay=1\.5", trigger
    )


def _vq_ema_with_decay(lib, x, decay):
    return lib.nets.VectorQuantizerEMA(6, 5, 0.25, decay=decay)(x, True)
