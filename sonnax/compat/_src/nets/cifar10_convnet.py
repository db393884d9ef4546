"""`Cifar10ConvNet`: Sonnet's VGG-like convolutional network for CIFAR-10."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import jax
import jax.numpy as jnp

from sonnax.compat._src import base, batch_norm, conv, initializers, linear


class Cifar10ConvNet(base.Module):
    """3x3 convolutions `conv_2d_i`, each followed by `batch_norm_i` (offset, no scale,
    decay 0.999) and ReLU; then a spatial mean and the linear layer `logits`.

    Roughly "VGG without max pooling, with BatchNorm"; best with inputs scaled to `[-1, 1]`.
    """

    def __init__(
        self,
        num_classes: int = 10,
        w_init: initializers.Initializer | None = None,
        b_init: initializers.Initializer | None = None,
        data_format: str = "NHWC",
        output_channels: Sequence[int] = (64, 64, 128, 128, 128, 256, 256, 256, 512, 512, 512),
        strides: Sequence[int] = (1, 1, 2, 1, 1, 2, 1, 1, 2, 1, 1),
        name: str | None = None,
    ):
        """Constructs the layers.

        Args:
          num_classes: the number of logits.
          w_init: initializer for the convolutions' and the logits' `w`.
          b_init: initializer for their `b`.
          data_format: `"NHWC"` or `"NCHW"`.
          output_channels: the output channels of each convolution.
          strides: the stride of each convolution (as many as `output_channels`).
          name: the module's name.

        Raises:
          ValueError: `output_channels` and `strides` differ in length.
        """
        super().__init__(name=name)
        self._num_classes = num_classes
        self._data_format = data_format
        if len(strides) != len(output_channels):
            raise ValueError(
                "The length of `output_channels` and `strides` must be equal: got "
                f"{len(output_channels)} output channels and {len(strides)} strides."
            )
        self._output_channels = output_channels
        self._strides = strides
        self._num_layers = len(self._output_channels)
        self._kernel_shapes = [[3, 3]] * self._num_layers
        self._w_init = w_init
        self._b_init = b_init
        self._conv_modules = [
            conv.Conv2D(
                output_channels=self._output_channels[i],
                kernel_shape=self._kernel_shapes[i],
                stride=self._strides[i],
                w_init=self._w_init,
                b_init=self._b_init,
                data_format=self._data_format,
                name=f"conv_2d_{i}",
            )
            for i in range(self._num_layers)
        ]
        self._bn_modules = [
            batch_norm.BatchNorm(
                create_offset=True,
                create_scale=False,
                decay_rate=0.999,
                data_format=self._data_format,
                name=f"batch_norm_{i}",
            )
            for i in range(self._num_layers)
        ]
        self._logits_module = linear.Linear(
            self._num_classes, w_init=self._w_init, b_init=self._b_init, name="logits"
        )

    def __call__(
        self, inputs: jax.Array, is_training: Any, test_local_stats: bool = True
    ) -> Mapping[str, Any]:
        """Applies the network.

        Args:
          inputs: images `[batch, height, width, channels]` (or channels first with
            `data_format="NCHW"`).
          is_training: whether BatchNorm uses and updates batch statistics.
          test_local_stats: whether BatchNorm uses batch statistics when not training.

        Returns:
          A dict: `logits` `[batch, num_classes]`, and `activations`, the output of each
          layer (after its ReLU) and last the spatial mean.
        """
        activations = []
        net = inputs
        for conv_layer, bn_layer in zip(self._conv_modules, self._bn_modules, strict=True):
            net = conv_layer(net)
            net = bn_layer(net, is_training=is_training, test_local_stats=test_local_stats)
            net = jax.nn.relu(net)
            activations.append(net)
        # Axes 1 and 2 whatever the data format, as in Sonnet.
        flat_output = jnp.mean(net, axis=(1, 2))
        activations.append(flat_output)
        logits = self._logits_module(flat_output)
        return {"logits": logits, "activations": activations}
