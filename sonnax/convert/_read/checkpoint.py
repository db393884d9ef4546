"""The reading API: open a checkpoint, list what it holds, read tensors one at a time."""

import dataclasses
import math
import os
import types

import numpy as np

from sonnax.convert import errors
from sonnax.convert._read import bundle, locate, object_graph, saved_model, tf1_names


@dataclasses.dataclass(frozen=True)
class TensorInfo:
    """One tensor of a checkpoint, as listed without reading its data.

    Attributes:
        key: The key in the bundle (`mlp/_layers/0/w/.ATTRIBUTES/VARIABLE_VALUE`).
        name: The variable's original full name (`mlp/linear_0/w`); for a name-based (TF1)
            checkpoint, or a tensor the object graph gives no name, the key itself.
        object_path: Local names from the root object (`mlp/_layers/0/w`) for object-based
            checkpoints; None for name-based ones.
        kind: `variable`, `slot` (optimizer state: a slot variable, or another variable an
            optimizer owns, such as a Keras optimizer's moments and iteration count),
            `save_counter` or `other`.
        trainable: Whether the variable is trainable, where the input records it: a TF2
            SavedModel does (in `saved_model.pb`), a checkpoint never does (None).
        dtype: The numpy dtype; None when the tensor is not numeric: a string tensor (`read`
            returns an object array of `bytes`) or a TensorFlow-only type such as DT_VARIANT
            (`read` raises `UnsupportedError`).
        shape: The tensor's shape.
        nbytes: The size of the array `read` returns (for non-numeric tensors, the stored size).
    """

    key: str
    name: str
    object_path: str | None
    kind: str
    trainable: bool | None
    dtype: np.dtype | None
    shape: tuple[int, ...]
    nbytes: int


class Checkpoint:
    """An open TensorFlow checkpoint: its index decoded, its tensors read on demand.

    Use `open_checkpoint` to make one, and close it (or use it as a context manager) to release
    its data files.

    Args:
        prefix: A checkpoint prefix; `{prefix}.index` must exist.

    Raises:
        ConvertError: The index, object graph or `saved_model.pb` is malformed, a data shard is
            missing, or a dtype is not a TensorFlow dtype.
    """

    def __init__(self, prefix: str):
        self.path = prefix
        self._bundle = bundle.Bundle(prefix)
        try:
            self._infos = self._describe()
        except BaseException:
            self._bundle.close()
            raise

    def _describe(self) -> dict[str, TensorInfo]:
        keys = [key for key in self._bundle.entries if key != object_graph.KEY]
        trainability: dict[int, tuple[str, bool]] = {}
        if object_graph.KEY in self._bundle.entries:
            where = f"{self._bundle.index_path}, entry {object_graph.KEY!r}"
            graph = self._bundle.read(object_graph.KEY)
            if graph.shape != () or not isinstance(graph.item(), bytes):
                raise errors.CorruptCheckpointError(
                    f"{where}: expected a scalar string, got shape {graph.shape} of {graph.dtype}"
                )
            described = object_graph.parse(graph.item(), where)
            directory = saved_model.directory_of(self.path)
            if directory is not None:
                trainability = saved_model.trainability(directory)
        else:
            described = tf1_names.describe(keys)
        return {key: self._info(key, described.get(key), trainability) for key in keys}

    def _info(
        self,
        key: str,
        described: object_graph.GraphTensor | None,
        trainability: dict[int, tuple[str, bool]],
    ) -> TensorInfo:
        entry = self._bundle.entries[key]
        dtype = self._bundle.dtype(entry)
        nbytes = entry.size if dtype is None else math.prod(entry.shape) * dtype.itemsize
        if described is None:
            described = object_graph.GraphTensor("", object_graph.path_from_key(key), "other")
        # Trusted only where the SavedModel's node names the same variable as the bundle's.
        recorded = trainability.get(described.node_id) if described.node_id is not None else None
        return TensorInfo(
            key=key,
            name=described.full_name or key,
            object_path=described.object_path,
            kind=described.kind,
            trainable=recorded[1] if recorded and recorded[0] == described.full_name else None,
            dtype=dtype,
            shape=entry.shape,
            nbytes=nbytes,
        )

    def entries(self) -> dict[str, TensorInfo]:
        """Lists the checkpoint's tensors, the object graph itself left out.

        Returns:
            A `TensorInfo` per tensor, keyed by its bundle key, in key order.
        """
        return dict(self._infos)

    def read(self, key: str) -> np.ndarray:
        """Reads one tensor into a new array, its crc32c verified.

        Args:
            key: A key of `entries()`.

        Returns:
            The array (an object array of `bytes` for a string tensor), in native byte order.

        Raises:
            KeyError: The checkpoint has no such key.
            ConvertError: The data is missing, truncated or corrupt, or its dtype unsupported.
        """
        if key not in self._bundle.entries:
            raise KeyError(f"{self.path}: no tensor {key!r}; see `entries()` for the keys")
        return self._bundle.read(key)

    def close(self) -> None:
        """Closes the data files opened so far; reading again reopens them."""
        self._bundle.close()

    def __enter__(self) -> "Checkpoint":
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: types.TracebackType | None,
    ) -> None:
        self.close()


def open_checkpoint(path: str | os.PathLike) -> Checkpoint:
    """Opens a TensorFlow checkpoint for reading, without TensorFlow.

    Args:
        path: A checkpoint directory (its latest checkpoint, named in its `checkpoint` file), a
            checkpoint prefix (`ckpt-1` for `ckpt-1.index`), or a SavedModel directory.

    Returns:
        The open `Checkpoint`.

    Raises:
        InputNotFoundError: Nothing is at `path`.
        NotACheckpointError: Something is there, but not a checkpoint.
        CorruptCheckpointError: The index, its blocks or the object graph are malformed.
        UnsupportedError: A format or dtype this reader does not handle.
    """
    return Checkpoint(locate.checkpoint_prefix(path))
