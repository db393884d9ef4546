"""Tests for sonnax/convert/_read/: what it reads from TensorFlow's checkpoints equals what
TensorFlow reads (keys, dtypes, shapes, bytes, names, object paths), without TensorFlow."""

import concurrent.futures
import json
import os
import pathlib
import shutil
import subprocess
import sys
import textwrap
import tracemalloc

import numpy as np
import pytest

from sonnax.convert import errors
from sonnax.convert._read import checkpoint, proto
from tests.convert import bundle_writer, fixtures


def _open(tf_fixtures: pathlib.Path, name: str) -> tuple[fixtures.Oracle, checkpoint.Checkpoint]:
    oracle = fixtures.load(tf_fixtures, name)
    return oracle, checkpoint.open_checkpoint(oracle.path)


def test_messages_match_tensorflow_field_for_field(tf_fixtures):
    tensorflow = json.loads((tf_fixtures / "descriptors.json").read_text())
    ours = {}
    for descriptor in proto.BundleEntryProto.DESCRIPTOR.file.message_types_by_name.values():
        ours.update(fixtures.proto_fields(descriptor))
    assert set(ours) == set(tensorflow)
    # The one deliberate difference: `dtype` is TensorFlow's DataType enum, an int32 here.
    enum, int32 = 14, 5
    assert tensorflow["BundleEntryProto"]["dtype"][1] == enum
    tensorflow["BundleEntryProto"]["dtype"][1] = int32
    for name, fields in ours.items():
        assert fields == tensorflow[name], name


@pytest.mark.parametrize("name", fixtures.NAMES)
def test_keys_dtypes_and_shapes_match_tensorflow(tf_fixtures, name):
    oracle, ckpt = _open(tf_fixtures, name)
    with ckpt:
        entries = ckpt.entries()
    assert set(entries) == set(oracle.tensors) - {fixtures.GRAPH_KEY}
    for key, info in entries.items():
        expected = oracle.tensors[key]
        assert list(info.shape) == expected["shape"], key
        if expected["dtype"] in ("string", "variant"):
            assert info.dtype is None, key
        else:
            assert info.dtype.name == expected["dtype"], key


@pytest.mark.parametrize("name", fixtures.NAMES)
def test_values_match_tensorflow_bit_for_bit(tf_fixtures, name):
    oracle, ckpt = _open(tf_fixtures, name)
    with ckpt:
        for key, info in ckpt.entries().items():
            expected = oracle.value(key)
            if expected is None:
                continue
            array = ckpt.read(key)
            assert array.shape == info.shape
            assert fixtures.as_bytes(array) == expected, key
            if info.dtype is not None:
                assert array.dtype == info.dtype and array.nbytes == info.nbytes
                assert array.dtype.isnative


@pytest.mark.parametrize("name", fixtures.NAMES)
def test_list_variables_matches_tensorflow(tf_fixtures, name):
    oracle, ckpt = _open(tf_fixtures, name)
    with ckpt:
        listed = [[key, list(info.shape)] for key, info in ckpt.entries().items()]
    assert listed == [item for item in oracle.list_variables if item[0] != fixtures.GRAPH_KEY]


@pytest.mark.parametrize("name", ["sonnet", "optimizer", "tf1", "saved_model", "partitioned"])
def test_checkpoint_path_resolves_to_tensorflow_prefix(tf_fixtures, name):
    oracle, ckpt = _open(tf_fixtures, name)
    ckpt.close()
    assert os.path.samefile(f"{ckpt.path}.index", f"{oracle.prefix}.index")


@pytest.mark.parametrize("name", fixtures.OBJECT_BASED)
def test_names_and_slots_match_tensorflow_object_graph(tf_fixtures, name):
    """Slots are TensorFlow's slot variables and the variables its optimizers own; trainability
    is known where TensorFlow records it (a SavedModel's variables, as restored)."""
    oracle, ckpt = _open(tf_fixtures, name)
    roles = fixtures.roles(tf_fixtures, name)
    with ckpt:
        entries = ckpt.entries()
    for key, described in oracle.graph.items():
        if key not in entries:
            continue
        info = entries[key]
        assert info.name == (described["full_name"] or key)
        owned = described["slot"] or info.name in roles["optimizer"]
        assert (info.kind == "slot") == owned, key
        trainable = {**dict.fromkeys(roles["state"], False), **dict.fromkeys(roles["params"], True)}
        expected = trainable.get(info.name) if name == "saved_model" else None
        assert info.trainable is expected, key


def _unescape_path(key: str) -> str:
    """The object path TensorFlow wrote into a key: `..` stands for `.`, `.S` for `/`."""
    escaped = key.split("/.ATTRIBUTES/")[0]
    out, index = [], 0
    while index < len(escaped):
        pair = escaped[index : index + 2]
        if pair in ("..", ".S"):
            out.append("." if pair == ".." else "/")
            index += 2
        else:
            out.append(escaped[index])
            index += 1
    return "".join(out)


@pytest.mark.parametrize("name", fixtures.OBJECT_BASED)
def test_object_paths_are_the_paths_tensorflow_keyed_by(tf_fixtures, name):
    _, ckpt = _open(tf_fixtures, name)
    with ckpt:
        for key, info in ckpt.entries().items():
            assert info.object_path == _unescape_path(key)


def test_sonnet_names_are_the_live_variable_names(tf_fixtures):
    _, ckpt = _open(tf_fixtures, "sonnet")
    with ckpt:
        entries = ckpt.entries().values()
    live = fixtures.sonnet_variable_names(tf_fixtures)
    assert sorted(info.name for info in entries if info.kind == "variable") == live
    paths = {info.name: info.object_path for info in entries}
    assert paths["mlp/linear_1/w"] == "mlp/_layers/1/w"
    assert paths["dotted"] == "escaped/named/a.b/c"
    assert paths["batch_norm/moving_mean/hidden"] == "bn/moving_mean/_hidden"


