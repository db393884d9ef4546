"""Benchmarks: sonnax against hand-written JAX, dm-haiku, Flax and TF Sonnet, in one process.

`python -m benchmarks` (see `__main__.py`); `python -m benchmarks.convert_checkpoint` for the
checkpoint converter.
"""
