"""Tests for sonnax/convert/_read/object_graph.py on malformed object graphs."""

import pytest

from sonnax.convert import errors
from sonnax.convert._read import checkpoint, object_graph, proto
from tests.convert import small_bundle


def _graph(**node_fields) -> bytes:
    graph = proto.TrackableObjectGraph()
    graph.nodes.add(**node_fields)
    return graph.SerializeToString()


def test_object_graph_errors():
    with pytest.raises(errors.CorruptCheckpointError, match="g: expected a serialized Trackable"):
        object_graph.parse(b"\x0a\x05\x0a", "g")
    bad_child = _graph(children=[{"node_id": 7, "local_name": "x"}])
    with pytest.raises(errors.CorruptCheckpointError, match=r"child 'x': node id 7 is out of"):
        object_graph.parse(bad_child, "g")
    graph = proto.TrackableObjectGraph()
    graph.nodes.add(slot_variables=[{"original_variable_node_id": 1, "slot_name": "m"}])
    graph.nodes.add()
    with pytest.raises(errors.CorruptCheckpointError, match="not reachable from the root"):
        object_graph.parse(graph.SerializeToString(), "g")
    assert object_graph.parse(b"", "g") == {}


def test_object_graph_entry_not_a_scalar_string(tmp_path):
    rows, data = small_bundle.layout()
    entry = proto.parse(proto.BundleEntryProto, rows[1][1], "")
    rows.insert(1, (object_graph.KEY.encode(), entry.SerializeToString()))
    with pytest.raises(errors.CorruptCheckpointError, match="expected a scalar string"):
        checkpoint.open_checkpoint(small_bundle.write(tmp_path, rows=rows, shards=[data]))
