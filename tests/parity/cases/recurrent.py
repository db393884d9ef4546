"""Parity cases: recurrent."""

from tests.parity.cases import Case

CASES: list[Case] = []
