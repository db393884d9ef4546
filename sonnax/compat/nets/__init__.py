"""Sonnet's networks (`snt.nets`)."""

from sonnax.compat._src.nets.mlp import MLP as MLP
from sonnax.compat._src.nets.vqvae import VectorQuantizer as VectorQuantizer

__all__ = [
    "MLP",
    "VectorQuantizer",
]
