"""Tests for sonnax/parity/_plugin.py: the `parity` fixture, run by pytest inside pytest."""

import textwrap

import pytest

pytest_plugins = ["pytester"]


@pytest.fixture(scope="module", autouse=True)
def _tensorflow_loaded_first():
    """Imports TF before `pytester` snapshots `sys.modules`: the snapshot's restore would drop
    a TF imported by the inner run, and TensorFlow cannot be imported twice in one process."""
    import sonnet  # noqa: F401
    import tensorflow  # noqa: F401


_TESTS = """
import numpy as np
import pytest
import sonnet
import tensorflow as tf

from sonnax import compat

X = np.random.default_rng(0).normal(size=(2, 5)).astype(np.float32)


def _nudged(x):
    return compat.Linear(3, name="linear")(x) + 1e-4  # Off by 1e-4 everywhere.


def test_a_correct_port(parity):
    port = lambda x: compat.Linear(3, name="linear")(x)  # noqa: E731
    parity.assert_parity(sonnet.Linear(3, name="linear"), port, X)


def test_a_nudged_port_at_the_default_tolerances(parity):
    parity.assert_parity(sonnet.Linear(3, name="linear"), _nudged, X)


@pytest.mark.parity(atol=1e-3)
def test_a_nudged_port_at_the_test_tolerances(parity):
    report = parity.compare(sonnet.Linear(3, name="linear"), _nudged, X)
    assert report.ok and report.atol == 1e-3


@pytest.mark.parity(atol=1e-3)
def test_a_call_argument_wins_over_the_marker(parity):
    assert not parity.compare(sonnet.Linear(3, name="linear"), _nudged, X, atol=1e-6).ok


@pytest.mark.parity(1e-3)
def test_a_bad_marker(parity):
    pass
"""


def test_the_fixture_takes_the_test_tolerances(pytester):
    pytester.makepyfile(test_port=textwrap.dedent(_TESTS))
    result = pytester.runpytest("-p", "sonnax.parity.pytest_plugin", "--strict-markers")
    result.assert_outcomes(passed=3, failed=1, errors=1)
    result.stdout.fnmatch_lines(["*the port differs from TF Sonnet*", "*FAIL outputs  (2, 3)*"])
    result.stdout.fnmatch_lines(["*takes only the keywords rtol= and atol=; got args (0.001,)*"])
    result.stdout.fnmatch_lines(["FAILED *test_a_nudged_port_at_the_default_tolerances*"])
