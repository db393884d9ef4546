"""The way back: sonnax params and state written as a TensorFlow checkpoint, without TensorFlow.

TensorFlow 2 restores an object-based checkpoint by structure: from the root, each object's
children are matched by attribute name (`module` -> `_layers` -> `0` -> `w`), and a variable's
name plays no part. That structure lives only in the TF program, so it cannot be derived from
params, whose paths are variable names. Two answers, chosen by `template`:

- With a `template` (the checkpoint the params were converted from, or one written by
  `tf.train.Checkpoint(module=m).write(...)` after building the TF module), its object graph is
  reused verbatim and every variable it holds is refilled from the params, each found where the
  name rule put it (`to_params` and `to_checkpoint` share one placement). What the template holds
  besides (save counter, optimizer slots, unless asked for) is copied from it unchanged.
- Without one, a name-based checkpoint is written, keyed by each variable's full name
  (`mlp/linear_0/w`), as TF1's `Saver` keyed them; `tf.train.Checkpoint.restore` matches those
  names against the module's variables. It fails where two TF variables share a name (eager TF
  does not make names unique), which a template avoids.
"""

import collections.abc
import os
from typing import BinaryIO

import numpy as np
import numpy.typing as npt
from google.protobuf import text_format

from sonnax.convert._mapping import dtypes, names
from sonnax.convert._read import checkpoint as checkpoint_lib
from sonnax.convert._read import object_graph, proto
from sonnax.convert._write import atomic, bundle

Tree = collections.abc.Mapping[str, collections.abc.Mapping[str, npt.ArrayLike]]
Template = str | os.PathLike[str] | checkpoint_lib.Checkpoint
_SAVE_COUNTER = "save_counter"
_STATE_FILE = "checkpoint"
_MAX_LISTED = 20
_WIDENED = {np.dtype(np.int32): np.dtype(np.int64), np.dtype(np.uint32): np.dtype(np.uint64)}


def _flatten(params: Tree, state: Tree | None) -> dict[tuple[str, str], tuple[str, np.ndarray]]:
    """`{(module, name): (collection, array)}` of both trees.

    Variables are matched by place alone: which tree holds one is the name rule's guess from a
    checkpoint (which never records trainability), while compat's `init` knows it.
    """
    flat: dict[tuple[str, str], tuple[str, np.ndarray]] = {}
    for collection, tree in (("params", params), ("state", state or {})):
        for module, bundle_ in tree.items():
            for name, value in bundle_.items():
                if (module, name) in flat:
                    raise ValueError(
                        f"to_checkpoint: params and state both hold [{module!r}][{name!r}]; a TF "
                        "checkpoint has one variable per place, so keep it in one of them"
                    )
                flat[(module, name)] = (collection, np.asarray(value))
    return flat


def _variable_name(module: str, name: str) -> str:
    """The TF variable name the name rule reads as `(module, name)`: `split_name`'s inverse."""
    return name if module == "~" else f"{module.replace('/~/', '/')}/{name}"


def _fit(array: np.ndarray, info: checkpoint_lib.TensorInfo) -> tuple[np.ndarray, str | None]:
    """Casts `array` to the template's dtype where no value changes; else says what differs."""
    place = f"template key {info.key!r} (variable {info.name!r})"
    if array.shape != info.shape:
        return array, f"{place}: expected shape {info.shape}, got {array.shape}"
    assert info.dtype is not None  # Placed tensors are numeric (`Selection.skip_reason`).
    if array.dtype == info.dtype:
        return array, None
    if dtypes.is_floating(array.dtype) and dtypes.is_floating(info.dtype):
        return array.astype(info.dtype), None
    cast = array.astype(info.dtype)
    if array.dtype.kind in "biu" and info.dtype.kind in "biu" and np.array_equal(cast, array):
        return cast, None  # A JAX int32 counter for TF's int64 one, say.
    return array, f"{place}: expected dtype {info.dtype}, got {array.dtype} (values differ if cast)"


