"""Implementation of `sonnax.experimental`."""
