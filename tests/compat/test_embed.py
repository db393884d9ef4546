"""Non-TF checks of compat `Embed`: signature, default size and errors match Sonnet's."""

from __future__ import annotations

import inspect

import jax
import jax.numpy as jnp
import pytest
import sonnet
from sonnet.src import embed as sonnet_embed

import sonnax
from sonnax import compat
from sonnax.compat._src import embed


def test_signature_matches_sonnet() -> None:
    ours = inspect.signature(compat.Embed.__init__)
    theirs = inspect.signature(sonnet.Embed.__init__)
    assert list(ours.parameters) == list(theirs.parameters)


@pytest.mark.parametrize("vocab_size", [1, 7, 100, 12345])
def test_embedding_dim_matches_sonnet(vocab_size: int) -> None:
    assert embed.embedding_dim(vocab_size) == sonnet_embed.embedding_dim(vocab_size)


@pytest.mark.parametrize(
    "kwargs",
    [{}, {"existing_vocab": [[1.0]], "vocab_size": 1}, {"existing_vocab": [[1.0]], "embed_dim": 1}],
)
def test_bad_arguments(kwargs) -> None:
    with pytest.raises(ValueError) as theirs:
        sonnet.Embed(**kwargs)
    f = sonnax.transform_with_state(lambda: compat.Embed(**kwargs))
    with pytest.raises(ValueError) as ours:
        f.init(None)
    assert str(ours.value) == str(theirs.value)


def test_frozen_table_is_state_and_jits() -> None:
    f = sonnax.transform_with_state(lambda ids: compat.Embed(10, 3, trainable=False)(ids))
    ids = jnp.array([[1, 2], [3, 9]])
    params, state = f.init(jax.random.PRNGKey(0), ids)
    assert params == {}
    assert state["embed"]["embeddings"].shape == (10, 3)
    out, _ = jax.jit(f.apply)(params, state, None, ids)
    assert out.shape == (2, 2, 3)
