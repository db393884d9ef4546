"""Sonnet's `snt.pad`: padding functions for convolutions."""

from sonnax.compat._src.pad import causal as causal
from sonnax.compat._src.pad import create as create
from sonnax.compat._src.pad import full as full
from sonnax.compat._src.pad import reverse_causal as reverse_causal
from sonnax.compat._src.pad import same as same
from sonnax.compat._src.pad import valid as valid

__all__ = ["causal", "create", "full", "reverse_causal", "same", "valid"]
