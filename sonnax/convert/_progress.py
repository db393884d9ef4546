"""The CLI's progress display: a tqdm bar for large inputs, plain lines when tqdm is missing."""

import sys
from typing import Any, TextIO

# Below this many bytes a conversion takes well under a second: no progress display.
THRESHOLD_BYTES = 300 * 10**6


class ProgressDisplay:
    """A `progress(done, total)` callback for `convert` that draws nothing for small inputs.

    It uses tqdm when installed and otherwise prints a line at every further tenth of the work.
    """

    def __init__(self, stream: TextIO = sys.stderr, threshold: int = THRESHOLD_BYTES):
        """Initializes the display.

        Args:
          stream: where to draw.
          threshold: inputs of at most this many bytes draw nothing.
        """
        self._stream = stream
        self._threshold = threshold
        self._started = False
        self._bar: Any = None
        self._last_tenth = 0
        self._done = 0

    def __call__(self, done: int, total: int) -> None:
        """Records that `done` of `total` bytes are converted."""
        if total <= self._threshold:
            return
        if not self._started:
            self._started = True
            self._bar = _make_bar(total, self._stream)
        if self._bar is not None:
            self._bar.update(done - self._done)
        elif done * 10 // total > self._last_tenth:
            self._last_tenth = done * 10 // total
            print(f"converted {done / 1e9:.2f} of {total / 1e9:.2f} GB", file=self._stream)
        self._done = done

    def close(self) -> None:
        """Finishes the bar, if one was drawn."""
        if self._bar is not None:
            self._bar.close()


def _make_bar(total: int, stream: TextIO) -> Any:
    """Returns a tqdm bar, or None when tqdm (an optional dependency) is not installed."""
    try:
        import tqdm
    except ImportError:
        return None
    return tqdm.tqdm(total=total, unit="B", unit_scale=True, file=stream, desc="converting")
