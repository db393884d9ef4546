"""Tests for sonnax/convert/_write/atomic.py, through `save`: failed writes leave nothing, an
existing output is kept or replaced, and the output's mode is that of an ordinary new file."""

import errno
import os

import numpy as np
import pytest

from sonnax.convert import errors
from sonnax.convert._write import atomic, npz


def test_a_key_given_twice_is_refused_and_leaves_nothing(tmp_path):
    items = [("params/m/w", np.zeros(2)), ("params/m/w", np.ones(2))]
    with pytest.raises(ValueError, match="entry 'params/m/w' given twice; each key must be unique"):
        npz.write_arrays(tmp_path / "p.npz", items)
    assert os.listdir(tmp_path) == []


def test_disk_full_mid_write_leaves_nothing(tmp_path, monkeypatch):
    real_write = npz._write_member
    calls = []

    def write_then_fail(archive, key, array):
        calls.append(key)
        if len(calls) > 1:
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        real_write(archive, key, array)

    monkeypatch.setattr(npz, "_write_member", write_then_fail)
    params = {"m": {"a": np.zeros(10), "b": np.ones(10), "c": np.ones(3)}}
    with pytest.raises(
        errors.OutputError,
        match=r"p\.npz: writing entry 'params/m/b' failed: "
        r"No space left on device \(ENOSPC\)",
    ):
        npz.save(tmp_path / "p.npz", params)
    assert calls == ["params/m/a", "params/m/b"]
    assert os.listdir(tmp_path) == []


def test_a_failure_of_the_input_propagates_unchanged_and_leaves_nothing(tmp_path):
    def items():
        yield "params/m/a", np.zeros(3)
        raise errors.ChecksumError("ckpt.data-00000-of-00001: entry 'm/b': crc32c mismatch")

    with pytest.raises(errors.ChecksumError, match="crc32c mismatch"):
        npz.write_arrays(tmp_path / "p.npz", items())
    assert os.listdir(tmp_path) == []


def test_a_failed_fsync_leaves_nothing(tmp_path, monkeypatch):
    def failing_fsync(handle):
        raise OSError(errno.EIO, os.strerror(errno.EIO))

    monkeypatch.setattr(npz.os, "fsync", failing_fsync)
    with pytest.raises(
        errors.OutputError, match=r"cannot finish it and flush it to disk: .* \(EIO\)"
    ):
        npz.save(tmp_path / "p.npz", {"m": {"w": np.zeros(2)}})
    assert os.listdir(tmp_path) == []


def test_output_directory_that_is_a_file_is_an_output_error(tmp_path):
    (tmp_path / "file").write_text("")
    with pytest.raises(errors.OutputError, match=r"cannot create a temporary file beside it"):
        npz.save(tmp_path / "file" / "p.npz", {"m": {"w": np.zeros(2)}})


def test_missing_output_directory_is_an_output_error(tmp_path):
    with pytest.raises(errors.OutputError, match=r"No such file or directory \(ENOENT\)"):
        npz.save(tmp_path / "missing" / "p.npz", {"m": {"w": np.zeros(2)}})


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes to read-only directories")
def test_read_only_directory_is_an_output_error(tmp_path):
    tmp_path.chmod(0o500)
    try:
        with pytest.raises(errors.OutputError, match=r"Permission denied \(EACCES\)"):
            npz.save(tmp_path / "p.npz", {"m": {"w": np.zeros(2)}})
    finally:
        tmp_path.chmod(0o700)
    assert os.listdir(tmp_path) == []


def test_existing_output_is_kept_without_overwrite(tmp_path):
    (tmp_path / "p.npz").write_bytes(b"precious")
    with pytest.raises(errors.OutputError, match=r"p\.npz: already exists; pass overwrite=True"):
        npz.save(tmp_path / "p.npz", {"m": {"w": np.zeros(2)}})
    assert (tmp_path / "p.npz").read_bytes() == b"precious"
    assert os.listdir(tmp_path) == ["p.npz"]


def test_existing_output_is_replaced_with_overwrite(tmp_path):
    (tmp_path / "p.npz").write_bytes(b"old")
    npz.save(tmp_path / "p.npz", {"m": {"w": np.zeros(2)}}, overwrite=True)
    assert npz.load(tmp_path / "p.npz")[0]["m"]["w"].shape == (2,)


def test_output_that_is_a_directory_is_an_output_error(tmp_path):
    with pytest.raises(errors.OutputError, match="is a directory; expected a file path"):
        npz.save(tmp_path, {"m": {"w": np.zeros(2)}}, overwrite=True)


def _mode(path) -> int:
    return os.stat(path).st_mode & 0o777


@pytest.mark.parametrize("umask", [0o022, 0o027, 0o077, 0o002])
def test_a_new_output_gets_the_mode_the_umask_allows(tmp_path, umask):
    previous = os.umask(umask)
    try:
        npz.save(tmp_path / "p.npz", {"m": {"w": np.zeros(2)}})
    finally:
        os.umask(previous)
    assert _mode(tmp_path / "p.npz") == 0o666 & ~umask


def test_the_umask_is_read_and_restored_where_proc_does_not_show_it(tmp_path, monkeypatch):
    def no_proc(path, *args, **kwargs):
        raise FileNotFoundError(errno.ENOENT, os.strerror(errno.ENOENT), path)

    monkeypatch.setattr(atomic, "open", no_proc, raising=False)
    previous = os.umask(0o026)
    try:
        npz.save(tmp_path / "p.npz", {"m": {"w": np.zeros(2)}})
        assert os.umask(0o026) == 0o026
    finally:
        os.umask(previous)
    assert _mode(tmp_path / "p.npz") == 0o640


@pytest.mark.parametrize("mode", [0o600, 0o640, 0o444])
def test_overwriting_keeps_the_replaced_files_mode(tmp_path, mode):
    (tmp_path / "p.npz").write_bytes(b"old")
    (tmp_path / "p.npz").chmod(mode)
    npz.save(tmp_path / "p.npz", {"m": {"w": np.zeros(2)}}, overwrite=True)
    assert _mode(tmp_path / "p.npz") == mode
    assert npz.load(tmp_path / "p.npz")[0]["m"]["w"].shape == (2,)


def test_a_mode_that_cannot_be_set_is_an_output_error(tmp_path, monkeypatch):
    def refuse(path, mode):
        raise PermissionError(errno.EPERM, os.strerror(errno.EPERM), path)

    monkeypatch.setattr(atomic.os, "chmod", refuse)
    with pytest.raises(
        errors.OutputError, match=r"p\.npz: cannot set its mode to 0o6\d\d: .* \(EPERM\)"
    ):
        npz.save(tmp_path / "p.npz", {"m": {"w": np.zeros(2)}})
    assert os.listdir(tmp_path) == []
