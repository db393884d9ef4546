"""Sonnet's optimizers (`snt.optimizers`), functional and built on optax."""
