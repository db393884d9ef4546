"""Test configuration: 8 host CPU devices and a shared `key` fixture."""

import os

# Must be set before JAX initialises its backends, hence before `import jax`.
os.environ["XLA_FLAGS"] = (
    os.environ.get("XLA_FLAGS", "") + " --xla_force_host_platform_device_count=8"
).strip()
os.environ.setdefault("JAX_PLATFORMS", "cpu")
# TensorFlow (the parity oracle): quiet, and without oneDNN's reordered float arithmetic.
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
os.environ.setdefault("TF_ENABLE_ONEDNN_OPTS", "0")

import jax  # noqa: E402
import pytest  # noqa: E402


@pytest.fixture
def key() -> jax.Array:
    """A fixed JAX PRNG key."""
    return jax.random.PRNGKey(42)
