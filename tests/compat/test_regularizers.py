"""Non-TF checks of the compat regularizers: signatures, reprs and errors match Sonnet's."""

from __future__ import annotations

import inspect

import jax
import jax.numpy as jnp
import pytest
import sonnet

from sonnax import compat

NAMES = ["L1", "L2", "OffDiagonalOrthogonal"]


def test_public_names_match_sonnet() -> None:
    assert sorted(compat.regularizers.__all__) == sorted(sonnet.regularizers.__all__)


@pytest.mark.parametrize("name", NAMES)
def test_signature_matches_sonnet(name: str) -> None:
    ours = inspect.signature(getattr(compat.regularizers, name).__init__)
    theirs = inspect.signature(getattr(sonnet.regularizers, name).__init__)
    assert list(ours.parameters) == list(theirs.parameters)


@pytest.mark.parametrize("name", NAMES)
def test_repr_matches_sonnet(name: str) -> None:
    ours = getattr(compat.regularizers, name)(0.25)
    theirs = getattr(sonnet.regularizers, name)(0.25)
    assert repr(ours) == repr(theirs)
    assert str(ours) == str(theirs)


@pytest.mark.parametrize("name", NAMES)
def test_negative_scale_raises(name: str) -> None:
    with pytest.raises(ValueError, match="scale must be >=0"):
        getattr(compat.regularizers, name)(-0.1)


@pytest.mark.parametrize("name", NAMES)
def test_empty_sequence_gives_zero(name: str) -> None:
    assert float(getattr(compat.regularizers, name)(0.5)([])) == 0.0


@pytest.mark.parametrize("name", NAMES)
def test_is_a_regularizer_and_jits(name: str) -> None:
    reg = getattr(compat.regularizers, name)(0.5)
    assert isinstance(reg, compat.regularizers.Regularizer)
    w = jnp.arange(6.0).reshape(2, 3)
    assert jnp.allclose(jax.jit(lambda w: reg([w]))(w), reg([w]))


def test_off_diagonal_orthogonal_rejects_rank_1() -> None:
    with pytest.raises(ValueError, match="rank 1"):
        compat.regularizers.OffDiagonalOrthogonal(0.1)([jnp.ones([3])])
