"""`MobileNetV1`: depthwise-separable convolutions (Howard et al., 2017)."""

from __future__ import annotations

from collections.abc import Sequence

import jax
import jax.numpy as jnp

from sonnax._src.core import module
from sonnax._src.layers import batch_norm, conv, depthwise_conv, linear, reshape


def _normalize(out: jax.Array, is_training: bool) -> jax.Array:
    """A fresh `BatchNorm` (named in call order, as Haiku's) applied to `out`."""
    norm = batch_norm.BatchNorm(create_scale=True, create_offset=True, decay_rate=0.999)
    return norm(out, is_training)


class MobileNetV1Block(module.Module):
    """A 3x3 depthwise convolution then a 1x1 pointwise one, each with (batch norm and) ReLU."""

    def __init__(
        self,
        channels: int,
        stride: int,
        use_bn: bool = True,
        name: str | None = None,
    ):
        """Configures the block.

        Args:
          channels: output channels of the pointwise convolution.
          stride: stride of the depthwise convolution.
          use_bn: use batch norm (and no biases) after each convolution.
          name: the module's name.
        """
        super().__init__(name=name)
        self.channels = channels
        self.stride = stride
        self.use_bn = use_bn
        self.with_bias = not use_bn

    def __call__(self, inputs: jax.Array, is_training: bool) -> jax.Array:
        """Applies the block to `[N, H, W, C]` inputs."""
        depthwise = depthwise_conv.DepthwiseConv2D(
            channel_multiplier=1,
            kernel_shape=3,
            stride=self.stride,
            padding=((1, 1), (1, 1)),
            with_bias=self.with_bias,
            name="depthwise_conv",
        )
        pointwise = conv.Conv2D(
            output_channels=self.channels,
            kernel_shape=(1, 1),
            stride=1,
            padding="VALID",
            with_bias=self.with_bias,
            name="pointwise_conv",
        )
        out = depthwise(inputs)
        if self.use_bn:
            out = _normalize(out, is_training)
        out = pointwise(jax.nn.relu(out))
        if self.use_bn:
            out = _normalize(out, is_training)
        return jax.nn.relu(out)


class MobileNetV1(module.Module):
    """MobileNetV1: a strided 3x3 conv, a stack of depthwise-separable blocks, then logits.

    The initial `conv2_d` has 32 channels (stride 2, `VALID`); the blocks are
    `mobile_net_v1_block`, `mobile_net_v1_block_1`, ...; the classifier is `logits`
    (all made in `__call__`, so their names have no `~`). With `use_bn`, every
    convolution is followed by a `BatchNorm` (decay 0.999) and has no bias.

    >>> import sonnax as hk
    >>> import jax, jax.numpy as jnp
    >>> net = lambda x: hk.nets.MobileNetV1((1, 2), (8, 16), num_classes=4)(x, is_training=True)
    >>> key = jax.random.PRNGKey(0)
    >>> params, state = hk.transform_with_state(net).init(key, jnp.ones([1, 9, 9, 3]))
    >>> jax.tree.map(jnp.shape, params)["mobile_net_v1/mobile_net_v1_block_1/pointwise_conv"]
    {'w': (1, 1, 8, 16)}
    """

    def __init__(
        self,
        strides: Sequence[int] = (1, 2, 1, 2, 1, 2, 1, 1, 1, 1, 1, 2, 1),
        channels: Sequence[int] = (
            64,
            128,
            128,
            256,
            256,
            512,
            512,
            512,
            512,
            512,
            512,
            1024,
            1024,
        ),
        num_classes: int = 1000,
        use_bn: bool = True,
        name: str | None = None,
    ):
        """Configures the network.

        Args:
          strides: the depthwise stride of each block.
          channels: the pointwise output channels of each block.
          num_classes: the size of the logits.
          use_bn: use batch norm (and no convolution biases).
          name: the module's name.

        Raises:
          ValueError: `strides` and `channels` differ in length.
        """
        super().__init__(name=name)
        if len(strides) != len(channels):
            raise ValueError(
                "`strides` and `channels` must have the same length: "
                f"{self.module_name} got {len(strides)} strides {tuple(strides)!r} and "
                f"{len(channels)} channels {tuple(channels)!r}."
            )
        self.strides = strides
        self.channels = channels
        self.use_bn = use_bn
        self.with_bias = not use_bn
        self.num_classes = num_classes

    def __call__(self, inputs: jax.Array, is_training: bool) -> jax.Array:
        """Classifies `[N, H, W, C]` images into `[N, num_classes]` logits."""
        initial_conv = conv.Conv2D(
            output_channels=32,
            kernel_shape=(3, 3),
            stride=2,
            padding="VALID",
            with_bias=self.with_bias,
        )
        out = initial_conv(inputs)
        if self.use_bn:
            out = _normalize(out, is_training)
        out = jax.nn.relu(out)
        for channels, stride in zip(self.channels, self.strides, strict=True):
            out = MobileNetV1Block(channels, stride, self.use_bn)(out, is_training)
        out = reshape.Flatten()(jnp.mean(out, axis=(1, 2)))
        return linear.Linear(self.num_classes, name="logits")(out)
