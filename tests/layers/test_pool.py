"""Tests for sonnax/_src/layers/pool.py, with dm-haiku 0.0.17 as the oracle."""

import haiku
import jax
import pytest

import sonnax
from tests import helpers

X = jax.random.normal(jax.random.PRNGKey(0), [2, 5, 6, 3])

# id: (window_shape, strides, padding, channel_axis). Each changes the windows or padding.
CONFIGS = {
    "valid_full_rank": ((1, 2, 2, 1), (1, 2, 2, 1), "VALID", -1),
    "same_overlapping": ((1, 3, 3, 1), (1, 2, 1, 1), "SAME", -1),
    "same_short_window": ((3, 2, 1), (2, 2, 1), "SAME", -1),
    "valid_over_channels": ((2, 2, 3), 1, "VALID", None),
    "same_window_only_spatial": ((2,), (1,), "SAME", -1),
}


def _pool(kind, window, strides, padding, channel_axis):
    return lambda lib, x: getattr(lib, kind)(x, window, strides, padding, channel_axis)


@pytest.mark.parametrize("kind", ["max_pool", "avg_pool"])
@pytest.mark.parametrize(
    "window, strides, padding, channel_axis", CONFIGS.values(), ids=CONFIGS.keys()
)
def test_functions_match_haiku(kind, window, strides, padding, channel_axis):
    helpers.assert_matches_haiku(_pool(kind, window, strides, padding, channel_axis), X)


@pytest.mark.parametrize(
    "kind, channel_axis",
    [("max_pool", -1), ("avg_pool", 1), ("max_pool", None), ("avg_pool", 0)],
    ids=["max_last", "avg_second", "max_none", "avg_zero"],
)
def test_int_sizes_warn_and_match_haiku(kind, channel_axis):
    with pytest.warns(DeprecationWarning, match="vmap"):
        helpers.assert_matches_haiku(_pool(kind, 2, 2, "SAME", channel_axis), X)


@pytest.mark.parametrize("cls", ["MaxPool", "AvgPool"])
def test_modules_match_haiku(cls):
    def build(lib, x):
        return getattr(lib, cls)((3, 3, 1), (2, 2, 1), "SAME", name="pool")(x)

    helpers.assert_matches_haiku(build, X)
    helpers.assert_jit_and_vmap_match(build, X[0])


def test_unbatched_int_one_does_not_warn():
    helpers.assert_matches_haiku(_pool("avg_pool", (2, 2, 1), 1, "VALID", -1), X[0])


def _trigger(kind, *args):
    return lambda lib: getattr(lib, kind)(X, *args)


ERRORS = {
    "padding": (
        ValueError,
        ("same",),
        (2, 2, 1),
        "Invalid padding 'same', must be 'SAME'",
        "case-sensitive",
    ),
    "channel_axis": (
        ValueError,
        ("SAME", 4),
        1,
        r"Invalid channel axis 4 for \(2, 5, 6, 3\)",
        r"needs a channel_axis in \[-3, 3\]",
    ),
}


@pytest.mark.parametrize("kind", ["max_pool", "avg_pool"])
@pytest.mark.parametrize("error, args, window, phrase, context", ERRORS.values(), ids=ERRORS.keys())
def test_errors(kind, error, args, window, phrase, context):
    padding, *channel_axis = args
    trigger = _trigger(kind, window, window, padding, *channel_axis)
    helpers.assert_raises_like_haiku(error, phrase, f"{kind}.*{context}", trigger)


@pytest.mark.parametrize("kind", ["max_pool", "avg_pool"])
def test_window_longer_than_rank_asserts_like_haiku(kind):
    # Haiku fails a bare `assert`; sonnax raises the same type with a message.
    with pytest.raises(AssertionError):
        _trigger(kind, (1, 1, 2, 2, 1), 1, "SAME")(haiku)
    with pytest.raises(AssertionError, match=r"window_shape \(1, 1, 2, 2, 1\) has 5 entries"):
        _trigger(kind, (1, 1, 2, 2, 1), 1, "SAME")(sonnax)
