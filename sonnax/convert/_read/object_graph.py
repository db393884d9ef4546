"""The object graph of a TF2 object-based checkpoint (`_CHECKPOINTABLE_OBJECT_GRAPH`).

The graph lists every object reachable from the `tf.train.Checkpoint` (or SavedModel) root: each
node's named children, the tensors it saved (with their checkpoint keys and the variables' full
names) and, on optimizers, the slot variables kept for each variable. TensorFlow names objects by
the first path that reaches them breadth-first, and so do we.

Optimizer state is told apart by structure, not by name. A node is an optimizer if it holds slot
variables (TF1 optimizers, Keras 2's `OptimizerV2`), has Keras 3's `_iterations` child, or is the
root's `optimizer` child (the name `tf.train.Checkpoint`'s documentation gives it). A variable is
optimizer state (kind `slot`) if every path from the root to it passes through an optimizer, not
counting Keras 3's `_trainable_variables`: that list refers to the variables being trained, which
a checkpoint of a model and its optimizer reaches through the optimizer first.
"""

import collections
import dataclasses
import re

from sonnax.convert import errors
from sonnax.convert._read import proto

KEY = "_CHECKPOINTABLE_OBJECT_GRAPH"
"""The bundle key the serialized `TrackableObjectGraph` is stored under."""

SLOT_MARKER = ".OPTIMIZER_SLOT"
"""Joins a variable's path and its optimizer's path in a slot variable's path, as in TF's keys."""

_ATTRIBUTES_MARKER = "/.ATTRIBUTES/"
_UNESCAPES = {".": ".", "S": "/"}
_VARIABLE_ATTRIBUTE = "VARIABLE_VALUE"
_SAVE_COUNTER = ("save_counter",)
_ROOT_OPTIMIZER = "optimizer"
_KERAS_ITERATIONS = "_iterations"
_KERAS_TRAINED_VARIABLES = "_trainable_variables"


@dataclasses.dataclass(frozen=True)
class GraphTensor:
    """What the object graph says about one saved tensor.

    Attributes:
        full_name: The variable's original name (`mlp/linear_0/w`), empty if not a variable.
        object_path: Local names from the root, joined by `/`, unescaped (`model/_layers/0/w`).
            A slot variable's path is `<variable path>/.OPTIMIZER_SLOT/<optimizer path>/<slot>`;
            None for a node the root does not reach.
        kind: `variable`, `slot` (a slot variable, or another variable an optimizer owns),
            `save_counter` or `other`.
        node_id: The node that saved the tensor; None where no graph describes it.
    """

    full_name: str
    object_path: str | None
    kind: str
    node_id: int | None = None


def _paths(nodes: list, where: str) -> dict[int, tuple[str, ...]]:
    """Returns the breadth-first path of local names from the root to each reachable node."""
    paths: dict[int, tuple[str, ...]] = {0: ()}
    queue = collections.deque([0])
    while queue:
        node_id = queue.popleft()
        for child in nodes[node_id].children:
            _check_id(child.node_id, len(nodes), f"{where}, child {child.local_name!r}")
            if child.node_id not in paths:
                paths[child.node_id] = (*paths[node_id], child.local_name)
                queue.append(child.node_id)
    return paths


def _check_id(node_id: int, count: int, where: str) -> None:
    if not 0 <= node_id < count:
        raise errors.CorruptCheckpointError(
            f"{where}: node id {node_id} is out of range; the graph has {count} nodes"
        )


def _slot_paths(
    nodes: list, paths: dict[int, tuple[str, ...]], where: str
) -> dict[int, tuple[str, ...]]:
    """Returns the path of every slot variable, keyed by its node id."""
    slots: dict[int, tuple[str, ...]] = {}
    for optimizer_id, node in enumerate(nodes):
        for reference in node.slot_variables:
            context = f"{where}, slot {reference.slot_name!r} of node {optimizer_id}"
            _check_id(reference.original_variable_node_id, len(nodes), context)
            _check_id(reference.slot_variable_node_id, len(nodes), context)
            variable = paths.get(reference.original_variable_node_id)
            optimizer = paths.get(optimizer_id)
            if variable is None or optimizer is None:
                raise errors.CorruptCheckpointError(
                    f"{context}: its variable or optimizer is not reachable from the root"
                )
            slots[reference.slot_variable_node_id] = (
                *variable, SLOT_MARKER, *optimizer, reference.slot_name
            )  # fmt: skip
    return slots


