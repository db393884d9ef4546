"""Parity cases: normalization."""

from tests.parity.cases import Case

CASES: list[Case] = []
