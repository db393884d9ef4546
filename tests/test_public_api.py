"""The public API: Haiku 0.0.17's names, declared once, with no private or TensorFlow leaks."""

import operator
import subprocess
import sys

import haiku
import pytest

import sonnax

PUBLIC_MODULES = [
    "sonnax",
    "sonnax.config",
    "sonnax.data_structures",
    "sonnax.experimental",
    "sonnax.experimental.jaxpr_info",
    "sonnax.initializers",
    "sonnax.mixed_precision",
    "sonnax.nets",
    "sonnax.pad",
    "sonnax.sharding",
    "sonnax.testing",
    "sonnax.typing",
]


def test_every_haiku_name_exists():
    assert sorted(set(haiku.__all__) - set(sonnax.__all__)) == []


# Names sonnax adds to Haiku's: `sharding` places parameters on a device mesh by path patterns.
SONNAX_ONLY = {"sharding"}


def test_no_names_beyond_haiku():
    # Haiku also exposes a few names outside its `__all__` (`experimental`,
    # `SeparableDepthwiseConv2D`); sonnax lists them.
    extra = set(sonnax.__all__) - set(haiku.__all__) - SONNAX_ONLY
    assert sorted(name for name in extra if not hasattr(haiku, name)) == []


@pytest.mark.parametrize(
    "namespace",
    [
        "data_structures",
        "experimental",
        "experimental.jaxpr_info",
        "initializers",
        "mixed_precision",
        "nets",
        "pad",
        "testing",
    ],
)
def test_namespaces_match_haiku(namespace):
    ours = set(operator.attrgetter(namespace)(sonnax).__all__)
    theirs = set(operator.attrgetter(namespace)(haiku).__all__)
    assert sorted(theirs - ours) == [], f"sonnax.{namespace} lacks these Haiku names"


@pytest.mark.parametrize("module_name", PUBLIC_MODULES)
def test_all_is_sorted_and_resolves(module_name):
    module = __import__(module_name, fromlist=["_"])
    assert module.__all__ == sorted(module.__all__)
    for name in module.__all__:
        assert hasattr(module, name), f"{module_name}.{name} is in __all__ but not defined"


def test_private_package_is_not_reachable():
    assert not hasattr(sonnax, "_src")
    assert not any("_src" in name for name in sonnax.__all__)


def test_import_needs_only_jax_and_numpy():
    code = (
        "import sys, sonnax, sonnax.typing, sonnax.config\n"
        "heavy = sorted({m.split('.')[0] for m in sys.modules} & "
        "{'tensorflow', 'sonnet', 'haiku', 'flax', 'optax', 'tree', 'jmp', 'torch'})\n"
        "print(','.join(heavy))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == ""
