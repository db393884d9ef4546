"""The few TensorFlow protobuf messages a checkpoint holds, built at import time.

There is no `protoc` step: each message is described here as a `FileDescriptorProto` whose field
numbers and types are those of TensorFlow's own `.proto` files (`tensor_bundle.proto`,
`tensor_shape.proto`, `tensor_slice.proto`, `versions.proto`, `trackable_object_graph.proto`,
`checkpoint_state.proto`; and, in part, those of `saved_model.pb`), and the classes are made by
the `protobuf` runtime in a private pool.
The package name differs from TensorFlow's (`sonnax.tf`), which the wire format never sees, so both
can live in one process.
"""

from google.protobuf import (
    descriptor_pb2,
    descriptor_pool,
    message,
    message_factory,
    text_format,
    wrappers_pb2,
)

from sonnax.convert import errors

_PACKAGE = "sonnax.tf"
_Field = descriptor_pb2.FieldDescriptorProto

_SCALARS = {
    "bool": _Field.TYPE_BOOL,
    "double": _Field.TYPE_DOUBLE,
    "fixed32": _Field.TYPE_FIXED32,
    "int32": _Field.TYPE_INT32,
    "int64": _Field.TYPE_INT64,
    "string": _Field.TYPE_STRING,
}

# Each message: (name, fields, nested messages). A field is (name, number, type); the type is a
# scalar name, `enum:<Name>` or a message name, prefixed by `repeated ` for a repeated field.
_Spec = tuple[str, list[tuple[str, int, str]], list]
_SHAPE: _Spec = (
    "TensorShapeProto",
    [("dim", 2, "repeated TensorShapeProto.Dim"), ("unknown_rank", 3, "bool")],
    [("Dim", [("size", 1, "int64"), ("name", 2, "string")], [])],
)
_SLICE: _Spec = (
    "TensorSliceProto",
    [("extent", 1, "repeated TensorSliceProto.Extent")],
    [("Extent", [("start", 1, "int64"), ("length", 2, "int64")], [])],
)
_VERSION: _Spec = (
    "VersionDef",
    [
        ("producer", 1, "int32"),
        ("min_consumer", 2, "int32"),
        ("bad_consumers", 3, "repeated int32"),
    ],
    [],
)
_HEADER: _Spec = (
    "BundleHeaderProto",
    [
        ("num_shards", 1, "int32"),
        ("endianness", 2, "enum:BundleHeaderProto.Endianness"),
        ("version", 3, "VersionDef"),
    ],
    [],
)
# TensorFlow declares `dtype` as the DataType enum; an enum is an int32 varint on the wire, and
# an int32 here keeps unknown values visible instead of relying on open-enum rules.
_ENTRY: _Spec = (
    "BundleEntryProto",
    [
        ("dtype", 1, "int32"),
        ("shape", 2, "TensorShapeProto"),
        ("shard_id", 3, "int32"),
        ("offset", 4, "int64"),
        ("size", 5, "int64"),
        ("crc32c", 6, "fixed32"),
        ("slices", 7, "repeated TensorSliceProto"),
    ],
    [],
)
_OBJECT = "TrackableObjectGraph.TrackableObject"
_GRAPH: _Spec = (
    "TrackableObjectGraph",
    [("nodes", 1, f"repeated {_OBJECT}")],
    [
        (
            "TrackableObject",
            [
                ("children", 1, f"repeated {_OBJECT}.ObjectReference"),
                ("attributes", 2, f"repeated {_OBJECT}.SerializedTensor"),
                ("slot_variables", 3, f"repeated {_OBJECT}.SlotVariableReference"),
                ("registered_saver", 4, "RegisteredSaver"),
                ("has_checkpoint_values", 5, ".google.protobuf.BoolValue"),
            ],
            [
                ("ObjectReference", [("node_id", 1, "int32"), ("local_name", 2, "string")], []),
                (
                    "SerializedTensor",
                    [
                        ("name", 1, "string"),
                        ("full_name", 2, "string"),
                        ("checkpoint_key", 3, "string"),
                    ],
                    [],
                ),
                (
                    "SlotVariableReference",
                    [
                        ("original_variable_node_id", 1, "int32"),
                        ("slot_name", 2, "string"),
                        ("slot_variable_node_id", 3, "int32"),
                    ],
                    [],
                ),
            ],
        )
    ],
)
_SAVER: _Spec = ("RegisteredSaver", [("name", 1, "string"), ("object_name", 2, "string")], [])
_STATE: _Spec = (
    "CheckpointState",
    [
        ("model_checkpoint_path", 1, "string"),
        ("all_model_checkpoint_paths", 2, "repeated string"),
        ("all_model_checkpoint_timestamps", 3, "repeated double"),
        ("last_preserved_timestamp", 4, "double"),
    ],
    [],
)


# Only the path to each variable's `trainable` in a SavedModel's `saved_model.pb`
# (`saved_model.proto`, `meta_graph.proto`, `saved_object_graph.proto`): the other fields of
# these messages (graphs, functions, signatures) are skipped as unknown fields when parsing.
_SAVED_MODEL: list[_Spec] = [
    (
        "SavedModel",
        [("saved_model_schema_version", 1, "int64"), ("meta_graphs", 2, "repeated MetaGraphDef")],
        [],
    ),
    ("MetaGraphDef", [("object_graph_def", 7, "SavedObjectGraph")], []),
    ("SavedObjectGraph", [("nodes", 1, "repeated SavedObject")], []),
    ("SavedObject", [("variable", 7, "SavedVariable")], []),
    ("SavedVariable", [("trainable", 3, "bool"), ("name", 6, "string")], []),
]


