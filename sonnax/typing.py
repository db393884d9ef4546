"""Type aliases and protocols for code using sonnax."""

from sonnax._src.typing import (
    DType,
    Initializer,
    ModuleProtocol,
    MutableParams,
    MutableState,
    PadFn,
    Params,
    PRNGKey,
    Shape,
    State,
    SupportsCall,
)

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
