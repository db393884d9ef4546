"""Params and state as plain nested dicts: copy, walk, filter, map, split, join and measure."""

from sonnax._src.data_structures import to_dict as to_dict
from sonnax._src.data_structures import to_haiku_dict as to_haiku_dict
from sonnax._src.data_structures import to_immutable_dict as to_immutable_dict
from sonnax._src.data_structures import to_mutable_dict as to_mutable_dict
from sonnax._src.filtering import filter as filter
from sonnax._src.filtering import is_subset as is_subset
from sonnax._src.filtering import map as map
from sonnax._src.filtering import merge as merge
from sonnax._src.filtering import partition as partition
from sonnax._src.filtering import partition_n as partition_n
from sonnax._src.filtering import traverse as traverse
from sonnax._src.filtering import tree_bytes as tree_bytes
from sonnax._src.filtering import tree_size as tree_size

__all__ = [
    "filter",
    "is_subset",
    "map",
    "merge",
    "partition",
    "partition_n",
    "to_dict",
    "to_haiku_dict",
    "to_immutable_dict",
    "to_mutable_dict",
    "traverse",
    "tree_bytes",
    "tree_size",
]
