"""Sonnet's networks (`snt.nets`)."""

from sonnax.compat._src.nets.cifar10_convnet import Cifar10ConvNet as Cifar10ConvNet
from sonnax.compat._src.nets.mlp import MLP as MLP
from sonnax.compat._src.nets.resnet import ResNet as ResNet
from sonnax.compat._src.nets.resnet import ResNet50 as ResNet50
from sonnax.compat._src.nets.vqvae import VectorQuantizer as VectorQuantizer
from sonnax.compat._src.nets.vqvae import VectorQuantizerEMA as VectorQuantizerEMA
from sonnax.compat.nets import resnet as resnet

__all__ = [
    "Cifar10ConvNet",
    "MLP",
    "ResNet",
    "ResNet50",
    "VectorQuantizer",
    "VectorQuantizerEMA",
    "resnet",
]
