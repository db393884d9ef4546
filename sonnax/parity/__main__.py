"""`python -m sonnax.parity RECORDED PARAMS PORT`: parses the arguments and runs the check."""

import argparse
import importlib
import os
import sys
from collections.abc import Sequence
from typing import Any

from sonnax import convert
from sonnax.parity import _recorded

_DESCRIPTION = """\
Compares a sonnax port with outputs TF Sonnet recorded (sonnax.parity.record), without
TensorFlow, and prints the report: per output, the max absolute and relative error and the
worst element. Exit code 0 if every output is within tolerance, 1 if not, 2 if the check could
not run (bad arguments, unreadable files, a port whose parameters do not fit)."""


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m sonnax.parity", description=_DESCRIPTION)
    parser.add_argument("recorded", help="the .npz of inputs/<i> and outputs/<i> TF recorded")
    parser.add_argument(
        "params",
        help="the converted variables: a params .npz (python -m sonnax.convert), or the TF "
        "checkpoint or SavedModel itself (converted on the fly)",
    )
    parser.add_argument(
        "port",
        help="the sonnax port as module:attribute, e.g. my_port:forward (a function using "
        "sonnax.compat modules, or a transform / transform_with_state result); the current "
        "directory is importable",
    )
    parser.add_argument("--rtol", type=float, default=1e-5, help="relative tolerance (1e-5)")
    parser.add_argument("--atol", type=float, default=1e-6, help="absolute tolerance (1e-6)")
    return parser


def _import_port(spec: str) -> Any:
    """Imports `module:attribute`; raises ValueError saying what is wrong."""
    module_name, _, attribute = spec.partition(":")
    if not module_name or not attribute:
        raise ValueError(f"port {spec!r}: expected module:attribute, e.g. my_port:forward")
    if os.getcwd() not in sys.path:
        sys.path.insert(0, os.getcwd())
    try:
        module = importlib.import_module(module_name)
    except ImportError as error:
        raise ValueError(f"port {spec!r}: cannot import {module_name!r}: {error}") from error
    try:
        return getattr(module, attribute)
    except AttributeError:
        raise ValueError(
            f"port {spec!r}: module {module_name!r} ({module.__file__}) has no {attribute!r}"
        ) from None


def _variables(path: str) -> tuple[Any, Any]:
    if path.endswith(".npz") and os.path.isfile(path):
        return convert.load(path)
    return convert.from_checkpoint(path)


def main(argv: Sequence[str] | None = None) -> int:
    """Runs the command line.

    Args:
        argv: The arguments, without the program name; `sys.argv[1:]` by default.

    Returns:
        The exit code: 0 parity, 1 a difference, 2 the check could not run.
    """
    args = _parser().parse_args(argv)
    try:
        port = _import_port(args.port)
        params, state = _variables(args.params)
        report = _recorded.compare_recorded(
            args.recorded, port, params, state, rtol=args.rtol, atol=args.atol
        )
    except (ValueError, OSError, convert.ConvertError) as error:
        print(f"python -m sonnax.parity: error: {error}", file=sys.stderr)
        return 2
    print(report)
    return 0 if report.ok else 1


if __name__ == "__main__":
    sys.exit(main())
