"""The residual blocks of `ResNet`: `BlockV1`, `BlockV2` and `BlockGroup`."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import jax
import jax.numpy as jnp

from sonnax._src.core import module
from sonnax._src.layers import batch_norm, conv

FloatStrOrBool = str | float | bool
_Layers = tuple[tuple[conv.Conv2D, batch_norm.BatchNorm], ...]


def _conv(channels: int, kernel_shape: int, stride: int | Sequence[int], name: str) -> conv.Conv2D:
    return conv.Conv2D(
        output_channels=channels,
        kernel_shape=kernel_shape,
        stride=stride,
        with_bias=False,
        padding="SAME",
        name=name,
    )


def _residual_layers(
    channels: int,
    stride: int | Sequence[int],
    bn_config: dict[str, Any],
    bottleneck: bool,
    last_scale_init: Any,
) -> _Layers:
    """`(conv_i, batchnorm_i)` pairs of a block: 3x3-3x3, or 1x1-3x3-1x1 when bottlenecked.

    A bottleneck works at a quarter of `channels` and strides in its 3x3 convolution;
    a basic block strides in its first.
    """
    inner = channels // 4 if bottleneck else channels
    layers = (
        (
            _conv(inner, 1 if bottleneck else 3, 1 if bottleneck else stride, "conv_0"),
            batch_norm.BatchNorm(name="batchnorm_0", **bn_config),
        ),
        (
            _conv(inner, 3, stride if bottleneck else 1, "conv_1"),
            batch_norm.BatchNorm(name="batchnorm_1", **bn_config),
        ),
    )
    if not bottleneck:
        return layers
    init = {} if last_scale_init is None else {"scale_init": last_scale_init}
    last = (
        _conv(channels, 1, 1, "conv_2"),
        batch_norm.BatchNorm(name="batchnorm_2", **init, **bn_config),
    )
    return (*layers, last)


def _with_scale_and_offset(bn_config: Mapping[str, FloatStrOrBool]) -> dict[str, Any]:
    config = dict(bn_config)
    config.setdefault("create_scale", True)
    config.setdefault("create_offset", True)
    return config


class BlockV1(module.Module):
    """A post-activation residual block (ResNet v1): conv, batch norm, ReLU, then add.

    The last batch norm of a bottleneck starts with zero scale, as in Haiku. With
    `use_projection`, the shortcut is a strided 1x1 `shortcut_conv` and `shortcut_batchnorm`.

    >>> import sonnax as hk
    >>> import jax, jax.numpy as jnp
    >>> from sonnax._src.nets.resnet import blocks
    >>> block = lambda x: blocks.BlockV1(8, 1, False, {"decay_rate": 0.9}, False)(x, True, False)
    >>> key = jax.random.PRNGKey(0)
    >>> params, _ = hk.transform_with_state(block).init(key, jnp.ones([1, 4, 4, 8]))
    >>> sorted(params)
    ['block_v1/~/batchnorm_0', 'block_v1/~/batchnorm_1', 'block_v1/~/conv_0', 'block_v1/~/conv_1']
    """

    def __init__(
        self,
        channels: int,
        stride: int | Sequence[int],
        use_projection: bool,
        bn_config: Mapping[str, FloatStrOrBool],
        bottleneck: bool,
        name: str | None = None,
    ):
        """Constructs the block's layers.

        Args:
          channels: output channels (a bottleneck's inner layers use a quarter).
          stride: the block's stride.
          use_projection: project the shortcut with a 1x1 convolution and batch norm.
          bn_config: keyword arguments of every `BatchNorm` (`decay_rate` defaults to 0.999).
          bottleneck: use 1x1-3x3-1x1 convolutions instead of 3x3-3x3.
          name: the module's name.
        """
        super().__init__(name=name)
        self.use_projection = use_projection
        bn_config = _with_scale_and_offset(bn_config)
        bn_config.setdefault("decay_rate", 0.999)
        if self.use_projection:
            self.proj_conv = _conv(channels, 1, stride, "shortcut_conv")
            self.proj_batchnorm = batch_norm.BatchNorm(name="shortcut_batchnorm", **bn_config)
        self.layers = _residual_layers(channels, stride, bn_config, bottleneck, jnp.zeros)

    def __call__(self, inputs: jax.Array, is_training: bool, test_local_stats: bool) -> jax.Array:
        """Applies the block.

        Args:
          inputs: `[N, H, W, C]` images.
          is_training: whether batch norm uses and updates batch statistics.
          test_local_stats: in inference, use batch statistics anyway.

        Returns:
          `[N, H / stride, W / stride, channels]` activations.
        """
        out = shortcut = inputs
        if self.use_projection:
            shortcut = self.proj_conv(shortcut)
            shortcut = self.proj_batchnorm(shortcut, is_training, test_local_stats)
        for index, (conv_layer, norm) in enumerate(self.layers):
            out = norm(conv_layer(out), is_training, test_local_stats)
            if index < len(self.layers) - 1:
                out = jax.nn.relu(out)
        return jax.nn.relu(out + shortcut)


class BlockV2(module.Module):
    """A pre-activation residual block (ResNet v2): batch norm, ReLU, conv, then add.

    With `use_projection`, the shortcut is a strided 1x1 `shortcut_conv` of the first
    activation (no batch norm of its own).

    >>> import sonnax as hk
    >>> import jax, jax.numpy as jnp
    >>> from sonnax._src.nets.resnet import blocks
    >>> block = lambda x: blocks.BlockV2(8, 2, True, {"decay_rate": 0.9}, True)(x, True, False)
    >>> key = jax.random.PRNGKey(0)
    >>> params, _ = hk.transform_with_state(block).init(key, jnp.ones([1, 4, 4, 4]))
    >>> jax.tree.map(jnp.shape, params)["block_v2/~/shortcut_conv"]
    {'w': (1, 1, 4, 8)}
    """

    def __init__(
        self,
        channels: int,
        stride: int | Sequence[int],
        use_projection: bool,
        bn_config: Mapping[str, FloatStrOrBool],
        bottleneck: bool,
        name: str | None = None,
    ):
        """Constructs the block's layers.

        Args:
          channels: output channels (a bottleneck's inner layers use a quarter).
          stride: the block's stride.
          use_projection: project the shortcut with a 1x1 convolution.
          bn_config: keyword arguments of every `BatchNorm`.
          bottleneck: use 1x1-3x3-1x1 convolutions instead of 3x3-3x3.
          name: the module's name.
        """
        super().__init__(name=name)
        self.use_projection = use_projection
        bn_config = _with_scale_and_offset(bn_config)
        if self.use_projection:
            self.proj_conv = _conv(channels, 1, stride, "shortcut_conv")
        self.layers = _residual_layers(channels, stride, bn_config, bottleneck, None)

    def __call__(self, inputs: jax.Array, is_training: bool, test_local_stats: bool) -> jax.Array:
        """Applies the block (arguments and result as `BlockV1`'s)."""
        x = shortcut = inputs
        for index, (conv_layer, norm) in enumerate(self.layers):
            x = jax.nn.relu(norm(x, is_training, test_local_stats))
            if index == 0 and self.use_projection:
                shortcut = self.proj_conv(x)
            x = conv_layer(x)
        return x + shortcut


class BlockGroup(module.Module):
    """`num_blocks` residual blocks `block_0`, `block_1`, ...; only the first strides.

    >>> import sonnax as hk
    >>> import jax, jax.numpy as jnp
    >>> from sonnax._src.nets.resnet import blocks
    >>> group = lambda: blocks.BlockGroup(8, 2, 1, {"decay_rate": 0.9}, False, False, False)
    >>> f = hk.transform_with_state(lambda x: group()(x, True, False))
    >>> params, _ = f.init(jax.random.PRNGKey(0), jnp.ones([1, 4, 4, 8]))
    >>> sorted({name.split("/~/")[1] for name in params})
    ['block_0', 'block_1']
    """

    def __init__(
        self,
        channels: int,
        num_blocks: int,
        stride: int | Sequence[int],
        bn_config: Mapping[str, FloatStrOrBool],
        resnet_v2: bool,
        bottleneck: bool,
        use_projection: bool,
        name: str | None = None,
    ):
        """Constructs the blocks.

        Args:
          channels: output channels of every block.
          num_blocks: how many blocks.
          stride: the first block's stride (the others use 1).
          bn_config: keyword arguments of every `BatchNorm`.
          resnet_v2: use `BlockV2` rather than `BlockV1`.
          bottleneck: use bottleneck blocks.
          use_projection: project the first block's shortcut.
          name: the module's name.
        """
        super().__init__(name=name)
        block_class = BlockV2 if resnet_v2 else BlockV1
        self.blocks = [
            block_class(
                channels=channels,
                stride=stride if index == 0 else 1,
                use_projection=index == 0 and use_projection,
                bottleneck=bottleneck,
                bn_config=bn_config,
                name=f"block_{index}",
            )
            for index in range(num_blocks)
        ]

    def __call__(self, inputs: jax.Array, is_training: bool, test_local_stats: bool) -> jax.Array:
        """Applies the blocks in turn (arguments and result as `BlockV1`'s)."""
        out = inputs
        for block in self.blocks:
            out = block(out, is_training, test_local_stats)
        return out
