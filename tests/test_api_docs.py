"""docs/api.md lists every public name of every public namespace, and nothing else."""

import importlib
import importlib.util
import pathlib
import re

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[1]
PAGE = ROOT / "docs" / "api.md"


def _generator():
    spec = importlib.util.spec_from_file_location("make_api", ROOT / "docs" / "make_api.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _public_modules() -> set[str]:
    """Found from the files, independently of the generator: no `_`-prefixed path component."""
    modules = set()
    for path in (ROOT / "sonnax").rglob("*.py"):
        parts = path.relative_to(ROOT).with_suffix("").parts
        if parts[-1] == "__init__":
            parts = parts[:-1]
        if not any(part.startswith("_") for part in parts):
            modules.add(".".join(parts))
    return modules


def _entries(text: str) -> dict[str, set[str]]:
    """`{namespace: names}` read from the page's `## \\`namespace\\`` sections and table rows."""
    entries: dict[str, set[str]] = {}
    current = None
    for line in text.splitlines():
        if heading := re.fullmatch(r"## `([\w.]+)`", line):
            current = entries.setdefault(heading.group(1), set())
        elif (row := re.match(r"\| `(\w+)` \|", line)) and current is not None:
            current.add(row.group(1))
    return entries


def missing_and_stale(text: str) -> tuple[list[str], list[str]]:
    """The public names the page lacks, and the page's entries that are not public."""
    listed = _entries(text)
    generator = _generator()
    missing, stale = [], []
    for module_name in sorted(_public_modules()):
        names = set(generator.public_names(importlib.import_module(module_name)))
        found = listed.pop(module_name, set())
        missing += [f"{module_name}.{name}" for name in sorted(names - found)]
        stale += [f"{module_name}.{name}" for name in sorted(found - names)]
    stale += [f"{module_name} (not a public namespace)" for module_name in sorted(listed)]
    return missing, stale


def test_every_public_name_has_an_entry_and_every_entry_is_public():
    missing, stale = missing_and_stale(PAGE.read_text())
    assert not missing, f"docs/api.md lacks (run `python docs/make_api.py`): {missing}"
    assert not stale, f"docs/api.md lists names that are not public: {stale}"


@pytest.mark.parametrize("row", ["| `Linear` |", "| `from_checkpoint` |", "| `LSTM` |"])
def test_the_check_fails_when_an_entry_is_removed(row):
    text = PAGE.read_text()
    lines = text.splitlines()
    index = next(i for i, line in enumerate(lines) if line.startswith(row))
    heading = next(line for line in reversed(lines[:index]) if line.startswith("## "))
    del lines[index]
    missing, _ = missing_and_stale("\n".join(lines))
    name = row.split("`")[1]
    assert missing == [f"{heading[4:-1]}.{name}"]


def test_the_check_fails_on_an_entry_that_is_not_public():
    text = PAGE.read_text().replace("| `Linear` |", "| `Linear` | x |\n| `Linearr` |", 1)
    _, stale = missing_and_stale(text)
    assert stale == ["sonnax.Linearr"]


def test_the_page_is_what_the_generator_writes():
    assert PAGE.read_text() == _generator().page(), "run `python docs/make_api.py`"


def test_every_namespace_has_a_summary_and_every_name_a_line():
    text = PAGE.read_text()
    rows = re.findall(r"^\| `\w+` \| (.*) \|$", text, re.M)
    assert len(rows) > 350
    assert all(row.strip() for row in rows)
