"""Runs an example's `main` in this process and reads the numbers from its log lines.

In-process, a run costs its compiles and steps but not a fresh interpreter importing JAX,
which would be most of a short run. Each example defines its absl flags when loaded;
`example` removes them again afterwards, so the next example can define flags of the same name.
"""

import contextlib
import importlib.util
import io
import math
import pathlib
import re
import sys
import types
from collections.abc import Callable, Iterator

from absl import flags

EXAMPLES = pathlib.Path(__file__).resolve().parents[2] / "examples"


def load(module: str) -> types.ModuleType:
    """Imports `examples/<module>.py`; `examples/` is on `sys.path` only while it loads."""
    spec = importlib.util.spec_from_file_location(f"examples_{module}", EXAMPLES / f"{module}.py")
    assert spec is not None and spec.loader is not None
    loaded = importlib.util.module_from_spec(spec)
    sys.path.insert(0, str(EXAMPLES))
    try:
        spec.loader.exec_module(loaded)
    finally:
        sys.path.remove(str(EXAMPLES))
    return loaded


@contextlib.contextmanager
def example(module: str) -> Iterator[Callable[..., str]]:
    """Yields `run(*flags) -> stdout`, which parses `flags` and calls the example's `main`."""
    before = set(flags.FLAGS)
    loaded = load(module)
    defined = set(flags.FLAGS) - before

    def run(*argv: str) -> str:
        flags.FLAGS([f"{module}.py", *argv])
        out = io.StringIO()
        try:
            with contextlib.redirect_stdout(out):
                loaded.main([f"{module}.py"])
        finally:
            flags.FLAGS.unparse_flags()
        return out.getvalue()

    try:
        yield run
    finally:
        for name in defined:
            delattr(flags.FLAGS, name)


def logged(stdout: str, metric: str, prefix: str = "step") -> list[float]:
    """Every value of `metric` in the `step N  metric X ...` lines, in order; all finite."""
    values = [float(x) for x in re.findall(rf"^{prefix} .*\b{metric} (\S+)", stdout, re.M)]
    assert all(math.isfinite(v) for v in values), stdout
    return values


def logged_steps(stdout: str) -> list[int]:
    """The step numbers of the log lines, in order."""
    return [int(x) for x in re.findall(r"^step +(\d+)", stdout, re.M)]
