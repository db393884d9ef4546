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


def _kinds(children: dict, variables: dict, slots: dict | None = None) -> dict[str, str]:
    """Parses a graph of `children` (`{node: [(local name, child)]}`) whose `variables` nodes
    each save a variable (`{node: name}`); `slots` holds `{optimizer node: [(variable, slot)]}`.
    Returns each variable's kind by name."""
    graph = proto.TrackableObjectGraph()
    for node_id in range(1 + max([*children, *variables, *(slots or {})])):
        node = graph.nodes.add()
        for local_name, child in children.get(node_id, []):
            node.children.add(node_id=child, local_name=local_name)
        for original, slot in (slots or {}).get(node_id, []):
            node.slot_variables.add(
                original_variable_node_id=original, slot_name="m", slot_variable_node_id=slot
            )
        if node_id in variables:
            key = f"{variables[node_id]}/.ATTRIBUTES/VARIABLE_VALUE"
            node.attributes.add(
                name="VARIABLE_VALUE", full_name=variables[node_id], checkpoint_key=key
            )
    parsed = object_graph.parse(graph.SerializeToString(), "g")
    return {tensor.full_name: tensor.kind for tensor in parsed.values()}


def test_keras_3_optimizer_variables_are_slots_but_not_the_variables_it_trains():
    children = {
        0: [("model", 1), ("optimizer", 2)],
        1: [("_kernel", 3)],
        2: [("_iterations", 4), ("_variables", 5), ("_trainable_variables", 6)],
        5: [("0", 4), ("1", 7)],
        6: [("0", 3)],
    }
    variables = {3: "dense/kernel", 4: "adam/iteration", 7: "adam/dense_kernel_momentum"}
    assert _kinds(children, variables) == {
        "dense/kernel": "variable",
        "adam/iteration": "slot",
        "adam/dense_kernel_momentum": "slot",
    }


def test_an_optimizer_saved_alone_still_trains_variables():
    children = {
        0: [("opt", 1)],
        1: [("_iterations", 2), ("_trainable_variables", 3)],
        3: [("0", 4)],
    }
    assert _kinds(children, {2: "adam/iteration", 4: "dense/kernel"}) == {
        "adam/iteration": "slot",
        "dense/kernel": "variable",
    }


def test_the_roots_optimizer_owns_its_variables_unless_the_model_holds_them_too():
    children = {0: [("optimizer", 1), ("model", 2)], 1: [("m", 3), ("step", 5)], 2: [("w", 4)]}
    assert _kinds(children, {3: "adam/m/w", 4: "mlp/w", 5: "adam/step"}) == {
        "adam/m/w": "slot",
        "mlp/w": "variable",
        "adam/step": "slot",
    }
    children[2].append(("alias", 5))
    assert _kinds(children, {3: "adam/m/w", 4: "mlp/w", 5: "adam/step"})["adam/step"] == "variable"


def test_an_optimizer_with_slot_variables_owns_its_other_variables():
    children = {0: [("model", 1), ("tf1_adam", 2)], 1: [("w", 3)], 2: [("beta1_power", 4)]}
    variables = {3: "w", 4: "beta1_power", 5: "w/Adam"}
    assert _kinds(children, variables, slots={2: [(3, 5)]}) == {
        "w": "variable",
        "beta1_power": "slot",
        "w/Adam": "slot",
    }
