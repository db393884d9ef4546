"""Placing parameters and state on a device mesh by path patterns (sonnax-only)."""

from sonnax._src.sharding import init_sharded as init_sharded
from sonnax._src.sharding import named_shardings as named_shardings
from sonnax._src.sharding import partition_specs as partition_specs

__all__ = [
    "init_sharded",
    "named_shardings",
    "partition_specs",
]
