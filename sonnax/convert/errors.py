"""Errors raised by `sonnax.convert`, each carrying the exit code of `python -m sonnax.convert`."""


class ConvertError(Exception):
    """Any other conversion error; the base class of all `sonnax.convert` errors."""

    exit_code: int = 7


class InputNotFoundError(ConvertError):
    """The input, or a file it needs (a data shard), is missing, empty or cannot be read."""

    exit_code = 3


class NotACheckpointError(ConvertError):
    """The input exists but is not a checkpoint, a SavedModel or a params file."""

    exit_code = 3


class CorruptCheckpointError(ConvertError):
    """The input's bytes are malformed: truncated, out of bounds or undecodable."""

    exit_code = 4


class ChecksumError(CorruptCheckpointError):
    """A stored checksum (crc32c of a tensor, crc32 of a params entry) does not match."""

    exit_code = 4


class UnsupportedError(ConvertError):
    """The input is well formed but uses a feature or dtype that is not supported."""

    exit_code = 5


class OutputError(ConvertError):
    """The output cannot be written: it exists, its folder is unwritable, or a write failed."""

    exit_code = 6


class MismatchError(ConvertError):
    """The checkpoint does not fit the model: entries missing, unexpected or of another shape.

    Attributes:
      missing: one line per entry the model has and the checkpoint lacks.
      unexpected: one line per entry the checkpoint has and the model lacks.
      mismatched: one line per entry whose shape or dtype differs, expected and found.
    """

    exit_code = 8

    def __init__(
        self,
        message: str,
        *,
        missing: list[str] | None = None,
        unexpected: list[str] | None = None,
        mismatched: list[str] | None = None,
    ):
        super().__init__(message)
        self.missing = missing or []
        self.unexpected = unexpected or []
        self.mismatched = mismatched or []
