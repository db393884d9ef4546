"""sonnax.pad: public names."""

from sonnax._src.layers.pad import causal as causal
from sonnax._src.layers.pad import create as create
from sonnax._src.layers.pad import create_from_padfn as create_from_padfn
from sonnax._src.layers.pad import create_from_tuple as create_from_tuple
from sonnax._src.layers.pad import full as full
from sonnax._src.layers.pad import is_padfn as is_padfn
from sonnax._src.layers.pad import reverse_causal as reverse_causal
from sonnax._src.layers.pad import same as same
from sonnax._src.layers.pad import valid as valid
from sonnax._src.typing import PadFn as PadFn

__all__ = [
    "PadFn",
    "causal",
    "create",
    "create_from_padfn",
    "create_from_tuple",
    "full",
    "is_padfn",
    "reverse_causal",
    "same",
    "valid",
]
