"""Tests for sonnax/convert/_keys.py: the params-file key `<collection>/<module>/<name>`."""

import pytest

from sonnax.convert import _keys


def test_the_name_is_what_follows_the_last_slash():
    key = _keys.entry_key("state", "mlp/~/linear_0", "w")
    assert key == "state/mlp/~/linear_0/w"
    assert _keys.split_key(key) == ("state", "mlp/~/linear_0", "w")


@pytest.mark.parametrize(
    "collection, module, name",
    [("params", "", "w"), ("params", "m", ""), ("params", "m", "a/b"), ("params", "m\0", "w")],
)
def test_entry_key_rejects_unsplittable_entries(collection, module, name):
    with pytest.raises(ValueError, match="the module path must be non-empty"):
        _keys.entry_key(collection, module, name)


def test_entry_key_rejects_unknown_collections():
    with pytest.raises(ValueError, match=r"collection must be one of \('params', 'state'\)"):
        _keys.entry_key("opt_state", "m", "w")


@pytest.mark.parametrize("key", ["params/w", "other/m/w", "params//"])
def test_split_key_rejects_keys_without_collection_module_and_name(key):
    with pytest.raises(ValueError, match="is not of the form"):
        _keys.split_key(key)
