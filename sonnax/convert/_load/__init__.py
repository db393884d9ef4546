"""Loading converted variables into running JAX models: sources and `restore`."""
