"""Initializers for parameters and state, mirroring ``haiku.initializers``."""

from sonnax._src.initializers import Constant as Constant
from sonnax._src.initializers import Identity as Identity
from sonnax._src.initializers import Orthogonal as Orthogonal
from sonnax._src.initializers import RandomNormal as RandomNormal
from sonnax._src.initializers import RandomUniform as RandomUniform
from sonnax._src.initializers import TruncatedNormal as TruncatedNormal
from sonnax._src.initializers import UniformScaling as UniformScaling
from sonnax._src.initializers import VarianceScaling as VarianceScaling
from sonnax._src.typing import Initializer as Initializer

__all__ = [
    "Constant",
    "Identity",
    "Initializer",
    "Orthogonal",
    "RandomNormal",
    "RandomUniform",
    "TruncatedNormal",
    "UniformScaling",
    "VarianceScaling",
]
