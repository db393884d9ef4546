"""Writes TensorFlow checkpoints for the reader's tests, and what TensorFlow reads back from them.

Run with TensorFlow and Sonnet installed: `python tests/convert/make_fixtures.py OUT_DIR`.
Each fixture goes to `OUT_DIR/<name>/`; `OUT_DIR/<name>.json` records the path to open, and
TensorFlow's own view of it (the oracle): keys, dtypes and shapes from `tf.train.load_checkpoint`,
`tf.train.list_variables`, the object graph decoded by TensorFlow's protobuf classes, and each
tensor's bytes (`OUT_DIR/<name>.values/<n>.bin`) or, for strings, its elements in hex. Some
fixtures also record the role TensorFlow gives each variable (`make_optimizer_fixtures.py`).
"""

import json
import os
import pathlib
import sys

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import bundle_writer  # noqa: E402
import fixtures  # noqa: E402
import make_optimizer_fixtures  # noqa: E402
import numpy as np  # noqa: E402
import sonnet as snt  # noqa: E402
import tensorflow as tf  # noqa: E402
from tensorflow.core.framework import tensor_shape_pb2, tensor_slice_pb2, versions_pb2  # noqa: E402
from tensorflow.core.protobuf import (  # noqa: E402
    meta_graph_pb2,
    saved_model_pb2,
    saved_object_graph_pb2,
    tensor_bundle_pb2,
    trackable_object_graph_pb2,
)
from tensorflow.python.training import checkpoint_state_pb2  # noqa: E402

tf.get_logger().setLevel("ERROR")  # TF1 optimizers warn of deprecations, burying real errors.
_GRAPH_KEY = "_CHECKPOINTABLE_OBJECT_GRAPH"
# One array per dtype the reader supports, saved by name with `SaveV2` (so no variable kernel
# is needed for the rarer dtypes). Values exercise sign, NaN and rounding-sensitive bits.
_BASE = np.array([[0.0, -1.5, 3.25], [np.nan, 1e-3, -7.0]])
_DTYPES = {
    "float16": tf.float16,
    "bfloat16": tf.bfloat16,
    "float32": tf.float32,
    "float64": tf.float64,
    "float8_e5m2": tf.dtypes.experimental.float8_e5m2,
    "float8_e4m3fn": tf.dtypes.experimental.float8_e4m3fn,
    "int8": tf.int8,
    "int16": tf.int16,
    "int32": tf.int32,
    "int64": tf.int64,
    "uint8": tf.uint8,
    "uint16": tf.uint16,
    "uint32": tf.uint32,
    "uint64": tf.uint64,
    "bool": tf.bool,
    "complex64": tf.complex64,
    "complex128": tf.complex128,
}


def _dtype_tensor(dtype: tf.DType) -> tf.Tensor:
    if dtype.is_complex:
        return tf.constant(np.nan_to_num(_BASE) + 1j * np.nan_to_num(_BASE[::-1]), dtype)
    if dtype.is_floating:
        return tf.cast(tf.constant(_BASE), dtype)
    if dtype == tf.bool:
        return tf.constant(np.nan_to_num(_BASE) > 0)
    values = np.nan_to_num(_BASE).astype(np.int64) * 37
    return tf.constant(values if not dtype.is_unsigned else np.abs(values), dtype)


def dtypes(out: pathlib.Path) -> str:
    """Every dtype, a string tensor, a scalar and an empty tensor, saved by name."""
    tensors = {name: _dtype_tensor(dtype) for name, dtype in _DTYPES.items()}
    tensors["string"] = tf.constant([[b"", b"sonnax"], [bytes(range(256)), b"\x00\xff" * 200]])
    tensors["string_scalar"] = tf.constant(b"hello")
    tensors["string_empty"] = tf.constant([], tf.string)
    tensors["scalar"] = tf.constant(2.5, tf.float64)
    tensors["empty"] = tf.zeros([0, 3], tf.float32)
    tensors["big"] = tf.reshape(tf.range(3000, dtype=tf.float32), [30, 100])
    prefix = str(out / "dtypes" / "dtypes")
    tf.raw_ops.SaveV2(
        prefix=prefix,
        tensor_names=list(tensors),
        shape_and_slices=[""] * len(tensors),
        tensors=list(tensors.values()),
    )
    return prefix


