"""The fixtures of `make_fixtures.py` that hold optimizer state, and the roles TensorFlow gives
each variable: `<name>.roles.json` lists, by full name, the variables TensorFlow calls trainable
(`params`), the model's other variables (`state`) and the optimizer's (`optimizer`)."""

import json
import pathlib

import sonnet as snt
import tensorflow as tf


def write_roles(out: pathlib.Path, name: str, params, state, optimizer) -> None:
    """Records TensorFlow's own classification of the fixture's variables, by full name."""
    roles = {"params": params, "state": state, "optimizer": optimizer}
    (out / f"{name}.roles.json").write_text(json.dumps({k: sorted(v) for k, v in roles.items()}))


def _names(variables) -> list[str]:
    return [variable.name.removesuffix(":0") for variable in variables]


def optimizer(out: pathlib.Path) -> str:
    """An MLP with a Sonnet Adam, a TF1 Adam (slot variables) and a dataset iterator (variant)."""
    mlp = snt.nets.MLP([3, 2])
    sonnet_adam = snt.optimizers.Adam(0.1)
    tf1_adam = tf.compat.v1.train.AdamOptimizer(0.1)
    x = tf.ones([2, 4])
    with tf.GradientTape() as tape:
        loss = tf.reduce_sum(mlp(x) ** 2)
    gradients = tape.gradient(loss, mlp.trainable_variables)
    sonnet_adam.apply(gradients, mlp.trainable_variables)
    tf1_adam.apply_gradients(zip(gradients, mlp.trainable_variables, strict=True))
    iterator = iter(tf.data.Dataset.range(10))
    next(iterator)
    checkpoint = tf.train.Checkpoint(
        model=mlp, optimizer=sonnet_adam, tf1_optimizer=tf1_adam, iterator=iterator
    )
    manager = tf.train.CheckpointManager(checkpoint, str(out / "optimizer"), max_to_keep=2)
    owned = _names(sonnet_adam.variables) + _names(tf1_adam.variables())
    write_roles(out, "optimizer", _names(mlp.trainable_variables), [], owned)
    return manager.save()


def keras_adam(out: pathlib.Path) -> str:
    """A Keras 3 model and its Adam in a `tf.train.Checkpoint`. Breadth first, the model's
    variables are reached through the optimizer's `_trainable_variables` before the model."""
    tf.keras.utils.set_random_seed(0)
    layers = tf.keras.layers
    model = tf.keras.Sequential(
        [tf.keras.Input((3,)), layers.Dense(4), layers.BatchNormalization(), layers.Dense(2)]
    )
    adam = tf.keras.optimizers.Adam(0.1)
    with tf.GradientTape() as tape:
        loss = tf.reduce_sum(model(tf.ones([2, 3]), training=True) ** 2)
    gradients = tape.gradient(loss, model.trainable_variables)
    adam.apply_gradients(zip(gradients, model.trainable_variables, strict=True))
    checkpoint = tf.train.Checkpoint(model=model, optimizer=adam)
    prefix = checkpoint.write(str(out / "keras_adam" / "ckpt"))
    paths = [[v.path for v in group] for group in (model.trainable_variables,
             model.non_trainable_variables, adam.variables)]  # fmt: skip
    write_roles(out, "keras_adam", *paths)
    return prefix


def tf1_optimizers(out: pathlib.Path) -> str:
    """A TF1 `Saver` checkpoint: every `tf.compat.v1.train` optimizer with slots trains the
    same variables, and an `ExponentialMovingAverage` keeps shadows of them."""
    v1 = tf.compat.v1
    graph = tf.Graph()
    with graph.as_default(), v1.Session(graph=graph) as session:
        with v1.variable_scope("net"):
            w = v1.get_variable("w", [3, 2], initializer=v1.random_normal_initializer(seed=1))
            b = v1.get_variable("b", [2], initializer=v1.ones_initializer())
        step = v1.train.get_or_create_global_step()
        loss = tf.reduce_sum(tf.matmul(tf.ones([1, 3]), w) + b)
        optimizers = [
            v1.train.AdamOptimizer(0.1),
            v1.train.MomentumOptimizer(0.1, 0.9),
            v1.train.RMSPropOptimizer(0.1),
            v1.train.AdagradOptimizer(0.1),
            v1.train.FtrlOptimizer(0.1),
        ]
        train = [opt.minimize(loss, global_step=step if i == 0 else None)
                 for i, opt in enumerate(optimizers)]  # fmt: skip
        ema = v1.train.ExponentialMovingAverage(0.9)
        with tf.control_dependencies(train):
            average = ema.apply([w, b])
        session.run(v1.global_variables_initializer())
        session.run(average)
        (out / "tf1_optimizers").mkdir()
        prefix = v1.train.Saver().save(session, str(out / "tf1_optimizers" / "model.ckpt"))
        owned = {v.op.name for opt in optimizers for v in opt.variables()}
        trainable = {v.op.name for v in v1.trainable_variables()}
        others = {v.op.name for v in v1.global_variables()} - owned - trainable
    write_roles(out, "tf1_optimizers", trainable, others, owned)
    return prefix
