"""Tests for sonnax/_src/layers/attention.py, with dm-haiku 0.0.17 as the oracle."""

import haiku
import jax
import jax.numpy as jnp
import pytest

import sonnax
from tests import helpers

Q = jax.random.normal(jax.random.PRNGKey(0), [2, 3, 5])
KV = jax.random.normal(jax.random.PRNGKey(1), [2, 4, 6])
CAUSAL = jnp.tril(jnp.ones([3, 4], bool))[None, None]

CONFIGS = {
    "default": ({}, Q, KV),
    "sizes_unbatched": ({"value_size": 3, "model_size": 7}, Q[0], KV[0]),
    "no_bias": ({"with_bias": False}, Q, KV),
    "b_init_named": ({"b_init": "random_normal", "name": "attn"}, Q, KV),
}


def _kwargs(lib, config):
    kwargs = {"w_init": lib.initializers.VarianceScaling(0.5), **config}
    if kwargs.get("b_init") == "random_normal":
        kwargs["b_init"] = lib.initializers.RandomNormal()
    return kwargs


@pytest.mark.parametrize("config, q, kv", CONFIGS.values(), ids=CONFIGS.keys())
def test_matches_haiku(config, q, kv):
    def build(lib, q, kv):
        return lib.MultiHeadAttention(2, 4, **_kwargs(lib, config))(q, kv, kv * 2)

    helpers.assert_matches_haiku(build, q, kv)


@pytest.mark.parametrize(
    "mask",
    [CAUSAL, jnp.ones([2, 2, 3, 4], bool).at[1, 0, :, 1:].set(False)],
    ids=["causal", "full"],
)
def test_mask_matches_haiku(mask):
    def build(lib, q, kv):
        return lib.MultiHeadAttention(2, 4, w_init=lib.initializers.Constant(0.1))(q, kv, kv, mask)

    helpers.assert_matches_haiku(build, Q, KV)


def test_deprecated_w_init_scale():
    def build(lib, q, kv):
        return lib.MultiHeadAttention(2, 4, 0.5)(q, kv, kv)

    with pytest.warns(DeprecationWarning, match="w_init_scale is deprecated"):
        expected = helpers.run(haiku, build, helpers.KEY, Q, KV)
    with pytest.warns(DeprecationWarning, match="w_init_scale is deprecated"):
        actual = helpers.run(sonnax, build, helpers.KEY, Q, KV)
    helpers.assert_trees_equal(actual[0], expected[0])
    helpers.assert_trees_close(actual[1], expected[1])


ERRORS = {
    "no_w_init": (
        {},
        None,
        "Please provide a weight initializer: `w_init`",
        r"module 'multi_head_attention' got neither",
    ),
    "mask_rank": (
        {"w_init": jnp.ones},
        CAUSAL[0],
        "Mask dimensionality 3 must match logits dimensionality 4",
        r"'multi_head_attention' got a mask of shape \(1, 3, 4\) for logits of shape "
        r"\(2, 2, 3, 4\)",
    ),
}


@pytest.mark.parametrize("kwargs, mask, phrase, context", ERRORS.values(), ids=ERRORS.keys())
def test_errors(kwargs, mask, phrase, context):
    def trigger(lib):
        mha = lambda q, kv: lib.MultiHeadAttention(2, 4, **kwargs)(q, kv, kv, mask)  # noqa: E731
        return lib.transform(mha).init(helpers.KEY, Q, KV)

    helpers.assert_raises_like_haiku(ValueError, phrase, context, trigger)


def test_both_w_init_and_scale_error():
    def trigger(lib):
        mha = lambda q: lib.MultiHeadAttention(2, 4, 0.5, w_init=jnp.ones)(q, q, q)  # noqa: E731
        with pytest.warns(DeprecationWarning):
            return lib.transform(mha).init(helpers.KEY, Q)

    helpers.assert_raises_like_haiku(
        ValueError,
        "Please provide only `w_init`, not `w_init_scale`",
        r"'multi_head_attention' got both w_init=.* and w_init_scale=0.5",
        trigger,
    )
