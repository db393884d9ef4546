"""Every parity case: variables, outputs, gradients and state equal to TF Sonnet's."""

import numpy as np
import pytest

from tests.parity import harness
from tests.parity.cases import CASES, params


def _ids(pairs):
    return [f"{name}-{mode}" if mode else name for name, mode in pairs]


@pytest.mark.parametrize(("case_name", "mode"), params(), ids=_ids(params()))
def test_variables_named_and_shaped_as_sonnet(case_name, mode):
    tf_run = harness.run_tf(case_name, mode)
    init_params, init_state = harness.compat_init(case_name, mode)
    expected_params, expected_state = harness.split_trees(tf_run.initial, tf_run.trainable)
    shapes = lambda tree: {k: np.shape(v) for k, v in harness.flat(tree).items()}
    assert shapes(init_params) == shapes(expected_params)
    assert shapes(init_state) == shapes(expected_state)


@pytest.mark.parametrize(("case_name", "mode"), params(), ids=_ids(params()))
def test_outputs_match_sonnet(case_name, mode):
    case = CASES[case_name]
    tf_run = harness.run_tf(case_name, mode)
    compat_run = harness.run_compat(case_name, mode)
    for step, (tf_step, compat_step) in enumerate(
        zip(tf_run.steps, compat_run.steps, strict=False)
    ):
        assert len(compat_step.outputs) == len(tf_step.outputs)
        for i, (got, want) in enumerate(zip(compat_step.outputs, tf_step.outputs, strict=False)):
            harness.assert_close(got, want, case, f"output {i} at step {step}")


@pytest.mark.parametrize(
    ("case_name", "mode"), params(grad_only=True), ids=_ids(params(grad_only=True))
)
def test_gradients_match_sonnet(case_name, mode):
    case = CASES[case_name]
    tf_step = harness.run_tf(case_name, mode).steps[0]
    compat_step = harness.run_compat(case_name, mode).steps[0]
    assert tf_step.param_grads or tf_step.input_grads, f"{case_name}: nothing to differentiate"
    assert sorted(compat_step.param_grads) == sorted(tf_step.param_grads)
    for key, want in tf_step.param_grads.items():
        harness.assert_close(
            compat_step.param_grads[key], want, case, f"d loss / d {key}", scaled_atol=True
        )
    assert len(compat_step.input_grads) == len(tf_step.input_grads)
    for i, (got, want) in enumerate(
        zip(compat_step.input_grads, tf_step.input_grads, strict=False)
    ):
        harness.assert_close(got, want, case, f"d loss / d input {i}", scaled_atol=True)


@pytest.mark.parametrize(("case_name", "mode"), params(), ids=_ids(params()))
def test_state_after_each_step_matches_sonnet(case_name, mode):
    case = CASES[case_name]
    tf_run = harness.run_tf(case_name, mode)
    compat_run = harness.run_compat(case_name, mode)
    for step, (tf_step, compat_step) in enumerate(
        zip(tf_run.steps, compat_run.steps, strict=False)
    ):
        assert sorted(compat_step.variables) == sorted(tf_step.variables)
        for key, want in tf_step.variables.items():
            harness.assert_close(compat_step.variables[key], want, case, f"{key} after step {step}")
