"""Tests for sonnax/convert/_read/saved_model.py: finding a SavedModel's variables and reading
which are trainable from its `saved_model.pb`, with `tf.saved_model.load` as the oracle."""

import json
import pathlib
import shutil

import pytest

from sonnax.convert import errors
from sonnax.convert._read import checkpoint, proto, saved_model
from tests.convert import fixtures


def _trainable(path) -> dict[str, bool | None]:
    with checkpoint.open_checkpoint(path) as ckpt:
        return {info.name: info.trainable for info in ckpt.entries().values()}


def _copy(tf_fixtures: pathlib.Path, tmp_path: pathlib.Path) -> pathlib.Path:
    return shutil.copytree(tf_fixtures / "saved_model", tmp_path / "saved_model")


def test_declared_fields_are_tensorflows(tf_fixtures):
    """Only a few fields of these messages are declared; each is as TensorFlow declares it."""
    tensorflow = json.loads((tf_fixtures / "saved_model_descriptors.json").read_text())
    file = proto.SavedModel.DESCRIPTOR.file
    for descriptor in file.message_types_by_name.values():
        for name, fields in fixtures.proto_fields(descriptor).items():
            for field, spec in fields.items():
                # [number, type, repeated, message type]; TF puts `variable` in a oneof.
                assert spec[:4] == tensorflow[name][field][:4], f"{name}.{field}"


def test_trainability_is_what_tensorflow_restores(tf_fixtures):
    roles = fixtures.roles(tf_fixtures, "saved_model")
    expected = {**dict.fromkeys(roles["params"], True), **dict.fromkeys(roles["state"], False)}
    found = _trainable(fixtures.load(tf_fixtures, "saved_model").path)
    assert {name: found[name] for name in expected} == expected
    assert found["step"] is False
    prefix = tf_fixtures / "saved_model" / "variables" / "variables"
    assert _trainable(prefix) == found  # The prefix of a SavedModel's variables is one too.


def test_checkpoints_do_not_record_trainability(tf_fixtures):
    assert set(_trainable(tf_fixtures / "sonnet").values()) == {None}


def test_a_text_saved_model_leaves_trainability_unknown(tf_fixtures, tmp_path):
    folder = _copy(tf_fixtures, tmp_path)
    (folder / "saved_model.pb").rename(folder / "saved_model.pbtxt")
    assert set(_trainable(folder).values()) == {None}


def test_names_that_disagree_leave_trainability_unknown(tf_fixtures, tmp_path):
    folder = _copy(tf_fixtures, tmp_path)
    pb = folder / "saved_model.pb"
    message = proto.parse(proto.SavedModel, pb.read_bytes(), str(pb))
    for node in message.meta_graphs[0].object_graph_def.nodes:
        if node.HasField("variable"):
            node.variable.name += "_renamed"
    pb.write_bytes(message.SerializeToString())
    assert set(_trainable(folder).values()) == {None}


def test_a_corrupt_saved_model_pb(tf_fixtures, tmp_path):
    folder = _copy(tf_fixtures, tmp_path)
    (folder / "saved_model.pb").write_bytes(b"\x12\x05\x3a")
    with pytest.raises(
        errors.CorruptCheckpointError, match=r"saved_model\.pb: expected a serialized SavedModel"
    ):
        checkpoint.open_checkpoint(folder)


def test_an_unreadable_saved_model_pb(tf_fixtures, tmp_path, monkeypatch):
    folder = _copy(tf_fixtures, tmp_path)

    def fail(path, *args, **kwargs):
        raise PermissionError(13, "Permission denied", path)

    monkeypatch.setattr(saved_model, "open", fail, raising=False)
    with pytest.raises(
        errors.InputNotFoundError, match=r"saved_model\.pb: cannot read it: Permission denied"
    ):
        checkpoint.open_checkpoint(folder)


def test_directory_of(tmp_path):
    (tmp_path / "variables").mkdir()
    prefix = str(tmp_path / "variables" / "variables")
    assert saved_model.directory_of(prefix) is None
    (tmp_path / "saved_model.pb").write_bytes(b"")
    assert saved_model.directory_of(prefix) == str(tmp_path)
    assert saved_model.directory_of(str(tmp_path / "variables" / "ckpt")) is None
