"""`convert`: read -> map -> write, streaming one tensor at a time into the params file."""

import collections.abc
import concurrent.futures
import contextlib
import dataclasses
import itertools
import os
import time
from typing import Any

import numpy as np

from sonnax.convert import errors
from sonnax.convert._mapping import dtypes, layouts, names
from sonnax.convert._mapping import rename as renames
from sonnax.convert._read import checkpoint as checkpoint_lib
from sonnax.convert._write import npz
from sonnax.convert._write import optimizer_state as optimizer_state_file

Progress = collections.abc.Callable[[int, int], None]


@dataclasses.dataclass(frozen=True)
class ConversionSummary:
    """What `convert` did.

    Attributes:
      source: the checkpoint path as given.
      output: the params file written.
      tensors: how many tensors were written.
      nbytes: how many bytes of tensor data were read from the checkpoint.
      seconds: wall time of the whole conversion.
      notes: decisions a user should know of (e.g. name collisions resolved).
      skipped: `{checkpoint key: reason}` for each tensor left out.
    """

    source: str
    output: str
    tensors: int
    nbytes: int
    seconds: float
    notes: list[str]
    skipped: dict[str, str]

    def line(self) -> str:
        """Returns the one-line summary the CLI prints."""
        rate = self.nbytes / self.seconds / 1e9 if self.seconds > 0 else 0.0
        return (
            f"wrote {self.output}: {self.tensors} tensors, {self.nbytes / 1e6:,.1f} MB in "
            f"{self.seconds:.2f} s ({rate:.2f} GB/s); {len(self.skipped)} skipped"
        )


def convert(
    src: str | os.PathLike[str],
    out: str | os.PathLike[str],
    *,
    include: names.Patterns | None = None,
    exclude: names.Patterns | None = None,
    dtype: str | np.dtype | None = None,
    include_slots: bool = False,
    include_save_counter: bool = False,
    rename: renames.Rules | None = None,
    layout: str = "compat",
    modules: layouts.Modules | None = None,
    optimizer_state: str | None = None,
    overwrite: bool = False,
    progress: Progress | None = None,
) -> ConversionSummary:
    """Converts a TF / Sonnet checkpoint into a sonnax params file, without TensorFlow.

    Tensors are read, cast and written one at a time (the next read while one is written), so
    memory stays near twice the largest tensor, whatever the checkpoint's size.

    Args:
      src: a checkpoint directory (its `checkpoint` file names the latest), a checkpoint prefix,
        or a SavedModel directory.
      out: the `.npz` to write, atomically.
      include: regexes searched in each variable name; if given, a tensor must match one.
      exclude: regexes searched in each variable name; a tensor matching any is left out.
      dtype: cast floating-point tensors to this dtype (e.g. `"bfloat16"`).
      include_slots: also convert optimizer state (slot variables, variables an optimizer owns,
        Sonnet optimizer moments), into `state`.
      include_save_counter: also convert the save counter (into `state`).
      rename: `(regex, replacement)` rules applied in order with `re.sub` to each variable
        name before selection and the name rule, e.g. `[(r"^conv_net_2d/conv_2d_(\\d+)/",
        r"conv_\\1/")]` for a Sonnet 1 / TF1 checkpoint (see docs/porting.md).
      layout: `"compat"` (the name rule's layout, for `sonnax.compat`), or `"haiku"` to map
        onto the core modules as `to_haiku_layout` does. The mapped modules (LSTMs, BatchNorms,
        transposed and depthwise convolutions) are read whole and written first; the rest is
        streamed as with `"compat"`.
      modules: with `layout="haiku"`, `{module path: kind}` as for `to_haiku_layout`.
      optimizer_state: also write the state of this Sonnet optimizer (`"adam"`, `"momentum"`,
        `"rmsprop"`, `"sgd"`) as optax state into `OUT.opt_state.npz` (read it with
        `load_optimizer_state`), laid out as the params are; its moments are held in memory.
      overwrite: replace an existing `out`.
      progress: called as `progress(bytes_done, bytes_total)` after each tensor is written.

    Returns:
      A summary: counts, bytes, seconds, notes and skipped tensors.

    Raises:
      ConvertError: a subclass saying what went wrong; `out` is then left untouched.
      ValueError: a rename rule is invalid.
    """
    start = time.perf_counter()
    target = dtypes.parse_dtype(dtype)
    selection = names.Selection(
        include=include or (),
        exclude=exclude or (),
        include_slots=include_slots,
        include_save_counter=include_save_counter,
    )
    if layout not in ("compat", "haiku"):
        raise errors.UnsupportedError(f"convert: layout {layout!r}; expected 'compat' or 'haiku'")
    with checkpoint_lib.open_checkpoint(src) as checkpoint:
        placed = names.plan(renames.rename_entries(checkpoint.entries(), rename), selection)
        streamed, mapped, fields = _map(
            checkpoint, placed.placements, target, layout, modules, optimizer_state
        )
        # Closing the stream stops its read-ahead before the checkpoint's files are closed.
        with contextlib.closing(_stream(checkpoint, streamed, target, progress)) as arrays:
            npz.write_arrays(out, itertools.chain(mapped, arrays), overwrite=overwrite)
    if fields is not None:
        state_path = optimizer_state_file.path_beside(out)
        optimizer_state_file.write_fields(state_path, fields, overwrite=overwrite)
    notes = list(placed.notes)
    if not placed.placements:
        notes.append("no tensor was selected: the params file holds no arrays")
    return ConversionSummary(
        source=os.fspath(src),
        output=os.fspath(out),
        tensors=len(streamed) + len(mapped),
        nbytes=sum(placement.info.nbytes for placement in placed.placements),
        seconds=time.perf_counter() - start,
        notes=notes,
        skipped=dict(placed.skipped),
    )


