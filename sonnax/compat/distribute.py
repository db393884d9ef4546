"""Sonnet's `snt.distribute`: replicas over local devices, with `jax.pmap`."""

from sonnax.compat._src.distribute.distributed_batch_norm import (
    CrossReplicaBatchNorm as CrossReplicaBatchNorm,
)
from sonnax.compat._src.distribute.replicator import Replicator as Replicator
from sonnax.compat._src.distribute.replicator import TpuReplicator as TpuReplicator
from sonnax.compat._src.distribute.replicator import (
    create_variables_eagerly as create_variables_eagerly,
)

__all__ = [
    "CrossReplicaBatchNorm",
    "Replicator",
    "TpuReplicator",
    "create_variables_eagerly",
]
