"""`python -m sonnax.convert SRC OUT.npz`: parses the arguments and calls the API."""

import argparse
import collections.abc
import dataclasses
import re
import sys

from sonnax.convert import _convert, _listing, _progress, errors
from sonnax.convert._mapping import dtypes, names, rename

_LIST_HELP = (
    "print the tensors and where each would go; no OUT. TRAINABLE is known only for SavedModels "
    "('?' for checkpoints, which do not record it)"
)


def _error_classes(error: type[errors.ConvertError]) -> list[type[errors.ConvertError]]:
    """`error` and all its subclasses, depth first."""
    return [error, *(sub for child in error.__subclasses__() for sub in _error_classes(child))]


def _epilog() -> str:
    """The exit-code table, built from the error classes so it cannot drift from them."""
    by_code: dict[int, list[str]] = {
        0: ["success"],
        1: ["an unexpected error: a bug in sonnax.convert (please report it with its traceback)"],
        2: ["usage error (bad arguments)"],
    }
    for error in _error_classes(errors.ConvertError):
        summary = (error.__doc__ or "").strip().splitlines()[0]
        by_code.setdefault(error.exit_code, []).append(f"{error.__name__}: {summary}")
    lines = ["exit codes:"]
    for code in sorted(by_code):
        lines.extend(f"  {code}  {text}" for text in by_code[code])
    return "\n".join(lines)


def _regex(text: str) -> re.Pattern[str]:
    try:
        return re.compile(text)
    except re.error as error:
        raise argparse.ArgumentTypeError(f"bad regular expression {text!r}: {error}") from error


def _layout_module(text: str) -> tuple[str, str]:
    module, equals, kind = text.partition("=")
    if not equals or not module or not kind:
        raise argparse.ArgumentTypeError(
            f"bad layout module {text!r}: expected PATH=KIND, e.g. 'encoder=lstm' or "
            "'up=conv_transpose:channels_first'"
        )
    return module, kind


def _rename_rule(text: str) -> tuple[str, str]:
    regex, equals, replacement = text.partition("=")
    if not equals or not regex:
        raise argparse.ArgumentTypeError(
            f"bad rename rule {text!r}: expected REGEX=REPLACEMENT, e.g. '^model/=' to drop a "
            "leading 'model/' (the first '=' separates them)"
        )
    try:
        rename.compile_rules([(regex, replacement)])
    except ValueError as error:
        raise argparse.ArgumentTypeError(str(error)) from error
    return regex, replacement


def _dtype(text: str) -> str:
    try:
        dtypes.parse_dtype(text)
    except ValueError as error:
        raise argparse.ArgumentTypeError(str(error)) from error
    return text


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m sonnax.convert",
        description="Convert a TF / Sonnet checkpoint into a sonnax params file (.npz), "
        "without TensorFlow.",
        epilog=_epilog(),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    add = parser.add_argument
    add("src", metavar="SRC", help="checkpoint directory, checkpoint prefix or SavedModel dir")
    add("out", metavar="OUT", nargs="?", help="the .npz to write (not needed with --list)")
    add("--list", action="store_true", help=_LIST_HELP)
    _add_selection(parser.add_argument_group("which tensors, under which names"))
    _add_layout(parser.add_argument_group("layouts and optimizer state"))
    add("--dtype", type=_dtype, help="cast floating-point tensors, e.g. bfloat16 or float16")
    add("--force", action="store_true", help="overwrite OUT if it exists")
    add("--quiet", action="store_true", help="print nothing but errors")
    return parser


def _add_selection(group: argparse._ArgumentGroup) -> None:
    add = group.add_argument
    add(
        "--include",
        metavar="REGEX",
        type=_regex,
        action="append",
        help="convert only "
        "variables whose name matches one of these (repeatable; searched, not anchored)",
    )
    add(
        "--exclude",
        metavar="REGEX",
        type=_regex,
        action="append",
        help="leave out variables whose name matches (repeatable)",
    )
    add(
        "--rename",
        metavar="REGEX=REPL",
        type=_rename_rule,
        action="append",
        help="rewrite variable names with re.sub before anything else sees them (repeatable, "
        "applied in order), e.g. for Sonnet 1 / TF1 checkpoints: "
        r"--rename '^conv_net_2d/conv_2d_(\d+)/=conv_\1/' (see docs/porting.md)",
    )
    add(
        "--include-slots",
        action="store_true",
        help="also convert optimizer state (slot variables, the variables of Keras and TF1 "
        "optimizers, Sonnet optimizer moments), into state",
    )
    add("--include-save-counter", action="store_true", help="also convert the save counter")


def _add_layout(group: argparse._ArgumentGroup) -> None:
    add = group.add_argument
    add(
        "--layout",
        choices=("compat", "haiku"),
        default="compat",
        help="compat (default): variables as sonnax.compat (Sonnet) lays them out; haiku: "
        "mapped onto the core (Haiku) modules: LSTM, GRU, BatchNorm, transposed and depthwise "
        "convolutions (see sonnax.convert.to_haiku_layout)",
    )
    add(
        "--layout-module",
        metavar="PATH=KIND",
        type=_layout_module,
        action="append",
        help="with --layout haiku: the layout of a module that is not found by its variables "
        "or default name, e.g. 'encoder=lstm', 'up=conv_transpose:channels_first', 'x=none' "
        "(repeatable)",
    )
    add(
        "--optimizer-state",
        metavar="NAME",
        choices=("adam", "momentum", "rmsprop", "sgd"),
        help="also write this Sonnet optimizer's state (adam, momentum, rmsprop, sgd) as optax "
        "state into OUT.opt_state.npz; read it with sonnax.convert.load_optimizer_state",
    )


def main(argv: collections.abc.Sequence[str] | None = None) -> int:
    """Runs the command line.

    Args:
      argv: the arguments after the program name; `None` for `sys.argv[1:]`.

    Returns:
      The exit code (see `--help`).
    """
    parser = _parser()
    args = parser.parse_args(argv)
    if not args.list and args.out is None:
        parser.error("OUT is required unless --list is given")
    try:
        if args.list:
            print(_listing.describe(args.src, _selection(args)))
        else:
            _convert_and_report(args)
    except errors.ConvertError as error:
        print(f"sonnax.convert: error: {error}", file=sys.stderr)
        return error.exit_code
    return 0


def _selection(args: argparse.Namespace) -> names.Selection:
    """The selection options, by their field names (the options' `dest` names are the same)."""
    fields = dataclasses.fields(names.Selection)
    return names.Selection(**{field.name: getattr(args, field.name) for field in fields})


def _convert_and_report(args: argparse.Namespace) -> None:
    display = None if args.quiet else _progress.ProgressDisplay()
    try:
        summary = _convert.convert(
            args.src,
            args.out,
            dtype=args.dtype,
            rename=args.rename,
            layout=args.layout,
            modules=dict(args.layout_module or ()),
            optimizer_state=args.optimizer_state,
            overwrite=args.force,
            progress=display,
            **dataclasses.asdict(_selection(args)),
        )
    finally:
        if display is not None:
            display.close()
    if not args.quiet:
        for note in summary.notes:
            print(f"note: {note}", file=sys.stderr)
        print(summary.line())


if __name__ == "__main__":
    sys.exit(main())