def _optimizer_ids(nodes: list) -> set[int]:
    """The nodes that are optimizers (see the module docstring)."""
    found = {
        node_id
        for node_id, node in enumerate(nodes)
        if node.slot_variables or any(c.local_name == _KERAS_ITERATIONS for c in node.children)
    }
    found.update(c.node_id for c in nodes[0].children if c.local_name == _ROOT_OPTIMIZER)
    return found


def _model_ids(nodes: list, optimizers: set[int]) -> set[int]:
    """The nodes reachable from the root without going through an optimizer's own state."""
    seen = {0}
    queue = collections.deque([0])
    while queue:
        node_id = queue.popleft()
        for child in nodes[node_id].children:
            owned = node_id in optimizers and child.local_name != _KERAS_TRAINED_VARIABLES
            if not owned and child.node_id not in seen:
                seen.add(child.node_id)
                queue.append(child.node_id)
    return seen - optimizers


def _kind(path: tuple[str, ...] | None, attribute: str, slot: bool, owned: bool) -> str:
    """A tensor's kind, from its node's place in the graph and the attribute it saves."""
    if slot:
        return "slot"  # Whatever its attribute: TensorFlow lists the node as a slot.
    if path == _SAVE_COUNTER:
        return "save_counter"
    if attribute != _VARIABLE_ATTRIBUTE:
        return "other"
    return "slot" if owned else "variable"


def parse(data: bytes, where: str) -> dict[str, GraphTensor]:
    """Describes every tensor the object graph names, by checkpoint key.

    Args:
        data: The serialized `TrackableObjectGraph`.
        where: The file and key it came from, for errors.

    Returns:
        A `GraphTensor` per checkpoint key, in node order.

    Raises:
        CorruptCheckpointError: The graph does not decode or refers to missing nodes.
    """
    graph = proto.parse(proto.TrackableObjectGraph, data, where)
    nodes = list(graph.nodes)
    if not nodes:
        return {}
    paths = _paths(nodes, where)
    slots = _slot_paths(nodes, paths, where)
    model = _model_ids(nodes, _optimizer_ids(nodes))
    result: dict[str, GraphTensor] = {}
    for node_id, node in enumerate(nodes):
        path = slots.get(node_id, paths.get(node_id))
        owned = node_id in paths and node_id not in model
        for attribute in node.attributes:
            kind = _kind(path, attribute.name, node_id in slots, owned)
            object_path = "/".join(path) if path is not None else None
            tensor = GraphTensor(attribute.full_name, object_path, kind, node_id)
            result.setdefault(attribute.checkpoint_key, tensor)
    return result


def path_from_key(key: str) -> str | None:
    """Recovers the object path written into a checkpoint key, for keys the graph does not list.

    TensorFlow escapes each local name in a key (`.` as `..`, `/` as `.S`); a legacy saveable
    with several tensors (a dataset iterator) lists one key in the graph but saves tensors under
    longer keys with the same path.

    Args:
        key: A bundle key.

    Returns:
        The unescaped path before `/.ATTRIBUTES/`, or None if the key has no such part.

    >>> path_from_key("model/a..b.Sc/.ATTRIBUTES/VARIABLE_VALUE")
    'model/a.b/c'
    """
    if _ATTRIBUTES_MARKER not in key:
        return None
    escaped = key.split(_ATTRIBUTES_MARKER, 1)[0]
    return re.sub(r"\.(.)", lambda m: _UNESCAPES.get(m.group(1), m.group(0)), escaped)
