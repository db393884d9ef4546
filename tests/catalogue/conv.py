"""Catalogue entries for convolutions, padding, pooling."""

from tests.catalogue.entry import Entry

ENTRIES: list[Entry] = []
