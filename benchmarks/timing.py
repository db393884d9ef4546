"""Timing statistics: medians with spread, paired ratios, and how many calls make a sample."""

from __future__ import annotations

import math
import statistics
from collections.abc import Sequence
from typing import Any

import numpy as np


def summary(samples: Sequence[float]) -> dict[str, Any]:
    """`{"median", "p25", "p75", "min", "spread", "samples"}` of `samples` (seconds).

    `spread` is half the interquartile range over the median (0 for one sample).
    """
    values = np.asarray(samples, dtype=np.float64)
    median = float(np.median(values))
    p25, p75 = (float(q) for q in np.percentile(values, [25, 75]))
    spread = (p75 - p25) / 2 / median if median > 0 else 0.0
    return {
        "median": median,
        "p25": p25,
        "p75": p75,
        "min": float(values.min()),
        "spread": spread,
        "samples": list(samples),
    }


def paired_ratio(samples: Sequence[float], reference: Sequence[float]) -> float | None:
    """The median over rounds of `samples[i] / reference[i]`.

    Both were measured in the same round, one after the other, so a burst of load on the
    machine cancels out of each ratio instead of landing on one library.
    """
    pairs = [a / b for a, b in zip(samples, reference, strict=True) if b > 0]
    return statistics.median(pairs) if pairs else None


def best_ratio(samples: Sequence[float], reference: Sequence[float]) -> float:
    """`min(samples) / min(reference)`: load from other processes only ever adds time, so
    the fastest sample is the least disturbed one."""
    return min(samples) / min(reference)


def calls_per_sample(seconds_per_call: float, target_seconds: float, most: int = 1000) -> int:
    """How many back-to-back calls fill one sample of about `target_seconds`."""
    if seconds_per_call <= 0:
        return most
    return max(1, min(most, math.ceil(target_seconds / seconds_per_call)))


def rotated(items: Sequence[str], offset: int) -> list[str]:
    """`items` starting at position `offset`: each round starts with another library."""
    offset %= max(len(items), 1)
    return [*items[offset:], *items[:offset]]


def format_seconds(seconds: float) -> str:
    """`1.23ms`, `45.6us`, `2.05s`: three significant digits in a fitting unit."""
    for unit, scale in (("s", 1.0), ("ms", 1e-3), ("us", 1e-6)):
        if seconds >= scale or unit == "us":
            value = seconds / scale
            return f"{value:.3g}{unit}" if value < 1000 else f"{value:.0f}{unit}"
    raise AssertionError("unreachable")
