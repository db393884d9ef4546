"""Haiku's stateful JAX transforms: params, state and rng carried through JAX control flow."""
