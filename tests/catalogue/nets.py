"""Catalogue entries for nets (ResNet, MobileNet, VQ) and mixed precision."""

from tests.catalogue.entry import Entry

ENTRIES: list[Entry] = []