def slices(out: pathlib.Path) -> str:
    """One tensor saved as slices, two with whole ("-") dimensions and starts past 64."""
    full = tf.reshape(tf.range(200 * 3, dtype=tf.float32), [200, 3])
    specs = ["200 3 0,70:-", "200 3 70,130:0,1", "200 3 70,130:1,2"]
    parts = [full[:70], full[70:, :1], full[70:, 1:]]
    prefix = str(out / "slices" / "slices")
    tf.raw_ops.SaveV2(prefix=prefix, tensor_names=["x"] * 3, shape_and_slices=specs, tensors=parts)
    return prefix


def _sonnet_modules() -> dict[str, tf.Module]:
    tf.random.set_seed(0)
    modules = {
        "linear": snt.Linear(3),
        "mlp": snt.nets.MLP([4, 3, 2]),
        "conv": snt.Conv2D(4, 3),
        "bn": snt.BatchNorm(create_scale=True, create_offset=True),
        "lstm": snt.LSTM(5),
        "embed": snt.Embed(vocab_size=10, embed_dim=4),
    }
    modules["linear"](tf.ones([2, 3]))
    modules["mlp"](tf.ones([2, 3]))
    modules["conv"](tf.ones([1, 5, 5, 2]))
    modules["bn"](tf.random.normal([4, 3]), is_training=True)
    lstm = modules["lstm"]
    lstm(tf.ones([2, 3]), lstm.initial_state(2))
    modules["embed"](tf.constant([1, 2]))
    return modules


def sonnet(out: pathlib.Path) -> str:
    """Sonnet modules in a `tf.train.Checkpoint`, saved twice (so `checkpoint` names the second)."""
    modules = _sonnet_modules()
    escaped = tf.Module(name="escaped")
    escaped.named = {"a.b/c": tf.Variable([1.0, 2.0], name="dotted")}
    checkpoint = tf.train.Checkpoint(**modules, escaped=escaped)
    directory = out / "sonnet"
    checkpoint.save(str(directory / "ckpt"))
    modules["linear"].w.assign_add(tf.ones_like(modules["linear"].w))
    checkpoint.save(str(directory / "ckpt"))
    names = sorted(v.name[: -len(":0")] for m in [*modules.values(), escaped] for v in m.variables)
    (out / "sonnet.names.json").write_text(json.dumps(names))
    return str(directory)


def collisions(out: pathlib.Path) -> str:
    """Variables whose names collide: two entries of a dict both named `w`, two modules `lin`."""
    holder = tf.Module(name="holder")
    holder.vs = {"g": tf.Variable([1.0, 2.0], name="w"), "h": tf.Variable([3.0, 4.0], name="w")}
    first, second = snt.Linear(2, name="lin"), snt.Linear(2, name="lin")
    first(tf.ones([1, 1]))
    second(tf.ones([1, 1]))
    checkpoint = tf.train.Checkpoint(holder=holder, a=first, b=second)
    return checkpoint.write(str(out / "collisions" / "ckpt"))


def sharded(out: pathlib.Path) -> str:
    """Variables written to several shards by a size policy (which also slices the largest)."""
    values = [tf.Variable(tf.fill([16], float(i)), name=f"v{i}") for i in range(3)]
    values.append(tf.Variable(tf.reshape(tf.range(40.0), [8, 5]), name="wide"))
    policy = tf.train.experimental.MaxShardSizePolicy(max_shard_size=100)
    options = tf.train.CheckpointOptions(experimental_sharding_callback=policy)
    return tf.train.Checkpoint(values=values).write(str(out / "sharded" / "ckpt"), options)


