"""ResNet components (`snt.nets.resnet`)."""

from sonnax.compat._src.nets.resnet import BlockGroup as BlockGroup
from sonnax.compat._src.nets.resnet import BottleNeckBlockV1 as BottleNeckBlockV1
from sonnax.compat._src.nets.resnet import BottleNeckBlockV2 as BottleNeckBlockV2

__all__ = [
    "BlockGroup",
    "BottleNeckBlockV1",
    "BottleNeckBlockV2",
]
