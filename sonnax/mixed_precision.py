"""sonnax.mixed_precision: public names."""

from sonnax._src.mixed_precision import clear_policy as clear_policy
from sonnax._src.mixed_precision import current_policy as current_policy
from sonnax._src.mixed_precision import get_policy as get_policy
from sonnax._src.mixed_precision import push_policy as push_policy
from sonnax._src.mixed_precision import set_policy as set_policy

__all__ = [
    "clear_policy",
    "current_policy",
    "get_policy",
    "push_policy",
    "set_policy",
]
