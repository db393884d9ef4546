"""Test configuration: 8 host CPU devices, cheap XLA compiles, and a shared `key` fixture."""

import os
import subprocess
import sys

# The suite's CPU time is mostly XLA compiling small programs (every eager op is one). With
# less LLVM optimisation and the classic CPU fusion emitter a compile costs about half as
# much, and the programs are too small for their slower code to matter. What sonnax and
# dm-haiku trace is unchanged, so every comparison keeps its meaning; jitted and eager results
# even stay bit-identical, as several tests assert (at level 0 they would not).
# `SONNAX_TEST_FAST_XLA=0` runs with XLA's defaults.
_FAST_XLA_FLAGS = (
    "--xla_backend_optimization_level=1",
    "--xla_llvm_disable_expensive_passes=true",
    "--xla_cpu_use_fusion_emitters=false",
)
# Set by the first process (the xdist controller), inherited by its workers and subprocesses.
_CHOSEN = "SONNAX_TEST_XLA_FLAGS"


def _fast_xla_flags() -> str:
    """The speed flags, if this jaxlib's XLA accepts them (it aborts on an unknown flag)."""
    if os.environ.get("SONNAX_TEST_FAST_XLA", "1") == "0":
        return ""
    flags = " ".join(_FAST_XLA_FLAGS)
    probe = subprocess.run(
        [sys.executable, "-c", "import jax; jax.devices('cpu')"],
        env={**os.environ, "XLA_FLAGS": flags, "JAX_PLATFORMS": "cpu"},
        capture_output=True,
        timeout=120,
    )
    return flags if probe.returncode == 0 else ""


if _CHOSEN not in os.environ:
    os.environ[_CHOSEN] = _fast_xla_flags()
# Must be set before JAX initialises its backends, hence before `import jax`. Flags given in
# XLA_FLAGS come later, so they win; a worker inherits its controller's flags, kept once.
_flags = [*os.environ[_CHOSEN].split(), *os.environ.get("XLA_FLAGS", "").split()]
_flags.append("--xla_force_host_platform_device_count=8")
os.environ["XLA_FLAGS"] = " ".join(dict.fromkeys(_flags))
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
