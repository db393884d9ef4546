"""Sonnet's `snt.functional`: Haiku's programming model (here, sonnax's own) with Sonnet's names."""
