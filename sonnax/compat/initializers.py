"""Sonnet 2's `snt.initializers`, with Sonnet's names, arguments and defaults."""

from sonnax.compat._src.initializers import Constant as Constant
from sonnax.compat._src.initializers import Identity as Identity
from sonnax.compat._src.initializers import Initializer as Initializer
from sonnax.compat._src.initializers import Ones as Ones
from sonnax.compat._src.initializers import Orthogonal as Orthogonal
from sonnax.compat._src.initializers import RandomNormal as RandomNormal
from sonnax.compat._src.initializers import RandomUniform as RandomUniform
from sonnax.compat._src.initializers import TruncatedNormal as TruncatedNormal
from sonnax.compat._src.initializers import VarianceScaling as VarianceScaling
from sonnax.compat._src.initializers import Zeros as Zeros

__all__ = [
    "Constant",
    "Identity",
    "Initializer",
    "Ones",
    "Orthogonal",
    "RandomNormal",
    "RandomUniform",
    "TruncatedNormal",
    "VarianceScaling",
    "Zeros",
]