def _tf1_session(out: pathlib.Path, name: str, build, sharded_saver: bool) -> str:
    graph = tf.Graph()
    config = tf.compat.v1.ConfigProto(device_count={"CPU": 2})
    with graph.as_default(), tf.compat.v1.Session(graph=graph, config=config) as session:
        build()
        saver = tf.compat.v1.train.Saver(sharded=sharded_saver)
        (out / name).mkdir()
        session.run(tf.compat.v1.global_variables_initializer())
        return saver.save(session, str(out / name / "model.ckpt"), global_step=7)


def partitioned(out: pathlib.Path) -> str:
    """A TF1 `PartitionedVariable` (3 parts of a [200, 3] variable) and a plain one."""

    def build():
        tf.compat.v1.get_variable(
            "embedding",
            [200, 3],
            initializer=tf.compat.v1.random_normal_initializer(seed=1),
            partitioner=tf.compat.v1.fixed_size_partitioner(3),
        )
        tf.compat.v1.get_variable("bias", [3], initializer=tf.compat.v1.ones_initializer())

    return _tf1_session(out, "partitioned", build, sharded_saver=False)


def tf1(out: pathlib.Path) -> str:
    """A TF1 name-based checkpoint, variables on two devices, saved sharded by device."""

    def build():
        with tf.compat.v1.variable_scope("net"):
            with tf.device("/cpu:0"):
                tf.compat.v1.get_variable("w", [4, 3], initializer=tf.compat.v1.ones_initializer())
            with tf.device("/cpu:1"):
                tf.compat.v1.get_variable("b", [3], tf.float64, tf.compat.v1.zeros_initializer())
        tf.compat.v1.train.get_or_create_global_step()

    _tf1_session(out, "tf1", build, sharded_saver=True)
    return str(out / "tf1")


def saved_model(out: pathlib.Path) -> str:
    """`tf.saved_model.save` of a module holding an MLP and a non-trainable step; the roles are
    the trainability of the variables `tf.saved_model.load` restores."""
    module = tf.Module()
    module.mlp = snt.nets.MLP([3, 2])
    module.mlp(tf.ones([1, 4]))
    module.step = tf.Variable(3, trainable=False, name="step")
    module.serve = tf.function(module.mlp, input_signature=[tf.TensorSpec([None, 4])])
    path = str(out / "saved_model")
    tf.saved_model.save(module, path)
    restored = tf.saved_model.load(path)  # The view holds it only weakly.
    descendants = tf.train.TrackableView(restored).descendants()
    loaded = [v for v in descendants if isinstance(v, tf.Variable)]
    trainable = [v.name.removesuffix(":0") for v in loaded if v.trainable]
    others = [v.name.removesuffix(":0") for v in loaded if not v.trainable]
    make_optimizer_fixtures.write_roles(out, "saved_model", trainable, others, [])
    return path


def _rewritten(out: pathlib.Path, name: str, skip: tuple[str, ...] = (), **options) -> str:
    """The `dtypes` tensors, as TensorFlow reads them, rewritten by `bundle_writer`."""
    reader = tf.train.load_checkpoint(str(out / "dtypes" / "dtypes"))
    dtypes_ = reader.get_variable_to_dtype_map()
    tensors = {
        key: np.asarray(reader.get_tensor(key), object if dtype == tf.string else None)
        for key, dtype in dtypes_.items()
        if not key.startswith(skip)
    }
    (out / name).mkdir()
    prefix = str(out / name / name)
    bundle_writer.write_bundle(
        prefix,
        tensors,
        tensor_bundle_pb2.BundleEntryProto,
        tensor_bundle_pb2.BundleHeaderProto,
        lambda array: (
            tf.as_dtype(array.dtype if array.dtype != object else tf.string).as_datatype_enum
        ),
        **options,
    )
    return prefix


def snappy(out: pathlib.Path) -> str:
    """The `dtypes` tensors, the index in small snappy-compressed blocks (TF writes neither)."""
    return _rewritten(out, "snappy", snappy=True, block_size=64)


def big_endian(out: pathlib.Path) -> str:
    """The `dtypes` tensors written big-endian, as on a big-endian host."""
    # TensorFlow refuses to byte-swap float8 tensors, so they are left out here.
    return _rewritten(out, "big_endian", skip=("float8",), big_endian=True)


