"""Networks built from sonnax layers."""

from sonnax._src.nets.mlp import MLP

__all__ = ["MLP"]
