"""Library-wide settings (`set`, `context`), as `haiku.config`."""

from sonnax._src.config import context, get_config, set

__all__ = ["context", "get_config", "set"]
