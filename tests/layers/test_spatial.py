"""Tests for sonnax/_src/layers/spatial.py, with dm-haiku 0.0.17 as the oracle."""

import haiku
import pytest
from haiku._src import conv as haiku_conv
from haiku._src import utils as haiku_utils

import sonnax
from sonnax._src.layers import spatial

FORMATS = [
    "channels_first",
    "channels_last",
    "NCHW",
    "NHWC",
    "NCW",
    "NWC",
    "NCDHW",
    "NDHWC",
    "NC",
    "N...C",
    "NC...",
    "BTD",
    "TBD",
    "BTHWD",
]


@pytest.mark.parametrize("data_format", FORMATS)
def test_get_channel_index_matches_haiku(data_format):
    assert sonnax.get_channel_index(data_format) == haiku.get_channel_index(data_format)


@pytest.mark.parametrize("data_format", ["HWC", "NCHWC", "BTHW", "", "channels"])
def test_unknown_format_raises_like_haiku(data_format):
    phrase = "Unable to extract channel information from"
    with pytest.raises(ValueError, match=phrase):
        haiku.get_channel_index(data_format)
    with pytest.raises(ValueError, match=phrase) as excinfo:
        sonnax.get_channel_index(data_format)
    excinfo.match("Valid data formats are spatial")


@pytest.mark.parametrize("n", [1, 2, 3])
@pytest.mark.parametrize("channels_last", [True, False], ids=["last", "first"])
@pytest.mark.parametrize("transpose", [True, False], ids=["transpose", "forward"])
def test_dimension_numbers_match_haiku(n, channels_last, transpose):
    ours = spatial.conv_dimension_numbers(n, channels_last, transpose)
    assert ours == haiku_conv.to_dimension_numbers(n, channels_last, transpose)


@pytest.mark.parametrize(
    "value, n", [(3, 2), ([3], 3), ((1, 2), 2), ("ab", 2), ([4, 5, 6], 3)], ids=str
)
def test_replicate_matches_haiku(value, n):
    assert spatial.replicate(value, n, "x") == haiku_utils.replicate(value, n, "x")


def test_replicate_wrong_length_raises_like_haiku():
    phrase = "x must be a scalar or sequence of length 1 or sequence of length 2"
    with pytest.raises(TypeError, match=phrase):
        haiku_utils.replicate([1, 2, 3], 2, "x")
    with pytest.raises(TypeError, match=phrase) as excinfo:
        spatial.replicate([1, 2, 3], 2, "x", "my_module")
    excinfo.match(r"\(in my_module\), got x=\[1, 2, 3\] of length 3")
