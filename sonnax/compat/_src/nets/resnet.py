"""Sonnet's ResNet: `ResNet`, `ResNet50` and their blocks (`snt.nets.resnet`)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import jax
import jax.numpy as jnp

from sonnax._src.layers import pool
from sonnax.compat._src import base, batch_norm, conv, initializers, linear, pad


def _conv(channels: int, kernel: int, stride: Any, name: str) -> conv.Conv2D:
    # Every ResNet convolution: no bias (a BatchNorm follows or precedes it), TF's SAME.
    return conv.Conv2D(
        output_channels=channels,
        kernel_shape=kernel,
        stride=stride,
        with_bias=False,
        padding=pad.same,
        name=name,
    )


def _batch_norm_args(bn_config: Mapping[str, Any]) -> dict[str, Any]:
    return {"create_scale": True, "create_offset": True, **bn_config}


class BottleNeckBlockV1(base.Module):
    """Post-activation bottleneck block: 1x1, 3x3 (strided), 1x1 convolutions, each followed
    by BatchNorm, ReLU between them and after the (optionally projected) shortcut sum.

    The last BatchNorm's scale starts at zero.
    """

    def __init__(
        self,
        channels: int,
        stride: int | Sequence[int],
        use_projection: bool,
        bn_config: Mapping[str, Any],
        name: str | None = None,
    ):
        """Constructs the block.

        Args:
          channels: the output channels (the inner convolutions have `channels // 4`).
          stride: the stride of the 3x3 convolution and the projection.
          use_projection: whether the shortcut is a strided 1x1 convolution and BatchNorm.
          bn_config: further `BatchNorm` arguments (e.g. `decay_rate`, `eps`).
          name: the module's name.
        """
        super().__init__(name=name)
        self._channels = channels
        self._stride = stride
        self._use_projection = use_projection
        self._bn_config = bn_config
        batchnorm_args = _batch_norm_args(bn_config)
        if self._use_projection:
            self._proj_conv = _conv(channels, 1, stride, name="shortcut_conv")
            self._proj_batchnorm = batch_norm.BatchNorm(name="shortcut_batchnorm", **batchnorm_args)
        self._layers: list[list[Any]] = []
        for i, (out, kernel, layer_stride) in enumerate(
            ((channels // 4, 1, 1), (channels // 4, 3, stride), (channels, 1, 1))
        ):
            conv_i = _conv(out, kernel, layer_stride, name=f"conv_{i}")
            extra: dict[str, Any] = {"scale_init": initializers.Zeros()} if i == 2 else {}
            bn_i = batch_norm.BatchNorm(name=f"batchnorm_{i}", **extra, **batchnorm_args)
            self._layers.append([conv_i, bn_i])

    def __call__(self, inputs: jax.Array, is_training: Any) -> jax.Array:
        """Applies the block.

        Args:
          inputs: `[batch, height, width, channels]`.
          is_training: whether BatchNorm uses and updates batch statistics.

        Returns:
          `[batch, height / stride, width / stride, channels]`.
        """
        if self._use_projection:
            shortcut = self._proj_conv(inputs)
            shortcut = self._proj_batchnorm(shortcut, is_training=is_training)
        else:
            shortcut = inputs
        net = inputs
        for i, (conv_layer, batchnorm_layer) in enumerate(self._layers):
            net = conv_layer(net)
            net = batchnorm_layer(net, is_training=is_training)
            if i < 2:
                net = jax.nn.relu(net)
        return jax.nn.relu(net + shortcut)


class BottleNeckBlockV2(base.Module):
    """Pre-activation bottleneck block: BatchNorm and ReLU before each of the 1x1, 3x3
    (strided) and 1x1 convolutions; the projection (if any) takes the first activation.
    """

    def __init__(
        self,
        channels: int,
        stride: int | Sequence[int],
        use_projection: bool,
        bn_config: Mapping[str, Any],
        name: str | None = None,
    ):
        """Constructs the block.

        Args:
          channels: the output channels (the inner convolutions have `channels // 4`).
          stride: the stride of the 3x3 convolution and the projection.
          use_projection: whether the shortcut is a strided 1x1 convolution.
          bn_config: further `BatchNorm` arguments (e.g. `decay_rate`, `eps`).
          name: the module's name.
        """
        super().__init__(name=name)
        self._channels = channels
        self._stride = stride
        self._use_projection = use_projection
        self._bn_config = bn_config
        batchnorm_args = _batch_norm_args(bn_config)
        if self._use_projection:
            self._proj_conv = _conv(channels, 1, stride, name="shortcut_conv")
        self._conv_0 = _conv(channels // 4, 1, 1, name="conv_0")
        self._bn_0 = batch_norm.BatchNorm(name="batchnorm_0", **batchnorm_args)
        self._conv_1 = _conv(channels // 4, 3, stride, name="conv_1")
        self._bn_1 = batch_norm.BatchNorm(name="batchnorm_1", **batchnorm_args)
        self._conv_2 = _conv(channels, 1, 1, name="conv_2")
        self._bn_2 = batch_norm.BatchNorm(name="batchnorm_2", **batchnorm_args)

    def __call__(self, inputs: jax.Array, is_training: Any) -> jax.Array:
        """Applies the block.

        Args:
          inputs: `[batch, height, width, channels]`.
          is_training: whether BatchNorm uses and updates batch statistics.

        Returns:
          `[batch, height / stride, width / stride, channels]`.
        """
        net = inputs
        shortcut = inputs
        layers = (
            (self._conv_0, self._bn_0),
            (self._conv_1, self._bn_1),
            (self._conv_2, self._bn_2),
        )
        for i, (conv_i, bn_i) in enumerate(layers):
            net = bn_i(net, is_training=is_training)
            net = jax.nn.relu(net)
            if i == 0 and self._use_projection:
                shortcut = self._proj_conv(net)
            net = conv_i(net)
        return net + shortcut


class BlockGroup(base.Module):
    """`num_blocks` bottleneck blocks `block_i`; the first is strided and projects."""

    def __init__(
        self,
        channels: int,
        num_blocks: int,
        stride: int | Sequence[int],
        bn_config: Mapping[str, Any],
        resnet_v2: bool = False,
        name: str | None = None,
    ):
        """Constructs the blocks.

        Args:
          channels: the output channels of each block.
          num_blocks: the number of blocks.
          stride: the first block's stride.
          bn_config: further `BatchNorm` arguments (e.g. `decay_rate`, `eps`).
          resnet_v2: whether to use `BottleNeckBlockV2` rather than `BottleNeckBlockV1`.
          name: the module's name.
        """
        super().__init__(name=name)
        self._channels = channels
        self._num_blocks = num_blocks
        self._stride = stride
        self._bn_config = bn_config
        block: type[BottleNeckBlockV1 | BottleNeckBlockV2] = (
            BottleNeckBlockV2 if resnet_v2 else BottleNeckBlockV1
        )
        self._blocks = [
            block(
                channels=channels,
                stride=stride if id_block == 0 else 1,
                use_projection=(id_block == 0),
                bn_config=bn_config,
                name=f"block_{id_block}",
            )
            for id_block in range(num_blocks)
        ]

    def __call__(self, inputs: jax.Array, is_training: Any) -> jax.Array:
        """Applies the blocks in order.

        Args:
          inputs: `[batch, height, width, channels]`.
          is_training: whether BatchNorm uses and updates batch statistics.

        Returns:
          The last block's output.
        """
        net = inputs
        for block in self._blocks:
            net = block(net, is_training=is_training)
        return net


class ResNet(base.Module):
    """ResNet: a 7x7 stride-2 convolution (64 channels), BatchNorm and ReLU (v1 only),
    a 3x3 stride-2 max pool, four block groups (strides 1, 2, 2, 2), a final BatchNorm and
    ReLU (v2 only), a spatial mean and the zero-initialized linear layer `logits`.
    """

    def __init__(
        self,
        blocks_per_group_list: Sequence[int],
        num_classes: int,
        bn_config: Mapping[str, Any] | None = None,
        resnet_v2: bool = False,
        channels_per_group_list: Sequence[int] = (256, 512, 1024, 2048),
        name: str | None = None,
    ):
        """Constructs the network.

        Args:
          blocks_per_group_list: the number of blocks in each of the 4 groups.
          num_classes: the number of logits.
          bn_config: `BatchNorm` arguments; by default `decay_rate=0.9`, `eps=1e-5`.
          resnet_v2: whether to use pre-activation (v2) blocks.
          channels_per_group_list: the output channels of each of the 4 groups.
          name: the module's name.

        Raises:
          ValueError: either list does not have length 4.
        """
        super().__init__(name=name)
        if bn_config is None:
            bn_config = {"decay_rate": 0.9, "eps": 1e-5}
        self._bn_config = bn_config
        self._resnet_v2 = resnet_v2
        if len(blocks_per_group_list) != 4:
            raise ValueError(
                f"`blocks_per_group_list` must be of length 4 not {len(blocks_per_group_list)}"
            )
        self._blocks_per_group_list = blocks_per_group_list
        if len(channels_per_group_list) != 4:
            raise ValueError(
                f"`channels_per_group_list` must be of length 4 not {len(channels_per_group_list)}"
            )
        self._channels_per_group_list = channels_per_group_list
        self._initial_conv = _conv(64, 7, 2, name="initial_conv")
        if not self._resnet_v2:
            self._initial_batchnorm = batch_norm.BatchNorm(
                create_scale=True, create_offset=True, name="initial_batchnorm", **bn_config
            )
        strides = [1, 2, 2, 2]
        self._block_groups = [
            BlockGroup(
                channels=self._channels_per_group_list[i],
                num_blocks=self._blocks_per_group_list[i],
                stride=strides[i],
                bn_config=bn_config,
                resnet_v2=resnet_v2,
                name=f"block_group_{i}",
            )
            for i in range(4)
        ]
        if self._resnet_v2:
            self._final_batchnorm = batch_norm.BatchNorm(
                create_scale=True, create_offset=True, name="final_batchnorm", **bn_config
            )
        self._logits = linear.Linear(
            output_size=num_classes, w_init=initializers.Zeros(), name="logits"
        )

    def __call__(self, inputs: jax.Array, is_training: Any) -> jax.Array:
        """Applies the network.

        Args:
          inputs: images `[batch, height, width, channels]`.
          is_training: whether BatchNorm uses and updates batch statistics.

        Returns:
          Logits `[batch, num_classes]`.
        """
        net = self._initial_conv(inputs)
        if not self._resnet_v2:
            net = self._initial_batchnorm(net, is_training=is_training)
            net = jax.nn.relu(net)
        net = pool.max_pool(net, (1, 3, 3, 1), (1, 2, 2, 1), "SAME")
        for block_group in self._block_groups:
            net = block_group(net, is_training)
        if self._resnet_v2:
            net = self._final_batchnorm(net, is_training=is_training)
            net = jax.nn.relu(net)
        net = jnp.mean(net, axis=(1, 2))
        return self._logits(net)


class ResNet50(ResNet):
    """ResNet with 3, 4, 6 and 3 blocks in its groups."""

    def __init__(
        self,
        num_classes: int,
        bn_config: Mapping[str, Any] | None = None,
        resnet_v2: bool = False,
        name: str | None = None,
    ):
        """Constructs the network.

        Args:
          num_classes: the number of logits.
          bn_config: `BatchNorm` arguments; by default `decay_rate=0.9`, `eps=1e-5`.
          resnet_v2: whether to use pre-activation (v2) blocks.
          name: the module's name.
        """
        super().__init__(
            [3, 4, 6, 3],
            num_classes=num_classes,
            bn_config=bn_config,
            resnet_v2=resnet_v2,
            name=name,
        )
