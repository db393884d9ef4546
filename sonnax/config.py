"""Library-wide settings (`set`, `context`), as `haiku.config`."""

from sonnax._src.config import context as context
from sonnax._src.config import set as set

__all__ = ["context", "set"]
