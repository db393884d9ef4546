"""Regularizers, as `snt.regularizers`."""

from sonnax.compat._src.regularizers import L1 as L1
from sonnax.compat._src.regularizers import L2 as L2
from sonnax.compat._src.regularizers import OffDiagonalOrthogonal as OffDiagonalOrthogonal
from sonnax.compat._src.regularizers import Regularizer as Regularizer

__all__ = [
    "L1",
    "L2",
    "OffDiagonalOrthogonal",
    "Regularizer",
]
