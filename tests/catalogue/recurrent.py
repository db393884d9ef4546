"""Catalogue entries for recurrent cores and unrolls."""

from tests.catalogue.entry import Entry

ENTRIES: list[Entry] = []
