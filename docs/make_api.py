"""Writes docs/api.md: every public name of sonnax, by namespace, with its one-line summary.

Run `python docs/make_api.py` after adding or removing a public name; `tests/test_api_docs.py`
fails while a name lacks its entry. A namespace is a module whose path has no component starting
with `_` (the folder listing is the public API); its names are its `__all__`.
"""

import importlib
import inspect
import os
import pathlib
import pkgutil
import sys
import tempfile
import types

import jax

ROOT = pathlib.Path(__file__).resolve().parent.parent
PAGE = ROOT / "docs" / "api.md"
HEADER = """# API reference

Every public name of sonnax, by namespace, with the first line of its docstring. Namespaces and
their `__all__` are the public API; anything under `_src` is not. `tests/test_api_docs.py` checks
that this page lists every public name and nothing else; `python docs/make_api.py` rewrites it.

- `sonnax`: Haiku 0.0.17's API (`import sonnax as hk` runs Haiku code).
- `sonnax.compat`: Sonnet 2.0.2's API on the sonnax core (see `docs/porting.md`).
- `sonnax.convert`: Sonnet / TensorFlow checkpoints to params files and back, without TensorFlow.
"""


def public_modules() -> list[str]:
    """The public namespaces: `sonnax` and every module below it outside `_`-prefixed paths."""
    import sonnax

    names = ["sonnax"]
    for info in pkgutil.walk_packages(sonnax.__path__, prefix="sonnax."):
        if not any(part.startswith("_") for part in info.name.split(".")):
            names.append(info.name)
    return sorted(names)


def public_names(module: types.ModuleType) -> list[str]:
    """`module.__all__`; for a module without one, the public names it defines itself."""
    if hasattr(module, "__all__"):
        return list(module.__all__)
    return [
        name
        for name, value in vars(module).items()
        if not name.startswith("_") and getattr(value, "__module__", None) == module.__name__
    ]


def summary(value: object) -> str:
    """The first docstring line of `value` if sonnax wrote it, else what kind of value it is."""
    own = getattr(value, "__module__", "") or ""
    if isinstance(value, types.ModuleType):
        own = value.__name__
    doc = inspect.getdoc(value) if own.startswith("sonnax") else None
    if doc:
        return doc.strip().splitlines()[0].replace("|", "\\|")
    if isinstance(value, str):
        return f"a string constant ({len(value)} characters)"
    return f"alias of `{_short_repr(value)}`"


_REPR_NOISE = {"collections.abc.": "", "typing.": "", "jax.jaxlib._jax.": "jax."}


def _short_repr(value: object) -> str:
    text = f"{value.__module__}.Array" if value is jax.Array else repr(value)
    for noise, replacement in _REPR_NOISE.items():
        text = text.replace(noise, replacement)
    text = text.replace("|", "\\|").replace("`", "'")
    return text if len(text) <= 100 else text[:97] + "..."


def section(module_name: str) -> str:
    """The page's section for one namespace: a heading and a table of its names."""
    module = importlib.import_module(module_name)
    lines = [f"## `{module_name}`", "", summary(module), "", "| name | summary |", "|---|---|"]
    for name in sorted(public_names(module), key=str.lower):
        lines.append(f"| `{name}` | {summary(getattr(module, name))} |")
    return "\n".join(lines)


def page() -> str:
    """The whole page's text."""
    sections = [section(name) for name in public_modules()]
    return HEADER + "\n" + "\n\n".join(sections) + "\n"


def main() -> None:
    text = page()
    with tempfile.NamedTemporaryFile("w", dir=PAGE.parent, delete=False, suffix=".tmp") as file:
        file.write(text)
    os.replace(file.name, PAGE)
    print(f"wrote {PAGE.relative_to(ROOT)}: {text.count(chr(10))} lines", file=sys.stderr)


if __name__ == "__main__":
    main()
