"""Networks built from sonnax layers."""

from sonnax._src.nets.mlp import MLP as MLP

__all__ = ["MLP"]
