"""Round trips from TF Sonnet for every `sonnax.compat` module class (tests/convert/round_trip.py).

Each class's case is converted four ways (`from_checkpoint`, the CLI then `load`,
`from_module`, and for a few `from_saved_model`), restored into the compat module with
`restore` (which checks every name, shape and dtype), and run: outputs equal TF's.
"""

import inspect

import jax
import numpy as np
import pytest
import tensorflow as tf

import sonnax.convert
from sonnax import compat
from sonnax.convert import __main__ as cli
from tests.convert import round_trip
from tests.parity import harness

tf.config.experimental.enable_tensor_float_32_execution(False)
NAMESPACES = ("nets", "distribute")


@pytest.fixture(autouse=True)
def _highest_matmul_precision():
    with jax.default_matmul_precision("highest"):
        yield


def _conversions(run: round_trip.TFRun, tmp_path) -> dict:
    out = tmp_path / "params.npz"
    assert cli.main([run.prefix, str(out), "--quiet"]) == 0
    found = {
        "from_checkpoint": sonnax.convert.from_checkpoint(run.prefix),
        "cli": sonnax.convert.load(out),
        "from_module": run.from_module,
    }
    if run.saved_model is not None:
        found["from_saved_model"] = sonnax.convert.from_saved_model(run.saved_model)
    return found


@pytest.mark.parametrize("class_name", sorted(round_trip.CLASS_CASES))
def test_round_trip_gives_tf_outputs(class_name, tmp_path):
    case = round_trip.case_for(class_name)
    run = round_trip.run_tf(case, tmp_path)
    assert class_name.rpartition(".")[2] in round_trip.module_classes(run.module), case.name
    transformed = harness.compat_transform(case, round_trip.mode_of(case))
    apply = jax.jit(transformed.apply)
    rng = jax.random.PRNGKey(0) if case.rng else None
    for how, tree in _conversions(run, tmp_path).items():
        try:
            params, state = sonnax.convert.restore(tree, transformed, *run.inputs)
        except sonnax.convert.MismatchError as error:
            raise AssertionError(f"{case.name} via {how}: {error}") from error
        outputs = jax.tree.leaves(apply(params, state, rng, *run.inputs)[0])
        assert len(outputs) == len(run.outputs), how
        for index, (actual, expected) in enumerate(zip(outputs, run.outputs, strict=True)):
            np.testing.assert_allclose(
                np.asarray(actual, np.float64),
                expected.astype(np.float64),
                rtol=1e-5,
                atol=case.atol,
                err_msg=f"{case.name} via {how}: output {index} differs from TF",
            )


def _public_module_classes() -> list[str]:
    found = []
    for prefix, namespace in [("", compat)] + [(f"{n}.", getattr(compat, n)) for n in NAMESPACES]:
        for name in namespace.__all__:
            value = getattr(namespace, name)
            if inspect.isclass(value) and issubclass(value, compat.Module):
                found.append(f"{prefix}{name}")
    return found


def test_every_compat_module_class_has_a_round_trip():
    classes = _public_module_classes()
    missing = [
        name for name in classes if name not in {**round_trip.CLASS_CASES, **round_trip.EXCLUDED}
    ]
    assert not missing, f"no round-trip case (or reasoned exclusion) for: {missing}"
    stale = sorted((set(round_trip.CLASS_CASES) | set(round_trip.EXCLUDED)) - set(classes))
    assert not stale, f"round-trip entries for names that are not public compat classes: {stale}"
    assert not set(round_trip.CLASS_CASES) & set(round_trip.EXCLUDED)
