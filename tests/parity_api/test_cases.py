"""`compare` passes on the correct compat port of every module class's round-trip case.

Each case's module is built by the same code on both sides (`tests/parity/cases/`), so every
row must pass; this checks `compare` itself (conversion, fitting, running, naming) on modules
with state, integer inputs, nested outputs and several variables per module.
"""

import numpy as np
import pytest

from sonnax import compat, parity
from tests.convert import round_trip
from tests.parity.cases import CASES

# Compared with gradients too.
_WITH_GRADS = [
    ("conv2d_transpose", ""),
    ("depthwise_conv2d_multiplier_stride", ""),
    ("embed", ""),
    ("group_norm_channels_last_groups2", ""),
    ("gru_static_unroll", ""),
    ("vector_quantizer_ema", "eval"),
    ("resnet_block_v2_projection", "eval"),
]
# And every module class's round-trip case (tests/convert/round_trip.py), outputs only.
_NAMES = _WITH_GRADS + sorted(
    {(name, round_trip.mode_of(CASES[name])) for name in round_trip.CLASS_CASES.values()}
    - set(_WITH_GRADS)
)


def _held(parts):
    """One tf.Module holding `parts` (TF is imported here, so collecting this file needs none)."""
    import tensorflow as tf

    holder = tf.Module(name="holder")
    holder.parts = parts
    return holder


def _unwrap(module):
    return getattr(module, "parts", module)


@pytest.fixture(scope="module")
def sonnet():
    import sonnet

    return sonnet


@pytest.mark.parametrize(("name", "mode"), _NAMES, ids=[name for name, _ in _NAMES])
def test_a_correct_port_passes(sonnet, name, mode):
    case = CASES[name]
    kwargs = case.modes[mode]
    inputs = case.make_inputs(np.random.default_rng(0))
    built = case.build(sonnet)
    # compare takes one tf.Module: a case that builds several (a tuple) is held by one.
    holder = built if isinstance(built, sonnet.Module) else _held(built)
    report = parity.compare(
        holder,
        lambda *xs: case.call(compat, case.build(compat), *xs, **kwargs),
        *inputs,
        tf_fn=lambda module, *xs: case.call(sonnet, _unwrap(module), *xs, **kwargs),
        grads=case.grad and (name, mode) in _WITH_GRADS,
        rtol=case.rtol,
        atol=case.atol,
    )
    assert report.ok, str(report)
    assert report.rows[0].name.startswith("outputs")
