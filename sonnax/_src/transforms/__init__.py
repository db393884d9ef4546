"""Transforms that compose or wrap transformed functions."""
