"""Fuzzing sonnax/convert/_read/: mutated indexes, blocks, entries and object graphs end in
success or a `ConvertError`, never another exception, a hang or a large allocation.

CI runs a few hundred examples per target; `SONNAX_FUZZ_EXAMPLES=20000` runs a long session.
Add `--hypothesis-show-statistics` to see how the outcomes split.
"""

import contextlib
import os
import pathlib
import shutil
import signal
import tempfile
import tracemalloc

import numpy as np
import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from sonnax.convert import errors
from sonnax.convert._read import checkpoint, object_graph, proto, slices
from tests.convert import bundle_writer

EXAMPLES = int(os.environ.get("SONNAX_FUZZ_EXAMPLES", "200"))
FUZZ = settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
_SECONDS_PER_EXAMPLE = 10
_MAX_ALLOCATION = 32 * 2**20  # The inputs are a few KB; anything near this is a bug.
_ENUMS = {"float32": 1, "int64": 9, "bfloat16": 14, "bool": 10, "object": 7}


def _graph() -> bytes:
    """An object graph like TensorFlow's: root -> model -> w, b; optimizer with a slot for w."""
    graph = proto.TrackableObjectGraph()
    root = graph.nodes.add()
    root.children.add(node_id=1, local_name="model")
    root.children.add(node_id=4, local_name="optimizer")
    root.children.add(node_id=5, local_name="save_counter")
    model = graph.nodes.add()
    model.children.add(node_id=2, local_name="w")
    model.children.add(node_id=3, local_name="b.x/y")
    for key in ("model/w", "model/b..x.Sy"):
        graph.nodes.add().attributes.add(
            name="VARIABLE_VALUE", full_name=key, checkpoint_key=f"{key}/.ATTRIBUTES/VARIABLE_VALUE"
        )
    graph.nodes.add().slot_variables.add(
        original_variable_node_id=2, slot_name="m", slot_variable_node_id=6
    )
    graph.nodes.add().attributes.add(
        name="VARIABLE_VALUE", checkpoint_key="save_counter/.ATTRIBUTES/VARIABLE_VALUE"
    )
    graph.nodes.add().attributes.add(
        name="VARIABLE_VALUE",
        checkpoint_key="model/w/.OPTIMIZER_SLOT/optimizer/m/.ATTRIBUTES/VARIABLE_VALUE",
    )
    return graph.SerializeToString()


GRAPH = _graph()
TENSORS = {
    "model/w/.ATTRIBUTES/VARIABLE_VALUE": np.arange(12, dtype=np.float32).reshape(3, 4),
    "model/b..x.Sy/.ATTRIBUTES/VARIABLE_VALUE": np.array([1, 2], np.int64),
    "model/w/.OPTIMIZER_SLOT/optimizer/m/.ATTRIBUTES/VARIABLE_VALUE": np.ones((3, 4), np.float32),
    "save_counter/.ATTRIBUTES/VARIABLE_VALUE": np.array(1, np.int64),
    "flags": np.array([True, False]),
    "strings": np.array([b"a", b"", b"xyz"], object),
    object_graph.KEY: np.array(GRAPH, object),
}


def _base_rows() -> tuple[list[tuple[bytes, bytes]], bytes]:
    """A valid bundle's rows and data, plus a variable `sliced` saved in two slices."""
    rows, data = bundle_writer.bundle_rows(
        TENSORS, proto.BundleEntryProto, proto.BundleHeaderProto, lambda a: _ENUMS[a.dtype.name]
    )
    full = proto.BundleEntryProto(dtype=1)
    full.shape.dim.add(size=4)
    for start in (0, 2):
        full.slices.add().extent.add(start=start, length=2)
        raw, crc = bundle_writer.encode_tensor(np.full(2, start, np.float32), False)
        part = proto.BundleEntryProto(dtype=1, offset=len(data), size=len(raw), crc32c=crc)
        part.shape.dim.add(size=2)
        rows.append((slices.slice_key("sliced", ((start, 2),)), part.SerializeToString()))
        data += raw
    rows.append((b"sliced", full.SerializeToString()))
    return sorted(rows), data


