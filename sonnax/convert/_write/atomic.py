"""Writing a file atomically: a temporary file beside the target, synced, then renamed over it."""

import collections.abc
import contextlib
import errno
import os
import stat
import tempfile
import threading
from typing import BinaryIO

from sonnax.convert import errors

_UMASK_LOCK = threading.Lock()


def write_file(
    path: str, write: collections.abc.Callable[[BinaryIO], None], *, overwrite: bool
) -> None:
    """Calls `write` on a temporary file beside `path`, then renames it over `path`.

    `write` must flush and fsync what it wrote. On any failure, including one raised by `write`,
    the temporary file is removed and `path` is untouched. The file gets the mode of the file it
    replaces, or else the mode `open` would give a new one (0o666 less the umask).

    Args:
      path: the file to write.
      write: writes the contents into the binary file it is given.
      overwrite: replace an existing file instead of raising `OutputError`.

    Raises:
      OutputError: `path` exists (without `overwrite`), is a directory, or cannot be written.
    """
    check_target(path, overwrite)
    mode = _file_mode(path)
    directory = os.path.dirname(os.path.abspath(path))
    try:
        handle, temp_path = tempfile.mkstemp(
            dir=directory, prefix=f".{os.path.basename(path)}.", suffix=".tmp"
        )
    except OSError as error:
        raise output_error(path, "cannot create a temporary file beside it", error) from error
    try:
        with os.fdopen(handle, "wb", buffering=0) as file:
            try:
                os.chmod(temp_path, mode)  # mkstemp makes it 0o600.
            except OSError as error:
                raise output_error(path, f"cannot set its mode to {mode:#o}", error) from error
            write(file)
        check_target(path, overwrite)
        os.replace(temp_path, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(temp_path)
        raise
    _fsync_directory(directory)


def check_target(path: str, overwrite: bool) -> None:
    """Raises `OutputError` if `path` is a directory, or exists and `overwrite` is false."""
    if os.path.isdir(path):
        raise errors.OutputError(f"{path}: is a directory; expected a file path ending in .npz")
    if not overwrite and os.path.lexists(path):
        raise errors.OutputError(f"{path}: already exists; pass overwrite=True (--force)")


def output_error(path: str, what: str, error: OSError) -> errors.OutputError:
    """An `OutputError` naming the file, what failed, and the OS error with its errno name."""
    reason = error.strerror or str(error)
    code = errno.errorcode.get(error.errno or 0, "")
    return errors.OutputError(f"{path}: {what}: {reason}{f' ({code})' if code else ''}")


def _file_mode(path: str) -> int:
    """The output's mode: that of the file it replaces, else what `open` would give."""
    try:
        return stat.S_IMODE(os.stat(path).st_mode)
    except OSError:
        return 0o666 & ~_umask()


def _umask() -> int:
    """Returns the process umask, which `os.umask` can only read by setting it.

    Linux shows it in `/proc/self/status`; elsewhere it is set to 0o077 (the safe side, should
    another thread create a file meanwhile) and restored at once, under a lock.
    """
    with contextlib.suppress(OSError, ValueError, IndexError):
        with open("/proc/self/status", "rb") as status:
            for line in status:
                if line.startswith(b"Umask:"):
                    return int(line.split()[1], 8)
    with _UMASK_LOCK:
        mask = os.umask(0o077)
        os.umask(mask)
    return mask


def _fsync_directory(directory: str) -> None:
    """Makes the rename durable; some filesystems cannot fsync a directory, which is harmless."""
    try:
        handle = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(handle)
    except OSError:
        pass
    finally:
        os.close(handle)
