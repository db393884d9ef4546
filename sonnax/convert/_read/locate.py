"""From what a user passes (a directory, a prefix, a file of the checkpoint) to a bundle prefix."""

import os
import re

from sonnax.convert import errors
from sonnax.convert._read import proto, saved_model, table

STATE_FILE = "checkpoint"
"""The text file naming the latest checkpoint of a directory, as `tf.train.CheckpointManager`
and `tf.compat.v1.train.Saver` write it."""

_DATA_SUFFIX = re.compile(r"\.data-\d{5,}-of-\d{5,}$")
_EXPECTED = (
    "expected a checkpoint directory (with a `checkpoint` file), a checkpoint prefix such as "
    "`ckpt-1` (with `ckpt-1.index` beside it), or a SavedModel directory"
)


def _latest(directory: str) -> str:
    """Returns the prefix the directory's `checkpoint` file names as the latest."""
    path = os.path.join(directory, STATE_FILE)
    try:
        with open(path, encoding="utf-8") as file:
            text = file.read()
    except (OSError, UnicodeDecodeError) as error:
        raise errors.NotACheckpointError(f"{path}: cannot read it as text: {error}") from None
    state = proto.parse_text(proto.CheckpointState, text, path)
    if not state.model_checkpoint_path:
        raise errors.NotACheckpointError(f"{path}: no `model_checkpoint_path` in it; {_EXPECTED}")
    prefix = os.path.join(directory, state.model_checkpoint_path)
    if not os.path.isfile(f"{prefix}.index"):
        # A directory copied from elsewhere keeps the absolute path of where it was written.
        moved = os.path.join(directory, os.path.basename(state.model_checkpoint_path))
        if not os.path.isfile(f"{moved}.index"):
            missing = (
                f"{prefix}.index does not exist"
                if moved == prefix
                else f"neither {prefix}.index nor {moved}.index exists"
            )
            raise errors.InputNotFoundError(
                f"{path}: names the checkpoint {state.model_checkpoint_path!r}, but {missing}"
            )
        prefix = moved
    return prefix


def _from_directory(directory: str) -> str:
    if saved_model.is_saved_model(directory):
        return saved_model.variables_prefix(directory)
    if os.path.isfile(os.path.join(directory, STATE_FILE)):
        return _latest(directory)
    try:
        listing = os.listdir(directory)
    except OSError as error:
        raise errors.InputNotFoundError(
            f"{directory}: cannot list the directory: {error.strerror or error}"
        ) from None
    if not listing:
        raise errors.InputNotFoundError(f"{directory}: the directory is empty; {_EXPECTED}")
    indexes = sorted(name for name in listing if name.endswith(".index"))
    hint = f" Found {indexes[:3]}: pass one of their prefixes." if indexes else ""
    raise errors.NotACheckpointError(
        f"{directory}: no `checkpoint` file and no saved_model.pb in it; {_EXPECTED}.{hint}"
    )


def _from_file(path: str) -> str:
    try:
        size = os.path.getsize(path)
        with open(path, "rb") as file:
            file.seek(max(size - 8, 0))
            tail = file.read(8)
    except OSError as error:
        raise errors.InputNotFoundError(f"{path}: cannot be opened: {error}") from None
    if size == 0:
        raise errors.InputNotFoundError(f"{path}: the file is empty; {_EXPECTED}")
    if tail == table.MAGIC.to_bytes(8, "little"):
        raise errors.UnsupportedError(
            f"{path}: a table file with no `.index` beside it, i.e. TF1's V1 checkpoint format, "
            "which is not supported; re-save it with `tf.compat.v1.train.Saver()` (V2 format)"
        )
    raise errors.NotACheckpointError(f"{path}: not part of a checkpoint; {_EXPECTED}")


def checkpoint_prefix(path: str | os.PathLike) -> str:
    """Finds the bundle prefix that `path` stands for.

    Args:
        path: A checkpoint directory (its latest checkpoint, from its `checkpoint` file), a
            checkpoint prefix, the prefix's `.index` or a data shard, or a SavedModel directory.

    Returns:
        The prefix; `{prefix}.index` exists.

    Raises:
        InputNotFoundError: Nothing is at `path`, or it is empty.
        NotACheckpointError: Something is there, but not a checkpoint.
        UnsupportedError: A TF1 V1-format checkpoint.
    """
    text = os.fspath(path)
    if not text:
        raise errors.InputNotFoundError(f"the path is empty; {_EXPECTED}")
    if os.path.isdir(text):
        return _from_directory(text)
    if os.path.isfile(f"{text}.index"):
        return text
    stem = text[: -len(".index")] if text.endswith(".index") else _DATA_SUFFIX.sub("", text)
    if stem != text and os.path.isfile(f"{stem}.index"):
        return stem
    if os.path.isfile(text):
        return _from_file(text)
    raise errors.InputNotFoundError(f"{text}: no such file or directory, and no {text}.index")
