"""Padding functions for convolutions: `snt.pad.causal`, `same`, ... and `create`."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from sonnax.compat._src import utils

Padding = Callable[[int], list[int]]
Paddings = Padding | Sequence[Padding]


def valid(effective_kernel_size: int) -> list[int]:
    """No padding."""
    del effective_kernel_size
    return [0, 0]


def same(effective_kernel_size: int) -> list[int]:
    """Pads so that, at stride 1, the output is as long as the input."""
    return [(effective_kernel_size - 1) // 2, effective_kernel_size // 2]


def full(effective_kernel_size: int) -> list[int]:
    """The most padding that still leaves a real element under every kernel position."""
    return [effective_kernel_size - 1, effective_kernel_size - 1]


def causal(effective_kernel_size: int) -> list[int]:
    """Pads before only, so an output depends on no later input."""
    return [effective_kernel_size - 1, 0]


def reverse_causal(effective_kernel_size: int) -> list[int]:
    """Pads after only, so an output depends on no earlier input."""
    return [0, effective_kernel_size - 1]


def create(
    padding: Paddings,
    kernel: int | Sequence[int],
    rate: int | Sequence[int],
    n: int,
    channel_index: int,
) -> list[list[int]]:
    """The `[before, after]` padding of every axis of an `n + 2`-rank input.

    Args:
      padding: a padding function, or a sequence of `n` of them (one per spatial axis),
        each taking the effective kernel size `(kernel - 1) * rate + 1`.
      kernel: kernel size, an int or one per spatial axis.
      rate: dilation rate, an int or one per spatial axis.
      n: the number of spatial axes.
      channel_index: 1 for channels-first inputs, -1 for channels-last.

    Returns:
      `n + 2` pairs `[before, after]`, with `[0, 0]` for the batch and channel axes.
    """
    kernels = utils.replicate(kernel, n, "kernel")
    rates = utils.replicate(rate, n, "rate")
    functions = utils.replicate(padding, n, "padding")
    spatial = [
        list(function((k - 1) * r + 1))
        for function, k, r in zip(functions, kernels, rates, strict=True)
    ]
    if channel_index == 1:
        return [[0, 0], [0, 0], *spatial]
    return [[0, 0], *spatial, [0, 0]]
