"""Sonnet's `snt.mixed_precision`: compute decorated methods in a lower precision."""

from sonnax.compat._src.mixed_precision import disable as disable
from sonnax.compat._src.mixed_precision import enable as enable
from sonnax.compat._src.mixed_precision import modes as modes
from sonnax.compat._src.mixed_precision import scope as scope

__all__ = ["disable", "enable", "modes", "scope"]