def _map(
    checkpoint: checkpoint_lib.Checkpoint,
    placements: tuple[names.Placement, ...],
    target: np.dtype | None,
    layout: str,
    modules: layouts.Modules | None,
    optimizer: str | None,
) -> tuple[tuple[names.Placement, ...], list[tuple[str, np.ndarray]], dict[str, Any] | None]:
    """`(placements to stream, [(file key, mapped array)], optimizer fields or None)`.

    With the Haiku layout, the modules a layout rule applies to are read and mapped here (and
    written first); the optimizer's state is read before anything is written, so that an error
    in it leaves `out` untouched.
    """
    mapped: list[tuple[str, np.ndarray]] = []
    streamed, haiku_state = placements, None
    if layout == "haiku":
        read = lambda p: dtypes.cast(checkpoint.read(p.info.key), target)  # noqa: E731
        streamed, mapped, haiku_state = layouts.map_placements(placements, read, modules)
    fields = None
    if optimizer is not None:
        fields = optimizer_state_file.read_for_placements(
            checkpoint, placements, optimizer, haiku_state, modules
        )
    return streamed, mapped, fields


def _stream(
    checkpoint: checkpoint_lib.Checkpoint,
    placements: tuple[names.Placement, ...],
    target: np.dtype | None,
    progress: Progress | None,
) -> collections.abc.Generator[tuple[str, np.ndarray], None, None]:
    """Yields `(file key, array)` in order, reading the next tensor while this one is written.

    Reading (file I/O and crc32c) and writing (file I/O and crc32) both release the GIL, so one
    read-ahead thread overlaps them; at most two tensors are in memory at once.
    """

    def read(placement: names.Placement) -> np.ndarray:
        return dtypes.cast(checkpoint.read(placement.info.key), target)

    total = sum(placement.info.nbytes for placement in placements)
    done = 0
    with concurrent.futures.ThreadPoolExecutor(1, "sonnax-read") as reader:
        upcoming = [reader.submit(read, placement) for placement in placements[:1]]
        for index, placement in enumerate(placements):
            array = upcoming.pop().result()
            upcoming.extend(reader.submit(read, p) for p in placements[index + 1 : index + 2])
            yield placement.file_key, array
            del array  # The writer asks for the next tensor only once it has written this one.
            done += placement.info.nbytes
            if progress is not None:
                progress(done, total)
