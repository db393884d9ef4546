"""Networks built from sonnax layers."""

from sonnax._src.nets.mlp import MLP as MLP
from sonnax._src.nets.mobilenetv1 import MobileNetV1 as MobileNetV1
from sonnax._src.nets.resnet.resnet import ResNet as ResNet
from sonnax._src.nets.resnet.resnet import ResNet18 as ResNet18
from sonnax._src.nets.resnet.resnet import ResNet34 as ResNet34
from sonnax._src.nets.resnet.resnet import ResNet50 as ResNet50
from sonnax._src.nets.resnet.resnet import ResNet101 as ResNet101
from sonnax._src.nets.resnet.resnet import ResNet152 as ResNet152
from sonnax._src.nets.resnet.resnet import ResNet200 as ResNet200
from sonnax._src.nets.vqvae import VectorQuantizer as VectorQuantizer
from sonnax._src.nets.vqvae import VectorQuantizerEMA as VectorQuantizerEMA

__all__ = [
    "MLP",
    "MobileNetV1",
    "ResNet",
    "ResNet101",
    "ResNet152",
    "ResNet18",
    "ResNet200",
    "ResNet34",
    "ResNet50",
    "VectorQuantizer",
    "VectorQuantizerEMA",
]
