"""Sonnet's networks (`snt.nets`)."""