def _problems_message(prefix: str, problems: list[str]) -> str:
    listed = "\n  ".join(problems[:_MAX_LISTED])
    more = f"\n  ... and {len(problems) - _MAX_LISTED} more" if len(problems) > _MAX_LISTED else ""
    return (
        f"to_checkpoint({prefix!r}): the params and state do not fit the template "
        f"({len(problems)} problems):\n  {listed}{more}\nConvert with the same options "
        "(include_slots, include_save_counter) and layout the template was converted with, "
        "or pass the template of the TF module these params belong to."
    )


def _from_template(
    flat: dict[tuple[str, str], tuple[str, np.ndarray]],
    template: checkpoint_lib.Checkpoint,
    selection: names.Selection,
    prefix: str,
) -> dict[str, np.ndarray]:
    """Fills the template's tensors from `flat`; raises one error listing every misfit."""
    placed = names.plan(template.entries(), selection)
    tensors, problems, used = {}, [], set()
    for placement in placed.placements:
        info, where = placement.info, (placement.module, placement.name)
        if where not in flat:
            problems.append(
                f"missing {placement.collection}[{placement.module!r}][{placement.name!r}] for "
                f"template key {info.key!r} (shape {info.shape}, {info.dtype})"
            )
            continue
        used.add(where)
        tensors[info.key], problem = _fit(flat[where][1], info)
        problems += [problem] if problem else []
    for module, name in sorted(set(flat) - used):
        collection, array = flat[module, name]
        problems.append(
            f"unexpected {collection}[{module!r}][{name!r}] (shape {array.shape}, {array.dtype}): "
            "the template has no variable placed there"
        )
    if problems:
        raise ValueError(_problems_message(prefix, problems))
    for key in placed.skipped:
        tensors[key] = template.read(key)
    try:
        graph = template.read(object_graph.KEY).item()
    except KeyError:
        return tensors  # A name-based template: restored by name, as written.
    tensors[object_graph.KEY] = np.array(_with_save_counter(graph, tensors), dtype=object)
    return tensors


def _with_save_counter(graph: bytes, tensors: dict[str, np.ndarray]) -> bytes:
    """Adds a save counter to an object graph that lacks one.

    `tf.train.Checkpoint.restore` creates the root's `save_counter` and `assert_consumed` then
    wants a value for it, which a template made by `Checkpoint.write` (not `save`) lacks.
    """
    message = proto.parse(proto.TrackableObjectGraph, graph, f"template {object_graph.KEY}")
    if not message.nodes or any(c.local_name == _SAVE_COUNTER for c in message.nodes[0].children):
        return graph
    message.nodes[0].children.add(node_id=len(message.nodes), local_name=_SAVE_COUNTER)
    key = f"{_SAVE_COUNTER}/.ATTRIBUTES/VARIABLE_VALUE"
    message.nodes.add().attributes.add(
        name="VARIABLE_VALUE", full_name=_SAVE_COUNTER, checkpoint_key=key
    )
    tensors[key] = np.array(1, np.int64)
    return message.SerializeToString()


def _name_based(flat: dict[tuple[str, str], tuple[str, np.ndarray]]) -> dict[str, np.ndarray]:
    """Keys each array by its TF variable name, 32-bit integers widened to 64 bits."""
    tensors: dict[str, np.ndarray] = {}
    for (module, name), (collection, array) in flat.items():
        key = _variable_name(module, name)
        if key in tensors or key == object_graph.KEY:
            raise ValueError(
                f"to_checkpoint: {collection}[{module!r}][{name!r}] names the TF variable "
                f"{key!r}, as another entry does (or the object graph's key); pass a template "
                "to write them apart"
            )
        # Sonnet and TF make integer variables (counters, steps) int64, which JAX without x64
        # holds as int32; other widths were chosen, and are kept.
        tensors[key] = array.astype(_WIDENED[array.dtype]) if array.dtype in _WIDENED else array
    return tensors


