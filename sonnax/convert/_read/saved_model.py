"""SavedModel directories: their variables are a tensor bundle at `variables/variables`.

A TF2 SavedModel's bundle carries its own `_CHECKPOINTABLE_OBJECT_GRAPH` (paths from the saved
root object), so `saved_model.pb` itself need not be decoded; a TF1 SavedModel's bundle is
name-based, like a `Saver` checkpoint.
"""

import os

from sonnax.convert import errors

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
