"""Non-TF checks of compat `BatchApply` and the leading-dim helpers."""

from __future__ import annotations

import jax
import jax.numpy as jnp
import pytest

import sonnax
from sonnax import compat


def test_non_arrays_and_low_rank_pass_through() -> None:
    x = jnp.zeros([3, 2])
    assert compat.merge_leading_dims("not a tensor", 2) == "not a tensor"
    assert compat.merge_leading_dims(x, 3) is x
    assert compat.split_leading_dim(None, x, 2) is None


def test_batch_apply_needs_an_input() -> None:
    f = sonnax.transform_with_state(lambda: compat.BatchApply(lambda: 1.0)())
    with pytest.raises(ValueError, match="at least one tensor"):
        f.init(None)


def test_batch_apply_under_vmap_and_jit() -> None:
    f = sonnax.transform_with_state(lambda x: compat.BatchApply(compat.Linear(2))(x))
    x = jnp.ones([4, 3, 2, 5])
    params, state = f.init(jax.random.PRNGKey(0), x[0])
    out = jax.jit(jax.vmap(lambda xi: f.apply(params, state, None, xi)[0]))(x)
    assert out.shape == (4, 3, 2, 2)
