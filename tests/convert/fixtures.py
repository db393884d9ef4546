"""What TensorFlow read from each fixture (`make_fixtures.py`), loaded for comparison."""

import dataclasses
import json
import pathlib

import numpy as np

GRAPH_KEY = "_CHECKPOINTABLE_OBJECT_GRAPH"
NAMES = [
    "dtypes",
    "slices",
    "sonnet",
    "optimizer",
    "sharded",
    "partitioned",
    "tf1",
    "saved_model",
    "snappy",
    "big_endian",
    "collisions",
    "keras_adam",
    "tf1_optimizers",
]
OBJECT_BASED = ["sonnet", "optimizer", "sharded", "saved_model", "collisions", "keras_adam"]
# Fixtures whose `<name>.roles.json` records TensorFlow's view of each variable's role.
WITH_ROLES = ["optimizer", "saved_model", "keras_adam", "tf1_optimizers"]


@dataclasses.dataclass
class Oracle:
    """TensorFlow's view of one fixture."""

    root: pathlib.Path
    path: str
    prefix: str
    tensors: dict[str, dict]
    list_variables: list[list]
    graph: dict[str, dict] | None

    def value(self, key: str) -> bytes | list[bytes] | None:
        """The tensor's bytes as TensorFlow read them; a list for strings; None for variants."""
        record = self.tensors[key]
        if "file" in record:
            return (self.root / record["file"]).read_bytes()
        if "strings" in record:
            return [bytes.fromhex(item) for item in record["strings"]]
        return None


def load(root: pathlib.Path, name: str) -> Oracle:
    return Oracle(root=root, **json.loads((root / f"{name}.json").read_text()))


def as_bytes(array: np.ndarray) -> bytes | list[bytes]:
    """An array as comparable to `Oracle.value`."""
    if array.dtype == object:
        return list(array.reshape(-1))
    return array.tobytes()


def sonnet_variable_names(root: pathlib.Path) -> list[str]:
    """The names of the live Sonnet variables saved in the `sonnet` fixture, sorted."""
    return json.loads((root / "sonnet.names.json").read_text())


def roles(root: pathlib.Path, name: str) -> dict[str, list[str]]:
    """TensorFlow's roles of a fixture's variables: `{"params" | "state" | "optimizer": names}`;
    all empty for a fixture without roles."""
    path = root / f"{name}.roles.json"
    if not path.exists():
        return {"params": [], "state": [], "optimizer": []}
    return json.loads(path.read_text())


def proto_fields(descriptor, prefix: str = "") -> dict[str, dict[str, list]]:
    """Each message's fields as [number, type, repeated, message type, in a oneof], nested
    messages flattened: compares our protobuf definitions with TensorFlow's."""
    name = f"{prefix}{descriptor.name}"
    result = {
        name: {
            field.name: [
                field.number,
                field.type,
                # protobuf 7 drops `label`; older versions lack `is_repeated`.
                getattr(field, "is_repeated", getattr(field, "label", None) == 3),
                field.message_type.name if field.message_type else None,
                field.containing_oneof is not None,
            ]
            for field in descriptor.fields
        }
    }
    for nested in descriptor.nested_types:
        result.update(proto_fields(nested, f"{name}."))
    return result
