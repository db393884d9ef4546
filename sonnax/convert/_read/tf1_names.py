"""Name-based checkpoints, as a TF1 `tf.compat.v1.train.Saver` writes them.

Such a checkpoint has no object graph: each key is the variable's own name (`mlp/linear_0/w`),
so the key is the name and there is no object path. Nothing in the file marks optimizer slots
(`w/Adam`), EMA shadows (`w/ExponentialMovingAverage`) or the global step apart from other
variables; the name mapping decides by name (`names.OPTIMIZER_RULES`, `names.STATE_RULES`).
"""

from sonnax.convert._read import object_graph


def describe(keys: list[str]) -> dict[str, object_graph.GraphTensor]:
    """Describes the tensors of a name-based checkpoint.

    Args:
        keys: The bundle's keys.

    Returns:
        A `GraphTensor` per key: its name is the key, no object path, kind `variable`.

    >>> describe(["linear/w"])["linear/w"]
    GraphTensor(full_name='linear/w', object_path=None, kind='variable', node_id=None)
    """
    return {key: object_graph.GraphTensor(key, None, "variable") for key in keys}
