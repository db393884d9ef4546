"""docs/porting.md: every Sonnet name has a row, and every sonnax name it mentions exists."""

import importlib
import pathlib
import re
import types

import pytest

import sonnax
from sonnax import compat

GUIDE = (pathlib.Path(__file__).resolve().parents[1] / "docs" / "porting.md").read_text()
# The tables: inline code spans outside the fenced examples.
TABLES = re.sub(r"```.*?```", "", GUIDE, flags=re.S)


def _expand(name: str) -> list[str]:
    """`Conv1D/2D/3DLSTM` -> Conv1DLSTM, Conv2DLSTM, Conv3DLSTM."""
    match = re.search(r"^(.*?)(\d)D((?:/\dD)+)(.*)$", name)
    if not match:
        return [name]
    head, first, rest, tail = match.groups()
    digits = [first] + re.findall(r"\d", rest)
    return [f"{head}{d}D{tail}" for d in digits]


def _mentioned(prefix: str) -> set[str]:
    names = set()
    for code in re.findall(r"`([^`]+)`", TABLES):
        for token in re.findall(rf"\b{prefix}\.([A-Za-z_][\w./*]*)", code):
            names.update(_expand(token.rstrip(".")))
    return names


def _resolve(root: types.ModuleType, dotted: str) -> object:
    first, *rest = dotted.split(".")
    # `sonnax.parity` and `sonnax.convert` are subpackages that `import sonnax` leaves out.
    value = getattr(root, first, None) or importlib.import_module(f"{root.__name__}.{first}")
    for part in rest:
        value = getattr(value, part)
    return value


def test_every_sonnet_name_has_a_row():
    mentioned = _mentioned("snt")
    public = set(compat.__all__) | {
        f"{sub}.{name}"
        for sub in ("nets", "initializers", "optimizers", "pad", "regularizers")
        for name in getattr(compat, sub).__all__
    }
    # A namespace's row is `snt.nets.*` or rows for its names (`snt.nets.MLP`).
    namespaces = {m.split(".")[0] for m in mentioned if "." in m}
    covered = {
        name
        for name in public
        if name in mentioned
        or name in namespaces
        or {name + ".*", name.split(".")[0] + ".*"} & mentioned
    }
    missing = sorted(
        name
        for name in public - covered
        if not any(m.endswith(".*") and name.startswith(m[:-1]) for m in mentioned)
    )
    assert not missing, f"docs/porting.md has no row for: {missing}"


@pytest.mark.parametrize("name", sorted(_mentioned("sonnax") - {"compat", "convert"}))
def test_sonnax_names_in_the_guide_exist(name):
    if name.endswith(".*"):
        _resolve(sonnax, name[:-2])
    else:
        _resolve(sonnax, name)


@pytest.mark.parametrize("name", sorted(n for n in _mentioned("snt") if not n.endswith("*")))
def test_compat_names_in_the_guide_exist(name):
    _resolve(compat, name)
