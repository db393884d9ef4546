"""Every public computation of `sonnax.compat` is compared with TF Sonnet somewhere in parity.

A name counts as covered when the parity sources use it as `snt.<name>`, `sonnet.<name>` or
`compat.<name>` (the cases build with `snt` bound to either library). The names left out
compute nothing of their own, and the files named beside them compare them with Sonnet.
"""

import pathlib
import re

from sonnax import compat
from tests.parity import test_optimizers, test_pad

PARITY = pathlib.Path(__file__).resolve().parent
NOT_COMPUTATIONS = {
    "Metric": "abstract base; Mean, Sum and ExponentialMovingAverage have cases",
    "Optimizer": "abstract base; tests/parity/test_optimizers.py runs each optimizer",
    "regularizers.Regularizer": "abstract base; L1, L2 and OffDiagonalOrthogonal have cases",
    "UnrolledRNN": "abstract base; UnrolledLSTM has cases",
    "allow_empty_variables": "tests/compat/test_base.py",
    "no_name_scope": "tests/compat/test_base.py",
    "once": "tests/compat/test_base.py",
    "build": "tests/compat/test_build.py",
    "custom_variable_getter": "tests/compat/test_custom_getter.py",
    "format_variables": "tests/compat/test_variables.py",
    "log_variables": "tests/compat/test_variables.py",
    "functional": "tests/compat/test_functional.py",
    "initializers": "a namespace; tests/parity/test_initializers.py samples every class",
    "nets": "a namespace; its names are listed below",
    "optimizers": "a namespace; its names are listed below",
    "pad": "a namespace; its names are listed below",
    "regularizers": "a namespace; its names are listed below",
    "distribute": "a namespace; its names are listed below",
}
# Compared with TF Sonnet outside this folder.
COMPARED_ELSEWHERE = {
    f"mixed_precision.{name}": "tests/compat/test_mixed_precision.py"
    for name in ("disable", "enable", "modes", "scope")
}
# Names with nothing to compute in JAX: what they wrap is checked where it is defined.
NO_TF_COUNTERPART = {
    "distribute.Replicator": "tests/compat/test_distribute.py (runs a function per device)",
    "distribute.TpuReplicator": "tests/compat/test_distribute.py",
    "distribute.create_variables_eagerly": "tests/compat/test_distribute.py",
}


def _public_names() -> list[str]:
    names = list(compat.__all__)
    for namespace in ("nets", "optimizers", "pad", "regularizers", "distribute", "mixed_precision"):
        module = getattr(compat, namespace, None)
        names += [f"{namespace}.{name}" for name in getattr(module, "__all__", ())]
    return names


def _used_in_parity() -> set[str]:
    this_file = pathlib.Path(__file__).resolve()
    source = "\n".join(path.read_text() for path in PARITY.rglob("*.py") if path != this_file)
    used = set()
    for pattern in (r"\b(?:snt|sonnet|compat)\.(\w+\.\w+)", r"\b(?:snt|sonnet|compat)\.(\w+)"):
        used |= set(re.findall(pattern, source))
    # The optimizers and padding functions are named in tables, then looked up by `getattr`.
    used |= {f"optimizers.{name}" for _, name, _ in test_optimizers.CONFIGS}
    return used | {f"pad.{name}" for name in test_pad.FUNCTIONS}


def test_every_compat_computation_has_a_parity_check():
    used = _used_in_parity()
    missing = [
        name
        for name in _public_names()
        if name not in used
        and not any(
            name in known for known in (NOT_COMPUTATIONS, NO_TF_COUNTERPART, COMPARED_ELSEWHERE)
        )
    ]
    assert not missing, f"no parity check against TF Sonnet uses: {missing}"


def test_exclusions_are_still_public_names():
    # An exclusion for a name that no longer exists would hide nothing, but it would mislead.
    public = set(_public_names())
    stale = sorted(
        (set(NOT_COMPUTATIONS) | set(NO_TF_COUNTERPART) | set(COMPARED_ELSEWHERE)) - public
    )
    assert not stale, f"exclusions name no public compat name: {stale}"
