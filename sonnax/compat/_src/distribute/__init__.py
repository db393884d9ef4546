"""Sonnet's `snt.distribute`: replicas over local devices with `jax.pmap`."""
