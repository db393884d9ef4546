"""`ResNet` and its standard depths `ResNet18` ... `ResNet200`."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import jax
import jax.numpy as jnp

from sonnax._src.core import module
from sonnax._src.layers import batch_norm, conv, linear, pool
from sonnax._src.nets.resnet import blocks

FloatStrOrBool = blocks.FloatStrOrBool

_BASIC: dict[str, Any] = {
    "bottleneck": False,
    "channels_per_group": (64, 128, 256, 512),
    "use_projection": (False, True, True, True),
}
_BOTTLENECK: dict[str, Any] = {
    "bottleneck": True,
    "channels_per_group": (256, 512, 1024, 2048),
    "use_projection": (True, True, True, True),
}


def _check_length(module_name: str, value: Sequence[Any], argument: str) -> None:
    if len(value) != 4:
        raise ValueError(
            f"`{argument}` must be of length 4 not {len(value)}: {module_name} got "
            f"{argument}={tuple(value)!r}, one entry per block group."
        )


def _with_defaults(config: Mapping[str, Any] | None, **defaults: Any) -> dict[str, Any]:
    return {**defaults, **(config or {})}


class ResNet(module.Module):
    """A residual network (He et al.) of four block groups, for `[N, H, W, C]` images.

    An `initial_conv` (7x7, stride 2, 64 channels), a 3x3 stride-2 max pool, the block
    groups `block_group_0..3`, a spatial mean and a zero-initialised `logits` `Linear`.
    v1 normalises after the initial conv (`initial_batchnorm`); v2 uses pre-activation
    blocks and a `final_batchnorm`. Batch norm defaults: `decay_rate=0.9`, `eps=1e-5`.

    >>> import sonnax as hk
    >>> import jax, jax.numpy as jnp
    >>> net = lambda x: hk.nets.ResNet([1, 1, 1, 1], 10, bottleneck=False,
    ...                                channels_per_group=(8, 8, 8, 8))(x, is_training=True)
    >>> key = jax.random.PRNGKey(0)
    >>> params, state = hk.transform_with_state(net).init(key, jnp.ones([1, 16, 16, 3]))
    >>> jax.tree.map(jnp.shape, params)["res_net/~/logits"]
    {'b': (10,), 'w': (8, 10)}
    """

    CONFIGS: dict[int, dict[str, Any]] = {
        18: {"blocks_per_group": (2, 2, 2, 2), **_BASIC},
        34: {"blocks_per_group": (3, 4, 6, 3), **_BASIC},
        50: {"blocks_per_group": (3, 4, 6, 3), **_BOTTLENECK},
        101: {"blocks_per_group": (3, 4, 23, 3), **_BOTTLENECK},
        152: {"blocks_per_group": (3, 8, 36, 3), **_BOTTLENECK},
        200: {"blocks_per_group": (3, 24, 36, 3), **_BOTTLENECK},
    }

    BlockGroup = blocks.BlockGroup
    BlockV1 = blocks.BlockV1
    BlockV2 = blocks.BlockV2

    def __init__(
        self,
        blocks_per_group: Sequence[int],
        num_classes: int,
        bn_config: Mapping[str, FloatStrOrBool] | None = None,
        resnet_v2: bool = False,
        bottleneck: bool = True,
        channels_per_group: Sequence[int] = (256, 512, 1024, 2048),
        use_projection: Sequence[bool] = (True, True, True, True),
        logits_config: Mapping[str, Any] | None = None,
        name: str | None = None,
        initial_conv_config: Mapping[str, FloatStrOrBool] | None = None,
        strides: Sequence[int] = (1, 2, 2, 2),
    ):
        """Constructs the network's layers.

        Args:
          blocks_per_group: the number of blocks in each of the four groups.
          num_classes: the size of the logits.
          bn_config: keyword arguments of every `BatchNorm` (defaults: `decay_rate=0.9`,
            `eps=1e-5`, with scale and offset).
          resnet_v2: use pre-activation (v2) blocks.
          bottleneck: use bottleneck blocks.
          channels_per_group: output channels of each group.
          use_projection: whether each group's first block projects its shortcut.
          logits_config: keyword arguments of the `logits` `Linear` (default `w_init`: zeros).
          name: the module's name.
          initial_conv_config: keyword arguments of the initial `Conv2D`.
          strides: the stride of each group.

        Raises:
          ValueError: `blocks_per_group`, `channels_per_group` or `strides` is not of length 4.
        """
        super().__init__(name=name)
        self.resnet_v2 = resnet_v2
        bn_config = _with_defaults(
            bn_config, decay_rate=0.9, eps=1e-5, create_scale=True, create_offset=True
        )
        logits_config = _with_defaults(logits_config, w_init=jnp.zeros, name="logits")
        _check_length(self.module_name, blocks_per_group, "blocks_per_group")
        _check_length(self.module_name, channels_per_group, "channels_per_group")
        _check_length(self.module_name, strides, "strides")
        self.initial_conv = conv.Conv2D(
            **_with_defaults(
                initial_conv_config,
                output_channels=64,
                kernel_shape=7,
                stride=2,
                with_bias=False,
                padding="SAME",
                name="initial_conv",
            )
        )
        if not self.resnet_v2:
            self.initial_batchnorm = batch_norm.BatchNorm(name="initial_batchnorm", **bn_config)
        self.block_groups = [
            blocks.BlockGroup(
                channels=channels_per_group[index],
                num_blocks=blocks_per_group[index],
                stride=stride,
                bn_config=bn_config,
                resnet_v2=resnet_v2,
                bottleneck=bottleneck,
                use_projection=use_projection[index],
                name=f"block_group_{index}",
            )
            for index, stride in enumerate(strides)
        ]
        if self.resnet_v2:
            self.final_batchnorm = batch_norm.BatchNorm(name="final_batchnorm", **bn_config)
        self.logits = linear.Linear(num_classes, **logits_config)

    def __call__(
        self, inputs: jax.Array, is_training: bool, test_local_stats: bool = False
    ) -> jax.Array:
        """Classifies a batch of images.

        Args:
          inputs: `[N, H, W, C]` images.
          is_training: whether batch norm uses and updates batch statistics.
          test_local_stats: in inference, use batch statistics anyway.

        Returns:
          `[N, num_classes]` logits.
        """
        out = self.initial_conv(inputs)
        if not self.resnet_v2:
            out = jax.nn.relu(self.initial_batchnorm(out, is_training, test_local_stats))
        out = pool.max_pool(out, window_shape=(1, 3, 3, 1), strides=(1, 2, 2, 1), padding="SAME")
        for block_group in self.block_groups:
            out = block_group(out, is_training, test_local_stats)
        if self.resnet_v2:
            out = jax.nn.relu(self.final_batchnorm(out, is_training, test_local_stats))
        return self.logits(jnp.mean(out, axis=(1, 2)))


class ResNet18(ResNet):
    """ResNet18: `ResNet` with `ResNet.CONFIGS[18]` (basic blocks).

    >>> import sonnax as hk
    >>> import jax, jax.numpy as jnp
    >>> net = lambda x: hk.nets.ResNet18(10)(x, is_training=True)
    >>> init = hk.transform_with_state(net).init
    >>> params, _ = jax.eval_shape(init, jax.random.PRNGKey(0), jnp.ones([1, 32, 32, 3]))
    >>> sum(p.size for p in jax.tree.leaves(params))
    11181642
    """

    def __init__(
        self,
        num_classes: int,
        bn_config: Mapping[str, FloatStrOrBool] | None = None,
        resnet_v2: bool = False,
        logits_config: Mapping[str, Any] | None = None,
        name: str | None = None,
        initial_conv_config: Mapping[str, FloatStrOrBool] | None = None,
        strides: Sequence[int] = (1, 2, 2, 2),
    ):
        """Constructs the network (the arguments are `ResNet`'s)."""
        super().__init__(
            num_classes=num_classes,
            bn_config=bn_config,
            initial_conv_config=initial_conv_config,
            resnet_v2=resnet_v2,
            strides=strides,
            logits_config=logits_config,
            name=name,
            **ResNet.CONFIGS[18],
        )


class ResNet34(ResNet):
    """ResNet34: `ResNet` with `ResNet.CONFIGS[34]` (basic blocks).

    >>> import sonnax as hk
    >>> hk.nets.ResNet.CONFIGS[34]["blocks_per_group"]
    (3, 4, 6, 3)
    """

    def __init__(
        self,
        num_classes: int,
        bn_config: Mapping[str, FloatStrOrBool] | None = None,
        resnet_v2: bool = False,
        logits_config: Mapping[str, Any] | None = None,
        name: str | None = None,
        initial_conv_config: Mapping[str, FloatStrOrBool] | None = None,
        strides: Sequence[int] = (1, 2, 2, 2),
    ):
        """Constructs the network (the arguments are `ResNet`'s)."""
        super().__init__(
            num_classes=num_classes,
            bn_config=bn_config,
            initial_conv_config=initial_conv_config,
            resnet_v2=resnet_v2,
            strides=strides,
            logits_config=logits_config,
            name=name,
            **ResNet.CONFIGS[34],
        )


class ResNet50(ResNet):
    """ResNet50: `ResNet` with `ResNet.CONFIGS[50]` (bottleneck blocks).

    >>> import sonnax as hk
    >>> import jax, jax.numpy as jnp
    >>> net = lambda x: hk.nets.ResNet50(10)(x, is_training=True)
    >>> init = hk.transform_with_state(net).init
    >>> params, _ = jax.eval_shape(init, jax.random.PRNGKey(0), jnp.ones([1, 32, 32, 3]))
    >>> sum(p.size for p in jax.tree.leaves(params))
    23528522
    """

    def __init__(
        self,
        num_classes: int,
        bn_config: Mapping[str, FloatStrOrBool] | None = None,
        resnet_v2: bool = False,
        logits_config: Mapping[str, Any] | None = None,
        name: str | None = None,
        initial_conv_config: Mapping[str, FloatStrOrBool] | None = None,
        strides: Sequence[int] = (1, 2, 2, 2),
    ):
        """Constructs the network (the arguments are `ResNet`'s)."""
        super().__init__(
            num_classes=num_classes,
            bn_config=bn_config,
            initial_conv_config=initial_conv_config,
            resnet_v2=resnet_v2,
            strides=strides,
            logits_config=logits_config,
            name=name,
            **ResNet.CONFIGS[50],
        )


class ResNet101(ResNet):
    """ResNet101: `ResNet` with `ResNet.CONFIGS[101]` (bottleneck blocks).

    >>> import sonnax as hk
    >>> hk.nets.ResNet.CONFIGS[101]["blocks_per_group"]
    (3, 4, 23, 3)
    """

    def __init__(
        self,
        num_classes: int,
        bn_config: Mapping[str, FloatStrOrBool] | None = None,
        resnet_v2: bool = False,
        logits_config: Mapping[str, Any] | None = None,
        name: str | None = None,
        initial_conv_config: Mapping[str, FloatStrOrBool] | None = None,
        strides: Sequence[int] = (1, 2, 2, 2),
    ):
        """Constructs the network (the arguments are `ResNet`'s)."""
        super().__init__(
            num_classes=num_classes,
            bn_config=bn_config,
            initial_conv_config=initial_conv_config,
            resnet_v2=resnet_v2,
            strides=strides,
            logits_config=logits_config,
            name=name,
            **ResNet.CONFIGS[101],
        )


class ResNet152(ResNet):
    """ResNet152: `ResNet` with `ResNet.CONFIGS[152]` (bottleneck blocks).

    >>> import sonnax as hk
    >>> hk.nets.ResNet.CONFIGS[152]["blocks_per_group"]
    (3, 8, 36, 3)
    """

    def __init__(
        self,
        num_classes: int,
        bn_config: Mapping[str, FloatStrOrBool] | None = None,
        resnet_v2: bool = False,
        logits_config: Mapping[str, Any] | None = None,
        name: str | None = None,
        initial_conv_config: Mapping[str, FloatStrOrBool] | None = None,
        strides: Sequence[int] = (1, 2, 2, 2),
    ):
        """Constructs the network (the arguments are `ResNet`'s)."""
        super().__init__(
            num_classes=num_classes,
            bn_config=bn_config,
            initial_conv_config=initial_conv_config,
            resnet_v2=resnet_v2,
            strides=strides,
            logits_config=logits_config,
            name=name,
            **ResNet.CONFIGS[152],
        )


class ResNet200(ResNet):
    """ResNet200: `ResNet` with `ResNet.CONFIGS[200]` (bottleneck blocks).

    >>> import sonnax as hk
    >>> hk.nets.ResNet.CONFIGS[200]["blocks_per_group"]
    (3, 24, 36, 3)
    """

    def __init__(
        self,
        num_classes: int,
        bn_config: Mapping[str, FloatStrOrBool] | None = None,
        resnet_v2: bool = False,
        logits_config: Mapping[str, Any] | None = None,
        name: str | None = None,
        initial_conv_config: Mapping[str, FloatStrOrBool] | None = None,
        strides: Sequence[int] = (1, 2, 2, 2),
    ):
        """Constructs the network (the arguments are `ResNet`'s)."""
        super().__init__(
            num_classes=num_classes,
            bn_config=bn_config,
            initial_conv_config=initial_conv_config,
            resnet_v2=resnet_v2,
            strides=strides,
            logits_config=logits_config,
            name=name,
            **ResNet.CONFIGS[200],
        )
