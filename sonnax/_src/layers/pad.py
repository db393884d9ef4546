"""Padding functions: how much to pad before and after one spatial dimension.

A padding function (`PadFn`) maps the effective kernel size of a dimension,
`(kernel_size - 1) * rate + 1`, to a `(before, after)` pair of pad widths.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sonnax._src.layers import spatial
from sonnax._src.typing import PadFn


def valid(effective_kernel_size: int) -> tuple[int, int]:
    """No padding: `(0, 0)`.

    >>> import sonnax as hk
    >>> hk.pad.valid(5)
    (0, 0)

    Args:
      effective_kernel_size: the dilated kernel size (ignored).

    Returns:
      `(0, 0)`.
    """
    del effective_kernel_size
    return (0, 0)


def same(effective_kernel_size: int) -> tuple[int, int]:
    """Keeps the output size equal to the input size at stride 1 (extra pad after).

    >>> import sonnax as hk
    >>> hk.pad.same(4)
    (1, 2)

    Args:
      effective_kernel_size: the dilated kernel size `k`.

    Returns:
      `((k - 1) // 2, k // 2)`.
    """
    return ((effective_kernel_size - 1) // 2, effective_kernel_size // 2)


def full(effective_kernel_size: int) -> tuple[int, int]:
    """Pads as much as possible while every window still covers one real element.

    >>> import sonnax as hk
    >>> hk.pad.full(3)
    (2, 2)

    Args:
      effective_kernel_size: the dilated kernel size `k`.

    Returns:
      `(k - 1, k - 1)`.
    """
    return (effective_kernel_size - 1, effective_kernel_size - 1)


def causal(effective_kernel_size: int) -> tuple[int, int]:
    """Pads only before, so each output sees the current and earlier inputs only.

    >>> import sonnax as hk
    >>> hk.pad.causal(3)
    (2, 0)

    Args:
      effective_kernel_size: the dilated kernel size `k`.

    Returns:
      `(k - 1, 0)`.
    """
    return (effective_kernel_size - 1, 0)


def reverse_causal(effective_kernel_size: int) -> tuple[int, int]:
    """Pads only after, so each output sees the current and later inputs only.

    >>> import sonnax as hk
    >>> hk.pad.reverse_causal(3)
    (0, 2)

    Args:
      effective_kernel_size: the dilated kernel size `k`.

    Returns:
      `(0, k - 1)`.
    """
    return (0, effective_kernel_size - 1)


def create_from_padfn(
    padding: PadFn | Sequence[PadFn],
    kernel: int | Sequence[int],
    rate: int | Sequence[int],
    n: int,
) -> Sequence[tuple[int, int]]:
    """The `(before, after)` pad widths of `n` spatial dimensions from padding functions.

    >>> import sonnax as hk
    >>> hk.pad.create_from_padfn(hk.pad.causal, kernel=3, rate=[1, 2], n=2)
    ((2, 0), (4, 0))

    Args:
      padding: one padding function for every dimension, or a sequence of
        length 1 or `n`.
      kernel: the kernel size, an int or a sequence of length 1 or `n`.
      rate: the dilation rate, an int or a sequence of length 1 or `n`.
      n: the number of spatial dimensions.

    Returns:
      A tuple of `n` `(before, after)` pairs.

    Raises:
      TypeError: a sequence argument has a length other than 1 or `n`.
    """
    kernels = spatial.replicate(kernel, n, "kernel", "pad.create_from_padfn")
    rates = spatial.replicate(rate, n, "rate", "pad.create_from_padfn")
    pad_fns = spatial.replicate(padding, n, "padding", "pad.create_from_padfn")
    return tuple(
        pad_fn((size - 1) * dilation + 1)
        for pad_fn, size, dilation in zip(pad_fns, kernels, rates, strict=True)
    )


# Haiku's legacy name for `create_from_padfn`.
create = create_from_padfn


def create_from_tuple(
    padding: tuple[int, int] | Sequence[tuple[int, int]],
    n: int,
) -> Sequence[tuple[int, int]]:
    """The `(before, after)` pad widths of `n` spatial dimensions from explicit pairs.

    >>> import sonnax as hk
    >>> hk.pad.create_from_tuple((1, 2), n=2)
    ((1, 2), (1, 2))

    Args:
      padding: one `(before, after)` pair for every dimension, or a sequence of
        pairs of length 1 or `n`.
      n: the number of spatial dimensions.

    Returns:
      A tuple of `n` pairs.

    Raises:
      AssertionError: `padding` is empty (as in Haiku).
      TypeError: `padding` is a sequence of pairs of length other than 1 or `n`.
    """
    if not padding:
        raise AssertionError(
            f"Padding must not be empty: pad.create_from_tuple got padding={padding!r}; pass "
            f"one (before, after) pair or {n} of them."
        )
    if isinstance(padding[0], int):
        return (padding,) * n  # type: ignore[return-value]
    if len(padding) == 1:
        return tuple(padding) * n
    if len(padding) != n:
        raise TypeError(
            f"Padding {padding} must be a Tuple[int, int] or sequence of length 1 or sequence "
            f"of length {n}: pad.create_from_tuple got {len(padding)} pairs for {n} spatial "
            "dimensions."
        )
    return tuple(padding)  # type: ignore[arg-type]


def is_padfn(padding: Any) -> bool:
    """Whether `padding` is a padding function or a sequence starting with one.

    >>> import sonnax as hk
    >>> hk.pad.is_padfn(hk.pad.same), hk.pad.is_padfn([(1, 1)]), hk.pad.is_padfn("SAME")
    (True, False, False)

    Args:
      padding: any padding argument of a convolution.

    Returns:
      `True` if it (or its first element) is callable.
    """
    if isinstance(padding, Sequence):
        padding = padding[0]
    return callable(padding)