BASE_ROWS, BASE_DATA = _base_rows()


@contextlib.contextmanager
def _time_limit(seconds: int):
    def interrupt(signum, frame):
        raise TimeoutError(f"an example ran longer than {seconds} s")

    previous = signal.signal(signal.SIGALRM, interrupt)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def _read_everything(prefix: str) -> None:
    """Opens and reads every tensor; records the outcome; lets only non-`ConvertError`s out."""
    tracemalloc.start()
    try:
        with _time_limit(_SECONDS_PER_EXAMPLE):
            try:
                with checkpoint.open_checkpoint(prefix) as ckpt:
                    for key in ckpt.entries():
                        try:
                            ckpt.read(key)
                        except errors.ConvertError as error:
                            event(f"read: {type(error).__name__}")
                event("opened")
            except errors.ConvertError as error:
                event(f"open: {type(error).__name__}")
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < _MAX_ALLOCATION, f"peak allocation {peak} bytes"


@pytest.fixture(scope="module")
def workdir():
    with tempfile.TemporaryDirectory() as directory:
        yield pathlib.Path(directory)


def _mutate(data: bytes, operations: list[tuple[str, int, bytes]]) -> bytes:
    result = bytearray(data)
    for kind, position, payload in operations:
        at = position % (len(result) + 1)
        if kind == "flip" and result:
            result[at % len(result)] ^= payload[0] or 1
        elif kind == "overwrite":
            result[at : at + len(payload)] = payload
        elif kind == "insert":
            result[at:at] = payload
        elif kind == "delete":
            del result[at : at + len(payload)]
        elif kind == "truncate":
            del result[at:]
    return bytes(result)


OPERATIONS = st.lists(
    st.tuples(
        st.sampled_from(["flip", "overwrite", "insert", "delete", "truncate"]),
        st.integers(0, 2**16),
        st.binary(min_size=1, max_size=12),
    ),
    min_size=1,
    max_size=5,
)


def _write(workdir: pathlib.Path, rows, data: bytes, **options) -> str:
    prefix = str(workdir / "ckpt")
    bundle_writer.write_files(prefix, rows, [data], **options)
    return prefix


@FUZZ
@given(operations=OPERATIONS, snappy=st.booleans())
def test_mutated_index_bytes(workdir, operations, snappy):
    prefix = _write(workdir, BASE_ROWS, BASE_DATA, snappy=snappy, block_size=64)
    index = pathlib.Path(f"{prefix}.index")
    index.write_bytes(_mutate(index.read_bytes(), operations))
    _read_everything(prefix)


@FUZZ
@given(operations=OPERATIONS, block=st.integers(0, 20), snappy=st.booleans())
def test_mutated_blocks_behind_valid_checksums(workdir, operations, block, snappy):
    def mutate(number: int, contents: bytes) -> bytes:
        return _mutate(contents, operations) if number == block else contents

    _read_everything(
        _write(workdir, BASE_ROWS, BASE_DATA, snappy=snappy, block_size=64, mutate=mutate)
    )


_NUMBERS = st.one_of(
    st.sampled_from([0, 1, 2, 3, 4, 12, 48, 2**31 - 1, 2**32, 2**62, 2**63 - 1, -1, -(2**63)]),
    st.integers(-(2**63), 2**63 - 1),
)


@st.composite
def _entry_changes(draw) -> dict:
    fields = draw(
        st.dictionaries(
            st.sampled_from(["dtype", "shard_id", "offset", "size", "crc32c"]),
            _NUMBERS,
            max_size=3,
        )
    )
    if "dtype" in fields:
        fields["dtype"] = draw(st.one_of(st.integers(-3, 140), st.sampled_from([2**31 - 1])))
    if "crc32c" in fields:
        fields["crc32c"] = draw(st.integers(0, 2**32 - 1))
    for name in ("shard_id",):
        if name in fields:
            fields[name] = max(min(fields[name], 2**31 - 1), -(2**31))
    if draw(st.booleans()):
        fields["shape"] = draw(st.lists(_NUMBERS, max_size=4))
    if draw(st.booleans()):
        fields["slices"] = draw(
            st.lists(st.lists(st.tuples(_NUMBERS, st.none() | _NUMBERS), max_size=3), max_size=3)
        )
    return fields