def test_kinds_of_optimizer_checkpoint(tf_fixtures):
    _, ckpt = _open(tf_fixtures, "optimizer")
    with ckpt:
        entries = ckpt.entries()
        kinds = {info.object_path: info.kind for info in entries.values()}
        assert kinds["save_counter"] == "save_counter"
        assert kinds["model/_layers/0/w/.OPTIMIZER_SLOT/tf1_optimizer/m"] == "slot"
        # An optimizer's other variables are slots too: TF1 Adam's beta powers (its node holds
        # slot variables) and a Sonnet 2 optimizer's (the root's `optimizer`).
        assert kinds["tf1_optimizer/beta1_power"] == "slot"
        assert kinds["optimizer/m/0"] == "slot"
        assert kinds["model/_layers/0/w"] == "variable"
        iterator = entries["iterator/.ATTRIBUTES/ITERATOR_STATE"]
        assert (iterator.kind, iterator.dtype, iterator.object_path) == ("other", None, "iterator")
        with pytest.raises(errors.UnsupportedError, match=r"ITERATOR_STATE'.*DT_VARIANT"):
            ckpt.read(iterator.key)


@pytest.mark.parametrize("name", ["tf1", "partitioned", "dtypes"])
def test_name_based_checkpoints_use_keys_as_names(tf_fixtures, name):
    _, ckpt = _open(tf_fixtures, name)
    with ckpt:
        for key, info in ckpt.entries().items():
            assert (info.name, info.object_path, info.kind) == (key, None, "variable")


def test_opens_index_shard_and_pathlike(tf_fixtures):
    oracle = fixtures.load(tf_fixtures, "tf1")
    for path in (
        f"{oracle.prefix}.index",
        f"{oracle.prefix}.data-00001-of-00003",
        pathlib.Path(oracle.prefix),
    ):
        with checkpoint.open_checkpoint(path) as ckpt:
            assert ckpt.path == oracle.prefix


def test_moved_directory_with_absolute_checkpoint_file(tf_fixtures, tmp_path):
    moved = tmp_path / "moved"
    shutil.copytree(tf_fixtures / "sonnet", moved)
    (moved / "checkpoint").write_text('model_checkpoint_path: "/nowhere/ckpt-1"\n')
    with checkpoint.open_checkpoint(moved) as ckpt:
        assert ckpt.path == str(moved / "ckpt-1")


def test_read_unknown_key(tf_fixtures):
    _, ckpt = _open(tf_fixtures, "tf1")
    with ckpt, pytest.raises(KeyError, match="no tensor 'net/missing'"):
        ckpt.read("net/missing")


def test_reads_from_threads(tf_fixtures):
    oracle, ckpt = _open(tf_fixtures, "dtypes")
    with ckpt, concurrent.futures.ThreadPoolExecutor(4) as pool:
        keys = list(ckpt.entries()) * 8
        for key, array in zip(keys, pool.map(ckpt.read, keys), strict=True):
            assert fixtures.as_bytes(array) == oracle.value(key)


def test_close_then_read_reopens(tf_fixtures):
    oracle, ckpt = _open(tf_fixtures, "tf1")
    ckpt.read("net/w")
    ckpt.close()
    assert fixtures.as_bytes(ckpt.read("net/w")) == oracle.value("net/w")
    ckpt.close()


_NO_TENSORFLOW = """
import importlib.abc, sys

class Block(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in ("tensorflow", "sonnet", "tf_keras", "keras"):
            raise ImportError(f"{name} is blocked in this test")

sys.meta_path.insert(0, Block())
try:
    import tensorflow
except ImportError:
    pass
else:
    raise SystemExit("tensorflow imported despite the block")

from sonnax.convert import UnsupportedError, open_checkpoint
count = 0
for path in sys.argv[1:]:
    with open_checkpoint(path) as ckpt:
        for key in ckpt.entries():
            try:
                ckpt.read(key)
                count += 1
            except UnsupportedError:
                assert key.endswith("ITERATOR_STATE"), key
assert not any(name.split(".")[0] == "tensorflow" for name in sys.modules)
print(count)
"""


def test_reads_every_fixture_where_tensorflow_cannot_be_imported(tf_fixtures):
    paths = [fixtures.load(tf_fixtures, name).path for name in fixtures.NAMES]
    result = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(_NO_TENSORFLOW), *paths],
        capture_output=True,
        text=True,
        cwd=pathlib.Path(__file__).parents[2],
    )
    assert result.returncode == 0, result.stderr
    assert int(result.stdout) > 100


def test_peak_memory_is_one_tensor(tmp_path):
    tensors = {f"t{i}": np.full((1024, 1024), i, np.float32) for i in range(8)}
    prefix = str(tmp_path / "big")
    bundle_writer.write_bundle(
        prefix, tensors, proto.BundleEntryProto, proto.BundleHeaderProto, lambda array: 1
    )
    del tensors
    with checkpoint.open_checkpoint(prefix) as ckpt:
        tracemalloc.start()
        try:
            for key in ckpt.entries():
                array = ckpt.read(key)
                assert array[5, 7] == int(key[1:])
                del array
            _, peak = tracemalloc.get_traced_memory()
        finally:
            tracemalloc.stop()
    # One 4 MiB tensor at a time, read in place: no second copy, nothing checkpoint-sized.
    assert peak < 4 * 2**20 * 1.1
