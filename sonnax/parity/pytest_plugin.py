"""The `parity` fixture for pytest: enable with `-p sonnax.parity.pytest_plugin`."""

from sonnax.parity._plugin import parity as parity
from sonnax.parity._plugin import pytest_configure as pytest_configure

__all__ = ["parity", "pytest_configure"]
