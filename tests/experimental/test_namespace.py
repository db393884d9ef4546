"""sonnax.experimental lists Haiku's names; Flax loads only on demand, or says how to install it."""

import subprocess
import sys

import haiku
import haiku.experimental.flax
import pytest

import sonnax
import sonnax.experimental.flax


@pytest.mark.parametrize(
    "namespace", ["experimental", "experimental.jaxpr_info", "experimental.flax"]
)
def test_names_match_haiku(namespace):
    ours, theirs = sonnax, haiku
    for part in namespace.split("."):
        ours, theirs = getattr(ours, part), getattr(theirs, part)
    # Haiku exposes `fast_eval_shape` outside its `__all__`; sonnax lists it.
    extra = {"fast_eval_shape"} if namespace == "experimental" else set()
    assert set(ours.__all__) == set(theirs.__all__) | extra
    assert ours.__all__ == sorted(ours.__all__)
    assert all(hasattr(ours, name) for name in ours.__all__)


def test_param_context_is_getter_context():
    assert sonnax.experimental.ParamContext is sonnax.experimental.GetterContext


def _run(code):
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    return result.returncode, result.stdout + result.stderr


def test_flax_is_imported_only_on_demand():
    code = "import sys, sonnax, sonnax.experimental\nprint('flax' in sys.modules)"
    assert _run(code) == (0, "False\n")


def test_missing_flax_names_the_extra():
    code = "import sys\nsys.modules['flax'] = None\nimport sonnax\nsonnax.experimental.flax"
    returncode, output = _run(code)
    assert returncode == 1
    assert "ImportError" in output and "pip install 'sonnax[flax]'" in output
