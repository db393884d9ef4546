"""Parity checks of a sonnax port against the TF Sonnet module it was ported from."""

from sonnax.parity._recorded import compare_recorded as compare_recorded
from sonnax.parity._recorded import load_recorded as load_recorded
from sonnax.parity._recorded import record as record
from sonnax.parity._report import Report as Report
from sonnax.parity._report import Row as Row
from sonnax.parity._run import assert_parity as assert_parity
from sonnax.parity._run import compare as compare

__all__ = [
    "Report",
    "Row",
    "assert_parity",
    "compare",
    "compare_recorded",
    "load_recorded",
    "record",
]
