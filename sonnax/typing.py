"""Type aliases and protocols for code using sonnax."""

from sonnax._src.typing import DType as DType
from sonnax._src.typing import Initializer as Initializer
from sonnax._src.typing import ModuleProtocol as ModuleProtocol
from sonnax._src.typing import MutableParams as MutableParams
from sonnax._src.typing import MutableState as MutableState
from sonnax._src.typing import PadFn as PadFn
from sonnax._src.typing import Params as Params
from sonnax._src.typing import PRNGKey as PRNGKey
from sonnax._src.typing import Shape as Shape
from sonnax._src.typing import State as State
from sonnax._src.typing import SupportsCall as SupportsCall

__all__ = [
    "DType",
    "Initializer",
    "ModuleProtocol",
    "MutableParams",
    "MutableState",
    "PRNGKey",
    "PadFn",
    "Params",
    "Shape",
    "State",
    "SupportsCall",
]
