"""Parity cases: nets."""

from tests.parity.cases import Case

CASES: list[Case] = []
