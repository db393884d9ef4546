"""Tests for sonnax/_src/layers/pad.py, with dm-haiku 0.0.17 as the oracle."""

import haiku
import pytest

import sonnax

PAD_FNS = ["valid", "same", "full", "causal", "reverse_causal"]


@pytest.mark.parametrize("name", PAD_FNS)
@pytest.mark.parametrize("size", [1, 2, 3, 4, 7])
def test_padding_functions_match_haiku(name, size):
    assert getattr(sonnax.pad, name)(size) == getattr(haiku.pad, name)(size)


CREATE_FROM_PADFN = {
    "one_fn": ("causal", 3, 1, 2),
    "rate_per_dim": ("full", 3, [1, 2], 2),
    "kernel_per_dim": ("same", (2, 5), 2, 2),
    "fn_per_dim": (["causal", "reverse_causal", "same"], 3, [2], 3),
    "one_fn_in_list": (["full"], [4], 1, 2),
}


def _fns(lib, names):
    if isinstance(names, str):
        return getattr(lib.pad, names)
    return [getattr(lib.pad, name) for name in names]


@pytest.mark.parametrize(
    "fns, kernel, rate, n", CREATE_FROM_PADFN.values(), ids=CREATE_FROM_PADFN.keys()
)
def test_create_from_padfn_matches_haiku(fns, kernel, rate, n):
    ours = sonnax.pad.create_from_padfn(_fns(sonnax, fns), kernel, rate, n)
    assert ours == haiku.pad.create_from_padfn(_fns(haiku, fns), kernel, rate, n)
    assert sonnax.pad.create(_fns(sonnax, fns), kernel, rate, n) == ours


@pytest.mark.parametrize(
    "padding, n",
    [((1, 2), 3), ([0, 1], 2), ([(1, 2)], 2), (((1, 0), (2, 3)), 2), ([(1, 1)] * 3, 3)],
    ids=["pair", "list_pair", "one_of_many", "per_dim", "list_per_dim"],
)
def test_create_from_tuple_matches_haiku(padding, n):
    assert sonnax.pad.create_from_tuple(padding, n) == haiku.pad.create_from_tuple(padding, n)


@pytest.mark.parametrize(
    "padding",
    [haiku.pad.same, [haiku.pad.same], "SAME", (1, 1), [(1, 1)], lambda k: (k, 0)],
    ids=["fn", "fn_list", "string", "pair", "pair_list", "lambda"],
)
def test_is_padfn_matches_haiku(padding):
    assert sonnax.pad.is_padfn(padding) == haiku.pad.is_padfn(padding)


def test_errors():
    with pytest.raises(TypeError, match="must be a Tuple") as excinfo:
        haiku.pad.create_from_tuple([(1, 1)] * 3, 2)
    with pytest.raises(TypeError, match="must be a Tuple") as excinfo:
        sonnax.pad.create_from_tuple([(1, 1)] * 3, 2)
    excinfo.match("got 3 pairs for 2 spatial dimensions")
    with pytest.raises(AssertionError, match="Padding must not be empty"):
        haiku.pad.create_from_tuple([], 2)
    with pytest.raises(AssertionError, match="Padding must not be empty") as excinfo:
        sonnax.pad.create_from_tuple([], 2)
    excinfo.match(r"got padding=\[\]")
    phrase = "rate must be a scalar or sequence of length 1 or sequence of length 2"
    with pytest.raises(TypeError, match=phrase):
        haiku.pad.create_from_padfn(haiku.pad.same, 3, [1, 2, 3], 2)
    with pytest.raises(TypeError, match=phrase) as excinfo:
        sonnax.pad.create_from_padfn(sonnax.pad.same, 3, [1, 2, 3], 2)
    excinfo.match(r"in pad.create_from_padfn.*\[1, 2, 3\] of length 3")


def test_namespace_matches_haiku():
    assert sonnax.pad.__all__ == sorted(haiku.pad.__all__)
