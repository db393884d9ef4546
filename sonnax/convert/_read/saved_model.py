"""SavedModel directories: their variables are a tensor bundle at `variables/variables`.

A TF2 SavedModel's bundle carries its own `_CHECKPOINTABLE_OBJECT_GRAPH` (paths from the saved
root object), so the variables are read like a checkpoint's; a TF1 SavedModel's bundle is
name-based, like a `Saver` checkpoint. `saved_model.pb` is decoded only for what a checkpoint does
not record: whether each variable is trainable.
"""

import os

from sonnax.convert import errors
from sonnax.convert._read import proto

_MARKERS = ("saved_model.pb", "saved_model.pbtxt")
_VARIABLES = os.path.join("variables", "variables")


def is_saved_model(directory: str) -> bool:
    """Returns whether `directory` holds a `saved_model.pb` (or `.pbtxt`).

    Args:
        directory: An existing directory.

    Returns:
        True for a SavedModel directory.
    """
    return any(os.path.isfile(os.path.join(directory, name)) for name in _MARKERS)


def variables_prefix(directory: str) -> str:
    """Returns the checkpoint prefix of a SavedModel's variables.

    Args:
        directory: A SavedModel directory.

    Returns:
        `<directory>/variables/variables`.

    Raises:
        NotACheckpointError: The SavedModel has no variables bundle.
    """
    prefix = os.path.join(directory, _VARIABLES)
    if not os.path.isfile(f"{prefix}.index"):
        raise errors.NotACheckpointError(
            f"{directory}: a SavedModel without {_VARIABLES}.index; it saved no variables, "
            "so there is nothing to convert"
        )
    return prefix


def directory_of(prefix: str) -> str | None:
    """Returns the SavedModel directory whose variables `prefix` is, or None.

    >>> directory_of("/no/such/model/variables/variables") is None
    True
    """
    directory = os.path.dirname(os.path.dirname(prefix))
    if os.path.normpath(prefix) != os.path.normpath(os.path.join(directory, _VARIABLES)):
        return None
    return directory if is_saved_model(directory) else None


def trainability(directory: str) -> dict[int, tuple[str, bool]]:
    """Reads each variable's name and trainability from `saved_model.pb`.

    The ids are those of the SavedModel's object graph, which TensorFlow also gives the same
    objects in the variables bundle's object graph.

    Args:
        directory: A SavedModel directory.

    Returns:
        `{node id: (variable name, trainable)}`; empty if there is only a `saved_model.pbtxt`
        or no TF2 object graph.

    Raises:
        InputNotFoundError: `saved_model.pb` cannot be read.
        CorruptCheckpointError: It does not decode.
    """
    path = os.path.join(directory, _MARKERS[0])
    if not os.path.isfile(path):
        return {}
    try:
        with open(path, "rb") as file:
            data = file.read()
    except OSError as error:
        raise errors.InputNotFoundError(
            f"{path}: cannot read it: {error.strerror or error}"
        ) from None
    saved_model = proto.parse(proto.SavedModel, data, path)
    for meta_graph in saved_model.meta_graphs:
        nodes = meta_graph.object_graph_def.nodes
        if nodes:
            return {
                node_id: (node.variable.name, node.variable.trainable)
                for node_id, node in enumerate(nodes)
                if node.HasField("variable")
            }
    return {}
