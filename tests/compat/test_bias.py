"""Non-TF checks of compat `Bias`: signature, bias shapes and errors match Sonnet's."""

from __future__ import annotations

import inspect

import jax
import jax.numpy as jnp
import pytest
import sonnet
from sonnet.src import bias as sonnet_bias

import sonnax
from sonnax import compat
from sonnax.compat._src import bias


def test_signature_matches_sonnet() -> None:
    ours = inspect.signature(compat.Bias.__init__)
    theirs = inspect.signature(sonnet.Bias.__init__)
    assert list(ours.parameters) == list(theirs.parameters)


@pytest.mark.parametrize("dims", [None, [], [-1], [1], [2], [1, 3], [-2]])
def test_bias_shape_matches_sonnet(dims) -> None:
    shape = (2, 3, 4, 5)
    assert bias.calculate_bias_shape(shape, dims) == tuple(
        sonnet_bias.calculate_bias_shape(shape, dims)
    )


@pytest.mark.parametrize("dims", [[0], [4], [-4]])
def test_bad_bias_dims(dims) -> None:
    with pytest.raises(ValueError) as ours:
        bias.calculate_bias_shape((2, 3, 4, 5), dims)
    with pytest.raises(ValueError) as theirs:
        sonnet_bias.calculate_bias_shape((2, 3, 4, 5), dims)
    assert str(ours.value).split(" (")[0] == str(theirs.value).split(" (")[0]


def test_output_size_mismatch_names_module() -> None:
    f = sonnax.transform_with_state(lambda x: compat.Bias(output_size=(3,), name="my_bias")(x))
    with pytest.raises(ValueError, match="my_bias.*must be"):
        f.init(jax.random.PRNGKey(0), jnp.zeros([2, 4]))


def test_rank1_input_rejected() -> None:
    f = sonnax.transform_with_state(lambda x: compat.Bias()(x))
    with pytest.raises(ValueError, match="rank >= 2"):
        f.init(jax.random.PRNGKey(0), jnp.zeros([4]))
