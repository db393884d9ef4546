"""`pip install -e ".[examples]"` installs everything the examples import.

A fresh environment following the README found the examples extra without the convert extra's
packages, which `sonnax.convert.save` (every example's checkpoint) needs; this keeps it found.
"""

import ast
import pathlib
import re
import sys
from unittest import mock

import pytest
import setuptools

ROOT = pathlib.Path(__file__).resolve().parents[2]
# Examples that say they need more than the examples extra (their docstrings name the extra).
NEEDS_TF = {"port_sonnet_mlp.py"}
# Import name -> distribution name, where they differ.
DISTRIBUTIONS = {"absl": "absl-py", "sklearn": "scikit-learn"}
LOCAL = {"checkpointing", "digits", "sonnax"}


def _extras() -> tuple[list[str], dict[str, list[str]]]:
    """`(install_requires, extras_require)` as setup.py declares them, without installing."""
    with mock.patch.object(setuptools, "setup") as setup:
        source = (ROOT / "setup.py").read_text()
        exec(compile(source, "setup.py", "exec"), {"__file__": str(ROOT / "setup.py")})
    kwargs = setup.call_args.kwargs
    return kwargs["install_requires"], kwargs["extras_require"]


def _names(requirements: list[str]) -> set[str]:
    return {re.split(r"[<>=\[ ;]", requirement, maxsplit=1)[0] for requirement in requirements}


def _imports(path: pathlib.Path) -> set[str]:
    tree = ast.parse(path.read_text())
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            found.update(f"{node.module}.{alias.name}" for alias in node.names)
    return found


EXAMPLES = sorted(p for p in (ROOT / "examples").glob("*.py") if p.name not in NEEDS_TF)


def _missing(path: pathlib.Path, install: list[str], examples_extra: list[str], convert: list[str]):
    """The distributions `path` imports (or needs through sonnax.convert) that are not installed."""
    available = _names(install) | _names(examples_extra)
    imports = _imports(path)
    missing = set()
    for name in imports:
        top = name.split(".")[0]
        if top in LOCAL or top in sys.stdlib_module_names:
            continue
        if DISTRIBUTIONS.get(top, top) not in available:
            missing.add(top)
    if imports & {"sonnax.convert", "checkpointing"}:
        missing |= _names(convert) - available
    return missing


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.name)
def test_the_examples_extra_covers_every_import(path):
    install, extras = _extras()
    missing = _missing(path, install, extras["examples"], extras["convert"])
    assert not missing, f"{path.name} needs {sorted(missing)}, not in the examples extra"


def test_the_check_finds_the_convert_extra_missing():
    install, extras = _extras()
    without_convert = [r for r in extras["examples"] if r not in extras["convert"]]
    missing = _missing(ROOT / "examples" / "mnist.py", install, without_convert, extras["convert"])
    assert "google-crc32c" in missing