def _apply(value: bytes, changes: dict) -> bytes:
    entry = proto.BundleEntryProto()
    entry.ParseFromString(value)
    for name, change in changes.items():
        if name == "shape":
            del entry.shape.dim[:]
            for size in change:
                entry.shape.dim.add(size=size)
        elif name == "slices":
            del entry.slices[:]
            for extents in change:
                message = entry.slices.add()
                for start, length in extents:
                    extent = message.extent.add(start=start)
                    if length is not None:
                        extent.length = length
        else:
            setattr(entry, name, change)
    return entry.SerializeToString()


@FUZZ
@given(
    changes=st.dictionaries(st.integers(1, len(BASE_ROWS) - 1), _entry_changes(), max_size=3),
    header=st.none()
    | st.fixed_dictionaries({"num_shards": st.integers(-2, 3), "endianness": st.integers(-1, 3)}),
    truncate=st.none() | st.integers(0, len(BASE_DATA)),
)
def test_mutated_entries(workdir, changes, header, truncate):
    rows = list(BASE_ROWS)
    if header is not None:
        rows[0] = (b"", proto.BundleHeaderProto(**header).SerializeToString())
    for row, fields in changes.items():
        rows[row] = (rows[row][0], _apply(rows[row][1], fields))
    data = BASE_DATA if truncate is None else BASE_DATA[:truncate]
    _read_everything(_write(workdir, rows, data))


def _parse_graph(data: bytes) -> None:
    with _time_limit(_SECONDS_PER_EXAMPLE):
        try:
            described = object_graph.parse(data, "graph")
            event(f"parsed {len(described)} tensors")
        except errors.ConvertError as error:
            event(type(error).__name__)


@FUZZ
@given(operations=OPERATIONS)
def test_mutated_object_graph_bytes(operations):
    _parse_graph(_mutate(GRAPH, operations))


_IDS = st.integers(-2, 8)
_NAMES = st.text(max_size=4)


@FUZZ
@given(
    nodes=st.lists(
        st.fixed_dictionaries(
            {
                "children": st.lists(
                    st.fixed_dictionaries({"node_id": _IDS, "local_name": _NAMES}), max_size=3
                ),
                "attributes": st.lists(
                    st.fixed_dictionaries(
                        {"name": _NAMES, "full_name": _NAMES, "checkpoint_key": _NAMES}
                    ),
                    max_size=2,
                ),
                "slot_variables": st.lists(
                    st.fixed_dictionaries(
                        {
                            "original_variable_node_id": _IDS,
                            "slot_name": _NAMES,
                            "slot_variable_node_id": _IDS,
                        }
                    ),
                    max_size=2,
                ),
            }
        ),
        max_size=7,
    )
)
def test_random_object_graphs(nodes):
    graph = proto.TrackableObjectGraph()
    for node in nodes:
        graph.nodes.add(**node)
    _parse_graph(graph.SerializeToString())


@FUZZ
@given(operations=OPERATIONS)
def test_mutated_tensorflow_index(tf_fixtures, workdir, operations):
    source = tf_fixtures / "sonnet"
    for name in ("ckpt-2.index", "ckpt-2.data-00000-of-00001"):
        if not (workdir / name).exists():
            shutil.copy(source / name, workdir / name)
    index = (source / "ckpt-2.index").read_bytes()
    (workdir / "mutated.index").write_bytes(_mutate(index, operations))
    (workdir / "mutated.data-00000-of-00001").unlink(missing_ok=True)
    os.link(workdir / "ckpt-2.data-00000-of-00001", workdir / "mutated.data-00000-of-00001")
    _read_everything(str(workdir / "mutated"))
