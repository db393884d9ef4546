"""Sonnet's recurrent modules: cores, unrolls and trainable states."""
