"""Parity tests run TF Sonnet as the oracle: TF32 off in TF, highest matmul precision in JAX."""

import jax
import pytest
import tensorflow as tf

tf.config.experimental.enable_tensor_float_32_execution(False)


@pytest.fixture(autouse=True)
def _highest_matmul_precision():
    with jax.default_matmul_precision("highest"):
        yield
