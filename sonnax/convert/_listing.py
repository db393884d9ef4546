"""The `--list` table: what a checkpoint holds and where each tensor would go."""

import collections.abc
import os

from sonnax.convert._mapping import names
from sonnax.convert._read import checkpoint as checkpoint_lib

HEADER = ("NAME", "SHAPE", "DTYPE", "BYTES", "KIND", "TRAINABLE", "DESTINATION")


def format_listing(
    entries: collections.abc.Mapping[str, checkpoint_lib.TensorInfo], placed: names.Plan
) -> str:
    """Returns a plain-text table of every entry, one row each, sorted by variable name.

    Args:
      entries: the checkpoint's `{key: TensorInfo}`.
      placed: the plan for those entries; its destination (or `skipped`) fills the last column.

    Returns:
      The table, columns aligned with spaces, ending with a totals line.
    """
    destinations = {p.info.key: p.file_key for p in placed.placements}
    rows = [HEADER]
    for key, info in sorted(entries.items(), key=lambda item: (item[1].name, item[0])):
        rows.append(
            (
                names.variable_name(info),
                str(tuple(info.shape)),
                str(info.dtype) if info.dtype is not None else "string",
                f"{info.nbytes:,}",
                info.kind,
                {True: "yes", False: "no", None: "?"}[info.trainable],
                destinations.get(key) or f"skipped: {placed.skipped.get(key)}",
            )
        )
    widths = [max(len(row[column]) for row in rows) for column in range(len(HEADER))]
    lines = [
        "  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip()
        for row in rows
    ]
    total = sum(info.nbytes for info in entries.values())
    lines.append(
        f"{len(entries)} tensors, {total:,} bytes; {len(placed.placements)} to convert, "
        f"{len(placed.skipped)} skipped"
    )
    return "\n".join(lines)


def describe(src: str | os.PathLike[str], selection: names.Selection) -> str:
    """Opens a checkpoint and returns its `--list` table; no tensor data is read.

    Args:
      src: a checkpoint directory, checkpoint prefix or SavedModel directory.
      selection: which tensors would be converted; the others are listed as skipped.

    Returns:
      The table from `format_listing`.
    """
    with checkpoint_lib.open_checkpoint(src) as checkpoint:
        entries = checkpoint.entries()
    return format_listing(entries, names.plan(entries, selection))