def _write_state_file(prefix: str) -> None:
    """Points the directory's `checkpoint` file at `prefix`, as `tf.train.Checkpoint.save` does."""
    state = proto.CheckpointState()
    state.model_checkpoint_path = os.path.basename(prefix)
    state.all_model_checkpoint_paths.append(state.model_checkpoint_path)
    text = text_format.MessageToString(state)

    def write(file: BinaryIO) -> None:
        file.write(text.encode())
        file.flush()
        os.fsync(file.fileno())

    atomic.write_file(os.path.join(os.path.dirname(prefix), _STATE_FILE), write, overwrite=True)


def to_checkpoint(
    params: Tree,
    state: Tree | None,
    prefix: str | os.PathLike[str],
    *,
    template: Template | None = None,
    include_slots: bool = False,
    include_save_counter: bool = False,
    overwrite: bool = False,
    update_state_file: bool = True,
) -> str:
    """Writes params and state as a TensorFlow checkpoint that TF Sonnet restores.

    With a `template`, its object graph is reused and its variables are refilled from the
    params, placed by the name rule exactly as `to_params` placed them; without one, the
    checkpoint is name-based (see the module docstring), its 32-bit integers written as 64-bit
    ones (TF's dtype for Sonnet's counters, which JAX without x64 holds as int32). Either way
    `tf.train.Checkpoint(module=m).restore(prefix).assert_consumed()` restores it into the
    TF module (for a template, the module its checkpoint was written from, under the same
    attribute names). Floating-point arrays are cast to the template's dtypes, integers too
    where no value changes.

    Args:
        params: `{module path: {name: array}}` in the `sonnax.compat` layout.
        state: The same structure for state (`None` for none).
        prefix: The checkpoint prefix, e.g. `out/ckpt-1`; its directory is made if missing.
        template: A checkpoint (a path `open_checkpoint` accepts, or an open `Checkpoint`)
            whose structure the output takes. A SavedModel directory works too; its root is
            the saved module, so the output restores with `tf.train.Checkpoint(m)`.
        include_slots: The params or state hold the template's optimizer state, as
            `to_params(..., include_slots=True)` gives it; otherwise it is copied from the
            template.
        include_save_counter: Likewise for the save counter.
        overwrite: Replace an existing checkpoint at `prefix`.
        update_state_file: Point the directory's `checkpoint` file at the output, so that
            `tf.train.latest_checkpoint(directory)` finds it.

    Returns:
        The prefix written.

    Raises:
        ValueError: An array is missing, unexpected, or of the wrong shape or dtype for the
            template (all are listed), or two arrays name one TF variable.
        OutputError: A file exists (without `overwrite`) or cannot be written; nothing is left.
        ConvertError: The template cannot be read.

    >>> import os, tempfile, numpy as np
    >>> prefix = os.path.join(tempfile.mkdtemp(), "ckpt-1")
    >>> params = {"linear": {"w": np.ones((2, 3), np.float32), "b": np.zeros(3, np.float32)}}
    >>> to_checkpoint(params, None, prefix) == prefix
    True
    >>> sorted(checkpoint_lib.open_checkpoint(prefix).entries())
    ['linear/b', 'linear/w']
    """
    prefix = os.fspath(prefix)
    flat = _flatten(params, state)
    if template is None:
        tensors = _name_based(flat)
    else:
        selection = names.Selection(
            include_slots=include_slots, include_save_counter=include_save_counter
        )
        opened = (
            template
            if isinstance(template, checkpoint_lib.Checkpoint)
            else checkpoint_lib.open_checkpoint(template)
        )
        try:
            tensors = _from_template(flat, opened, selection, prefix)
        finally:
            if opened is not template:
                opened.close()
    directory = os.path.dirname(prefix)
    if directory:
        try:
            os.makedirs(directory, exist_ok=True)
        except OSError as error:
            raise atomic.output_error(directory, "cannot create the directory", error) from error
    bundle.write(prefix, tensors, overwrite=overwrite)
    if update_state_file:
        _write_state_file(prefix)
    return prefix
