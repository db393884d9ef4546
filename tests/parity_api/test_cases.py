"""`compare` passes on correct compat ports across the library's own parity registry.

Each case's module is built by the same code on both sides (`tests/parity/cases/`), so every
row must pass; this checks `compare` itself (conversion, fitting, running, naming) on modules
with state, integer inputs, nested outputs and several variables per module.
"""

import numpy as np
import pytest

from sonnax import compat, parity
from tests.parity.cases import CASES

_NAMES = [
    ("conv2d_transpose", ""),
    ("depthwise_conv2d_multiplier_stride", ""),
    ("embed", ""),
    ("group_norm_channels_last_groups2", ""),
    ("gru_static_unroll", ""),
    ("vector_quantizer_ema", "eval"),
    ("resnet_block_v2_projection", "eval"),
]


@pytest.fixture(scope="module")
def sonnet():
    import sonnet

    return sonnet


@pytest.mark.parametrize(("name", "mode"), _NAMES, ids=[name for name, _ in _NAMES])
def test_a_correct_port_passes(sonnet, name, mode):
    case = CASES[name]
    kwargs = case.modes[mode]
    inputs = case.make_inputs(np.random.default_rng(0))
    report = parity.compare(
        case.build(sonnet),
        lambda *xs: case.call(compat, case.build(compat), *xs, **kwargs),
        *inputs,
        tf_fn=lambda module, *xs: case.call(sonnet, module, *xs, **kwargs),
        grads=case.grad,
        rtol=case.rtol,
        atol=case.atol,
    )
    assert report.ok, str(report)
    assert report.rows[0].name.startswith("outputs")