def _field(name: str, number: int, kind: str) -> descriptor_pb2.FieldDescriptorProto:
    """Describes one field from its (name, number, type) spec."""
    field = _Field(name=name, number=number, json_name=name, label=_Field.LABEL_OPTIONAL)
    if kind.startswith("repeated "):
        field.label = _Field.LABEL_REPEATED
        kind = kind.removeprefix("repeated ")
    if kind in _SCALARS:
        field.type = _SCALARS[kind]
    elif kind.startswith("enum:"):
        field.type = _Field.TYPE_ENUM
        field.type_name = f".{_PACKAGE}.{kind.removeprefix('enum:')}"
    else:
        field.type = _Field.TYPE_MESSAGE
        field.type_name = kind if kind.startswith(".") else f".{_PACKAGE}.{kind}"
    return field


def _message(spec: _Spec) -> descriptor_pb2.DescriptorProto:
    name, fields, nested = spec
    return descriptor_pb2.DescriptorProto(
        name=name,
        field=[_field(*field) for field in fields],
        nested_type=[_message(child) for child in nested],
    )


def _messages() -> list[descriptor_pb2.DescriptorProto]:
    """Every message, with the two details the specs cannot say."""
    messages = [_message(spec) for spec in (_SHAPE, _SLICE, _VERSION, _HEADER, _ENTRY)]
    messages += [_message(spec) for spec in (_GRAPH, _SAVER, _STATE)]
    # In TensorFlow, `Extent.length` sits in a oneof, so "not set" (the whole extent) is visible.
    extent = messages[1].nested_type[0]
    extent.oneof_decl.add(name="has_length")
    extent.field[1].oneof_index = 0
    endianness = messages[3].enum_type.add(name="Endianness")
    endianness.value.add(name="LITTLE", number=0)
    endianness.value.add(name="BIG", number=1)
    return messages


def _build_classes() -> dict[str, type[message.Message]]:
    pool = descriptor_pool.DescriptorPool()
    pool.AddSerializedFile(wrappers_pb2.DESCRIPTOR.serialized_pb)
    files = [
        descriptor_pb2.FileDescriptorProto(
            name="sonnax/convert/tf_checkpoint.proto",
            package=_PACKAGE,
            syntax="proto3",
            dependency=[wrappers_pb2.DESCRIPTOR.name],
            message_type=_messages(),
        ),
        descriptor_pb2.FileDescriptorProto(
            name="sonnax/convert/tf_saved_model.proto",
            package=_PACKAGE,
            syntax="proto3",
            message_type=[_message(spec) for spec in _SAVED_MODEL],
        ),
    ]
    for file_proto in files:
        pool.AddSerializedFile(file_proto.SerializeToString())
    return {
        proto.name: message_factory.GetMessageClass(
            pool.FindMessageTypeByName(f"{_PACKAGE}.{proto.name}")
        )
        for file_proto in files
        for proto in file_proto.message_type
    }


_CLASSES = _build_classes()
BundleHeaderProto = _CLASSES["BundleHeaderProto"]
BundleEntryProto = _CLASSES["BundleEntryProto"]
TensorShapeProto = _CLASSES["TensorShapeProto"]
TensorSliceProto = _CLASSES["TensorSliceProto"]
TrackableObjectGraph = _CLASSES["TrackableObjectGraph"]
CheckpointState = _CLASSES["CheckpointState"]
SavedModel = _CLASSES["SavedModel"]


def parse(message_class: type[message.Message], data: bytes, where: str) -> message.Message:
    """Decodes binary protobuf `data` as `message_class`.

    Args:
        message_class: One of the classes of this module.
        data: The serialized message.
        where: What the bytes are, for the error, e.g. `ckpt.index, entry 'w'`.

    Returns:
        The decoded message.

    Raises:
        CorruptCheckpointError: `data` is not a valid serialization of `message_class`.
    """
    result = message_class()
    try:
        result.ParseFromString(data)
    except message.DecodeError as error:
        raise errors.CorruptCheckpointError(
            f"{where}: expected a serialized {message_class.DESCRIPTOR.name} "
            f"({len(data)} bytes), but it does not decode: {error}"
        ) from None
    return result


def parse_text(message_class: type[message.Message], text: str, where: str) -> message.Message:
    """Decodes protobuf text format, as in a checkpoint directory's `checkpoint` file.

    Args:
        message_class: One of the classes of this module.
        text: The text-format message.
        where: The file the text came from, for the error.

    Returns:
        The decoded message.

    Raises:
        NotACheckpointError: `text` is not a valid text-format `message_class`.
    """
    try:
        # Fields a newer TensorFlow may add are skipped rather than refused.
        return text_format.Parse(text, message_class(), allow_unknown_field=True)
    except text_format.ParseError as error:
        raise errors.NotACheckpointError(
            f"{where}: expected a text-format {message_class.DESCRIPTOR.name} such as "
            f'`model_checkpoint_path: "ckpt-1"`, but it does not parse: {error}'
        ) from None
