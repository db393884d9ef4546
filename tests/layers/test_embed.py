"""Tests for sonnax/_src/layers/embed.py, with dm-haiku 0.0.17 as the oracle."""

import haiku
import jax
import jax.numpy as jnp
import numpy as np
import pytest

import sonnax
from tests import helpers

IDS = jnp.array([[0, 3, 5], [9, 1, 3]])
MATRIX = np.arange(40.0, dtype=np.float32).reshape([10, 4]) / 7

CONFIGS = {
    "array_index": {"vocab_size": 10, "embed_dim": 4},
    "one_hot_string": {"vocab_size": 10, "embed_dim": 4, "lookup_style": "one_hot"},
    "one_hot_enum_default_precision": {
        "vocab_size": 10,
        "embed_dim": 4,
        "lookup_style": "ONE_HOT_ENUM",
        "precision": jax.lax.Precision.DEFAULT,
    },
    "matrix": {"embedding_matrix": MATRIX},
    "matrix_with_sizes": {"embedding_matrix": MATRIX, "vocab_size": 10, "embed_dim": 4},
    "w_init_named": {"vocab_size": 10, "embed_dim": 2, "w_init": "random_normal", "name": "e"},
}


def _kwargs(lib, config):
    kwargs = dict(config)
    if kwargs.get("lookup_style") == "ONE_HOT_ENUM":
        kwargs["lookup_style"] = lib.EmbedLookupStyle.ONE_HOT
    if kwargs.get("w_init") == "random_normal":
        kwargs["w_init"] = lib.initializers.RandomNormal()
    return kwargs


@pytest.mark.parametrize("config", CONFIGS.values(), ids=CONFIGS.keys())
def test_matches_haiku(config):
    params, _ = helpers.assert_matches_haiku(
        lambda lib, ids: lib.Embed(**_kwargs(lib, config))(ids), IDS
    )
    if "embedding_matrix" in config:
        np.testing.assert_array_equal(params["embed"]["embeddings"], MATRIX)


@pytest.mark.parametrize("style", ["ARRAY_INDEX", "one_hot", "ENUM"])
def test_lookup_style_override_at_call(style):
    def build(lib, ids):
        embed = lib.Embed(10, 3, lookup_style="one_hot")
        chosen = lib.EmbedLookupStyle.ARRAY_INDEX if style == "ENUM" else style
        return embed(ids, lookup_style=chosen, precision=jax.lax.Precision.HIGH)

    helpers.assert_matches_haiku(build, IDS)


def test_list_ids_and_embeddings_property():
    def build(lib, ids):
        embed = lib.Embed(10, 3)
        return embed([1, 2]), embed.embeddings, embed.vocab_size, embed.embed_dim

    helpers.assert_matches_haiku(build, IDS)


def test_styles_agree():
    f = sonnax.transform(lambda ids, style: sonnax.Embed(10, 4)(ids, lookup_style=style))
    params = f.init(helpers.KEY, IDS, "ARRAY_INDEX")
    np.testing.assert_allclose(
        f.apply(params, None, IDS, "ONE_HOT"), f.apply(params, None, IDS, "ARRAY_INDEX")
    )


def test_enum_members_match_haiku():
    ours = [(s.name, s.value) for s in sonnax.EmbedLookupStyle]
    assert ours == [(s.name, s.value) for s in haiku.EmbedLookupStyle]


def _init(kwargs, ids=IDS, call=None):
    def trigger(lib):
        return lib.transform(lambda i: lib.Embed(**kwargs)(i, **(call or {}))).init(None, ids)

    return trigger


ERRORS = {
    "no_sizes": (
        ValueError,
        _init({"vocab_size": 10}),
        "hk.Embed must be supplied either with an initial `embedding_matrix`",
        r"'embed' got vocab_size=10, embed_dim=None and no embedding_matrix",
    ),
    "vocab_size_mismatch": (
        ValueError,
        _init({"embedding_matrix": MATRIX, "vocab_size": 9}),
        r"the `vocab_size` of 9 was not consistent with its shape \(10, 4\)",
        r"'embed' expects vocab_size=10 \(dimension 0",
    ),
    "embed_dim_mismatch": (
        ValueError,
        _init({"embedding_matrix": MATRIX, "embed_dim": 3}),
        r"the `embed_dim` of 3 was not consistent with its shape \(10, 4\)",
        r"'embed' expects embed_dim=4 \(dimension 1",
    ),
    "float_ids": (
        ValueError,
        _init({"vocab_size": 10, "embed_dim": 4}, ids=IDS.astype(jnp.float32)),
        "must take an array of integer dtype but was called with an array of float32",
        r"'embed' got ids of shape \(2, 3\)",
    ),
    "unknown_style_name": (
        AttributeError,
        _init({"vocab_size": 10, "embed_dim": 4, "lookup_style": "gather"}),
        "GATHER",
        r"unknown lookup_style 'gather' for module 'embed'; expected one of",
    ),
    "unsupported_style": (
        NotImplementedError,
        _init({"vocab_size": 10, "embed_dim": 4}, call={"lookup_style": 3}),
        "3 is not supported by hk.Embed",
        r"'embed' expects one of \['ARRAY_INDEX', 'ONE_HOT'\]",
    ),
}


@pytest.mark.parametrize("error, trigger, phrase, context", ERRORS.values(), ids=ERRORS.keys())
def test_errors(error, trigger, phrase, context):
    helpers.assert_raises_like_haiku(error, phrase, context, trigger)
