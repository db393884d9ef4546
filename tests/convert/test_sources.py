"""Tests for sonnax/convert/_load/sources.py: from_module, from_checkpoint, from_saved_model."""

import jax
import numpy as np
import pytest
import sonnet
import tensorflow as tf

import sonnax
import sonnax.convert
from sonnax import compat

tf.config.experimental.enable_tensor_float_32_execution(False)


@pytest.fixture(autouse=True)
def _highest_matmul_precision():
    with jax.default_matmul_precision("highest"):
        yield


def _randomize(module: tf.Module, seed: int = 0) -> None:
    rng = np.random.default_rng(seed)
    for variable in module.variables:
        shape = variable.shape
        if variable.dtype.is_floating:
            variable.assign(rng.standard_normal(shape).astype(variable.dtype.as_numpy_dtype))
        else:
            variable.assign(rng.integers(1, 5, shape).astype(variable.dtype.as_numpy_dtype))


def _mlp_with_batch_norm():
    class Net(sonnet.Module):
        def __init__(self, name=None):
            super().__init__(name=name)
            self.mlp = sonnet.nets.MLP([5, 3], name="mlp")
            self.norm = sonnet.BatchNorm(True, True, name="batch_norm")

        def __call__(self, x, is_training):
            return self.norm(self.mlp(x), is_training=is_training)

    return Net


def _tf_net(x):
    snt_net = _mlp_with_batch_norm()(name="net")
    snt_net(x, is_training=True)
    _randomize(snt_net)
    return snt_net


def _compat_apply(params, state, x):
    def forward(x):
        net = _compat_net_class()(name="net")
        return net(x, is_training=False)

    transformed = sonnax.transform_with_state(forward)
    out, _ = transformed.apply(params, state, None, x)
    return np.asarray(out)


def _compat_net_class():
    class Net(compat.Module):
        def __init__(self, name=None):
            super().__init__(name=name)
            self.mlp = compat.nets.MLP([5, 3], name="mlp")
            self.norm = compat.BatchNorm(True, True, name="batch_norm")

        def __call__(self, x, is_training):
            return self.norm(self.mlp(x), is_training=is_training)

    return Net


@pytest.fixture(scope="module")
def x():
    return np.random.default_rng(1).standard_normal((4, 6)).astype(np.float32)


@pytest.fixture(scope="module")
def tf_net(x):
    return _tf_net(x)


def test_from_module_places_params_and_state_as_compat_does(tf_net, x):
    params, state = sonnax.convert.from_module(tf_net)
    assert sorted(params) == ["net/~/batch_norm", "net/~/mlp/~/linear_0", "net/~/mlp/~/linear_1"]
    assert sorted(params["net/~/batch_norm"]) == ["offset", "scale"]
    assert sorted(state) == ["net/~/batch_norm/~/moving_mean", "net/~/batch_norm/~/moving_variance"]
    assert sorted(state["net/~/batch_norm/~/moving_mean"]) == ["average", "counter", "hidden"]
    expected = tf_net(tf.constant(x), is_training=False).numpy()
    np.testing.assert_allclose(_compat_apply(params, state, x), expected, rtol=1e-5, atol=1e-6)


def test_from_module_values_are_the_variables(tf_net):
    params, _ = sonnax.convert.from_module(tf_net)
    w = tf_net.mlp._layers[1].w
    assert isinstance(params["net/~/mlp/~/linear_1"]["w"], np.ndarray)
    np.testing.assert_array_equal(params["net/~/mlp/~/linear_1"]["w"], w.numpy())


def test_from_module_leaves_optimizer_state_out_unless_asked(tf_net, x):
    holder = tf.Module(name="holder")
    holder.net = tf_net
    holder.optimizer = sonnet.optimizers.Adam(0.1)
    with tf.GradientTape() as tape:
        loss = tf.reduce_sum(tf_net(tf.constant(x), is_training=False))
    variables = tf_net.trainable_variables
    holder.optimizer.apply(tape.gradient(loss, variables), variables)
    params, state = sonnax.convert.from_module(holder)
    assert not any(module.startswith("adam") for module in state)
    assert len(params) == 3
    _, with_slots = sonnax.convert.from_module(holder, include_slots=True)
    slot_modules = {module for module in with_slots if module.startswith("adam")}
    assert slot_modules, sorted(with_slots)
    assert with_slots["adam"]["t"] == 1


def test_from_module_warns_of_colliding_names():
    holder = tf.Module()
    holder.a = sonnet.Linear(2, name="linear")
    holder.b = sonnet.Linear(2, name="linear")
    for linear in (holder.a, holder.b):
        linear(tf.ones([1, 3]))
    with pytest.warns(UserWarning) as caught:
        params, _ = sonnax.convert.from_module(holder)
    messages = sorted(str(warning.message) for warning in caught)
    assert len(messages) == 4, messages
    assert "name collision: 'linear/w' (key 'b/w')" in messages[-1]
    assert "placed at params['b']['w'] by its object path 'b/w'" in messages[-1]
    assert sorted(params) == ["a", "b"]
    np.testing.assert_array_equal(params["b"]["w"], holder.b.w.numpy())


def test_from_module_rejects_what_is_not_a_module():
    with pytest.raises(TypeError, match=r"from_module: expected a tf.Module .*got dict"):
        sonnax.convert.from_module({"w": np.ones(3)})


@pytest.fixture(scope="module")
def checkpoint_prefix(tf_net, tmp_path_factory):
    directory = tmp_path_factory.mktemp("checkpoint")
    return tf.train.Checkpoint(module=tf_net).write(str(directory / "ckpt"))


def test_from_checkpoint_selects_casts_and_renames(checkpoint_prefix, tf_net):
    params, state = sonnax.convert.from_checkpoint(
        checkpoint_prefix, include=["mlp/"], dtype="bfloat16", rename=[(r"^net/mlp/", "mlp/")]
    )
    assert sorted(params) == ["mlp/~/linear_0", "mlp/~/linear_1"] and state == {}
    w = params["mlp/~/linear_0"]["w"]
    assert w.dtype.name == "bfloat16"
    np.testing.assert_array_equal(w, tf_net.mlp._layers[0].w.numpy().astype(w.dtype))
    params, state = sonnax.convert.from_checkpoint(checkpoint_prefix, exclude=["batch_norm"])
    assert "net/~/batch_norm" not in params and state == {}


def test_from_saved_model_refuses_a_checkpoint(checkpoint_prefix):
    with pytest.raises(sonnax.convert.NotACheckpointError, match=r"is not a SavedModel directory"):
        sonnax.convert.from_saved_model(checkpoint_prefix)
