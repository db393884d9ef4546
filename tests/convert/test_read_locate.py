"""Tests for sonnax/convert/_read/locate.py and saved_model.py: paths that are not checkpoints."""

import os

import pytest

from sonnax.convert import errors
from sonnax.convert._read import checkpoint
from tests.convert import bundle_writer, small_bundle


def test_missing_and_empty_paths(tmp_path):
    with pytest.raises(errors.InputNotFoundError, match=r"nothing: no such file or directory"):
        checkpoint.open_checkpoint(tmp_path / "nothing")
    with pytest.raises(errors.InputNotFoundError, match="the path is empty"):
        checkpoint.open_checkpoint("")
    with pytest.raises(errors.InputNotFoundError, match="the directory is empty"):
        checkpoint.open_checkpoint(tmp_path)
    (tmp_path / "empty").write_bytes(b"")
    with pytest.raises(errors.InputNotFoundError, match="empty: the file is empty"):
        checkpoint.open_checkpoint(tmp_path / "empty")


def test_unreadable_file(tmp_path, monkeypatch):
    (tmp_path / "file").write_bytes(b"x")

    def fail(path):
        raise PermissionError(13, "Permission denied", path)

    monkeypatch.setattr(os.path, "getsize", fail)
    with pytest.raises(errors.InputNotFoundError, match="file: cannot be opened"):
        checkpoint.open_checkpoint(tmp_path / "file")


def test_unlistable_directory(tmp_path, monkeypatch):
    def fail(path):
        raise PermissionError(13, "Permission denied", path)

    monkeypatch.setattr(os, "listdir", fail)
    with pytest.raises(
        errors.InputNotFoundError, match=r"cannot list the directory: Permission denied"
    ):
        checkpoint.open_checkpoint(tmp_path)


def test_not_a_checkpoint(tmp_path):
    (tmp_path / "notes.txt").write_text("hello")
    with pytest.raises(errors.NotACheckpointError, match="notes.txt: not part of a checkpoint"):
        checkpoint.open_checkpoint(tmp_path / "notes.txt")
    with pytest.raises(errors.NotACheckpointError, match=r"no `checkpoint` file .*\.$"):
        checkpoint.open_checkpoint(tmp_path)
    small_bundle.write(tmp_path)
    with pytest.raises(errors.NotACheckpointError, match=r"Found \['ckpt.index'\]"):
        checkpoint.open_checkpoint(tmp_path)


def test_v1_checkpoint_format(tmp_path):
    (tmp_path / "model.ckpt").write_bytes(bundle_writer.table([(b"k", b"v")]))
    with pytest.raises(errors.UnsupportedError, match="V1 checkpoint format"):
        checkpoint.open_checkpoint(tmp_path / "model.ckpt")


@pytest.mark.parametrize(
    "text, error, match",
    [
        (b"\xff\xfe", errors.NotACheckpointError, "cannot read it as text"),
        (b"model_checkpoint_path: 3", errors.NotACheckpointError, "does not parse"),
        (b"all_model_checkpoint_paths: 'a'", errors.NotACheckpointError, "no `model_checkp"),
        (
            b"model_checkpoint_path: 'ckpt-9'",
            errors.InputNotFoundError,
            r"names the checkpoint 'ckpt-9', but .*ckpt-9\.index does not exist$",
        ),
        (
            b"model_checkpoint_path: 'sub/ckpt-9'",
            errors.InputNotFoundError,
            r"but neither .*sub/ckpt-9\.index nor .*/ckpt-9\.index exists$",
        ),
    ],
    ids=["binary", "syntax", "no_path", "missing", "missing_moved"],
)
def test_bad_checkpoint_state_file(tmp_path, text, error, match):
    (tmp_path / "checkpoint").write_bytes(text)
    with pytest.raises(error, match=match):
        checkpoint.open_checkpoint(tmp_path)


def test_checkpoint_state_file_relative_path(tmp_path):
    small_bundle.write(tmp_path)
    (tmp_path / "checkpoint").write_text('model_checkpoint_path: "ckpt"\n')
    with checkpoint.open_checkpoint(tmp_path) as ckpt:
        assert ckpt.path == str(tmp_path / "ckpt")


def test_saved_model_without_variables(tmp_path):
    (tmp_path / "saved_model.pb").write_bytes(b"")
    with pytest.raises(errors.NotACheckpointError, match="a SavedModel without"):
        checkpoint.open_checkpoint(tmp_path)