FIXTURES = [
    dtypes,
    slices,
    sonnet,
    make_optimizer_fixtures.optimizer,
    sharded,
    partitioned,
    tf1,
    saved_model,
    snappy,
    big_endian,
    collisions,
    make_optimizer_fixtures.keras_adam,
    make_optimizer_fixtures.tf1_optimizers,
]


def _graph(reader) -> dict[str, dict]:
    """The object graph as TensorFlow decodes it: per checkpoint key, name and slot-ness."""
    graph = trackable_object_graph_pb2.TrackableObjectGraph()
    graph.ParseFromString(reader.get_tensor(_GRAPH_KEY))
    slot_nodes = {
        slot.slot_variable_node_id for node in graph.nodes for slot in node.slot_variables
    }
    return {
        attribute.checkpoint_key: {
            "full_name": attribute.full_name,
            "attribute": attribute.name,
            "slot": node_id in slot_nodes,
        }
        for node_id, node in enumerate(graph.nodes)
        for attribute in node.attributes
    }


def _tensor(reader, key: str, dtype: tf.DType, folder: pathlib.Path, number: int) -> dict:
    if dtype == tf.variant:
        return {}
    value = reader.get_tensor(key)
    if dtype == tf.string:
        return {"strings": [item.hex() for item in np.asarray(value, object).reshape(-1)]}
    folder.mkdir(exist_ok=True)
    (folder / f"{number}.bin").write_bytes(np.ascontiguousarray(value).tobytes())
    return {"file": f"{folder.name}/{number}.bin"}


def oracle(path: str, out: pathlib.Path, name: str) -> dict:
    """Records what TensorFlow reads from the checkpoint at `path`."""
    prefix = tf.train.latest_checkpoint(path) if os.path.isdir(path) else path
    if os.path.isdir(os.path.join(path, "variables")):
        prefix = os.path.join(path, "variables", "variables")
    reader = tf.train.load_checkpoint(prefix)
    shapes = reader.get_variable_to_shape_map()
    dtypes_ = reader.get_variable_to_dtype_map()
    tensors = {}
    for number, key in enumerate(sorted(shapes)):
        tensors[key] = {"dtype": dtypes_[key].name, "shape": shapes[key]}
        tensors[key].update(_tensor(reader, key, dtypes_[key], out / f"{name}.values", number))
    return {
        "path": path,
        "prefix": prefix,
        "tensors": tensors,
        "list_variables": [[key, shape] for key, shape in tf.train.list_variables(prefix)],
        "graph": _graph(reader) if _GRAPH_KEY in shapes else None,
    }


def descriptors() -> dict[str, dict[str, list]]:
    """The fields of the TensorFlow messages the reader decodes, from TensorFlow's own classes."""
    result = {}
    for module in (
        tensor_shape_pb2,
        tensor_slice_pb2,
        versions_pb2,
        tensor_bundle_pb2,
        trackable_object_graph_pb2,
        checkpoint_state_pb2,
    ):
        for descriptor in module.DESCRIPTOR.message_types_by_name.values():
            result.update(fixtures.proto_fields(descriptor))
    return result


def saved_model_descriptors() -> dict[str, dict[str, list]]:
    """The fields of the SavedModel messages, of which the reader declares a few."""
    result = {}
    for module in (saved_model_pb2, meta_graph_pb2, saved_object_graph_pb2):
        for descriptor in module.DESCRIPTOR.message_types_by_name.values():
            result.update(fixtures.proto_fields(descriptor))
    return result


def main(out_dir: str) -> None:
    out = pathlib.Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    (out / "descriptors.json").write_text(json.dumps(descriptors()))
    (out / "saved_model_descriptors.json").write_text(json.dumps(saved_model_descriptors()))
    for make in FIXTURES:
        path = make(out)
        (out / f"{make.__name__}.json").write_text(json.dumps(oracle(path, out, make.__name__)))


if __name__ == "__main__":
    main(sys.argv[1])
