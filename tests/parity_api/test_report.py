"""Tests for sonnax/parity/_report.py: element-wise tolerance checks and the report table."""

import numpy as np
import pytest

from sonnax import parity
from sonnax.parity import _report


def _row(expected, actual, rtol=1e-5, atol=1e-6):
    return _report.compare_arrays("outputs", expected, actual, rtol, atol)


def test_the_worst_element_is_the_one_furthest_out_of_tolerance():
    # The largest absolute error (at 0) is within tolerance of its large value; 1 is not.
    row = _row([1000.0, 1.0, 2.0], [1000.001, 1.01, 2.0], rtol=1e-5, atol=0.0)
    assert not row.ok
    assert row.worst_index == (1,)
    assert (row.expected, row.actual) == (1.0, 1.01)
    assert row.max_abs == pytest.approx(0.01)
    assert row.max_rel == pytest.approx(0.01)


def test_within_tolerance_is_ok_as_np_allclose_says():
    rng = np.random.default_rng(0)
    expected = rng.normal(size=(3, 4))
    for scale in (1e-7, 1e-3):
        actual = expected + scale * rng.normal(size=(3, 4))
        row = _row(expected, actual)
        assert row.ok == np.allclose(actual, expected, rtol=1e-5, atol=1e-6)
        assert row.worst_index == np.unravel_index(
            np.argmax(np.abs(actual - expected) / (1e-6 + 1e-5 * np.abs(expected))), (3, 4)
        )


def test_nans_pass_only_where_both_sides_have_them():
    assert _row([np.nan, np.inf, 1.0], [np.nan, np.inf, 1.0]).ok
    lone = _row([np.nan, 1.0], [0.0, 1.0])
    assert not lone.ok and lone.max_abs == np.inf and lone.worst_index == (0,)


def test_a_zero_tolerance_fails_any_difference():
    assert not _row([0.0], [1e-9], rtol=0.0, atol=0.0).ok
    assert _row([0.0], [0.0], rtol=0.0, atol=0.0).ok


def test_shapes_that_differ_fail_with_both_shapes():
    row = _row(np.ones((2, 3)), np.ones((3, 2)))
    assert not row.ok and row.problem == "shape (3, 2), TF's is (2, 3)"


def test_empty_arrays_pass():
    assert _row(np.ones((0, 3)), np.ones((0, 3))).ok


def test_the_table_marks_failures_and_says_how_many():
    rows = (_row([1.0], [1.0]), _report.compare_arrays("outputs[1].cell", [1.0], [2.0], 1e-5, 0))
    report = parity.Report(rows, 1e-5, 1e-6)
    text = str(report)
    assert not report.ok and report.failures == rows[1:]
    assert report.max_abs() == 1.0
    assert "FAIL outputs[1].cell" in text and "[0]: port 2, TF 1" in text
    assert "ok   outputs " in text
    assert "parity 1 of 2 FAILED (rtol=1e-05, atol=1e-06" in text
    assert "outputs " not in report.format(report.failures).splitlines()[1]
    assert "parity passed" in str(parity.Report(rows[:1], 1e-5, 1e-6))
