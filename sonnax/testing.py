"""sonnax.testing: public names."""

from sonnax._src.testing import transform_and_run as transform_and_run

__all__ = [
    "transform_and_run",
]
