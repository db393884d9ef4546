"""Catalogue entries for normalization layers, EMA, Embed, attention."""

from tests.catalogue.entry import Entry

ENTRIES: list[Entry] = []
