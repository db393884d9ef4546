"""Tests for sonnax/convert/_progress.py: the CLI's progress display."""

import io
import sys

from sonnax.convert import _progress


def test_small_inputs_draw_nothing():
    stream = io.StringIO()
    display = _progress.ProgressDisplay(stream, threshold=100)
    display(50, 100)
    display(100, 100)
    display.close()
    assert stream.getvalue() == ""


def test_large_inputs_draw_a_tqdm_bar():
    stream = io.StringIO()
    display = _progress.ProgressDisplay(stream, threshold=10)
    for done in (30, 60, 100):
        display(done, 100)
    display.close()
    assert "converting: 100%" in stream.getvalue()


def test_without_tqdm_it_prints_a_line_per_tenth(monkeypatch):
    monkeypatch.setitem(sys.modules, "tqdm", None)  # `import tqdm` now raises ImportError.
    stream = io.StringIO()
    display = _progress.ProgressDisplay(stream, threshold=10)
    for done in range(0, 2_000_000_001, 250_000_000):
        display(done, 2_000_000_000)
    display.close()
    lines = stream.getvalue().splitlines()
    assert lines[0] == "converted 0.25 of 2.00 GB"
    assert lines[-1] == "converted 2.00 of 2.00 GB"
    assert len(lines) == 8
