"""`snt.functional` on sonnax, checked against TF Sonnet's `snt.functional`.

The same models run through TF Sonnet's functional API and compat's, the compat side
starting from TF's initial values (matched by the converter's name rule), and must give
the same parameter names and shapes, outputs, state and optimizer updates. Compat's
`init`/`apply` take an rng where TF's do not; that is the one difference.
"""

from __future__ import annotations

import inspect
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np
import pytest
import sonnet
import tensorflow as tf

import sonnax
from sonnax import compat
from sonnax.convert import split_name

RTOL = 1e-5


@pytest.fixture(autouse=True)
def _highest_matmul_precision():
    tf.config.experimental.enable_tensor_float_32_execution(False)
    with jax.default_matmul_precision("highest"):
        yield


def _tree(tf_values: dict) -> dict[str, dict[str, np.ndarray]]:
    """TF functional params/state `{ref: tensor}` as a compat tree, by the name rule."""
    tree: dict[str, dict[str, np.ndarray]] = {}
    for ref, value in tf_values.items():
        module, name = split_name(ref.deref().name)
        tree.setdefault(module, {})[name] = np.asarray(value.numpy())
    return tree


def _like(tree: dict, compat_tree: dict) -> dict:
    """`tree`'s values cast to the dtypes of `compat_tree` (TF's int64 counters are int32)."""
    return {
        module: {name: jnp.asarray(v, compat_tree[module][name].dtype) for name, v in b.items()}
        for module, b in tree.items()
    }


def _shapes(tree: dict) -> dict:
    return {(m, n): np.shape(v) for m, b in tree.items() for n, v in b.items()}


def _assert_trees_close(actual: dict, expected: dict, what: str) -> None:
    assert _shapes(actual) == _shapes(expected), what
    for module, bundle in expected.items():
        for name, value in bundle.items():
            np.testing.assert_allclose(
                np.asarray(actual[module][name], np.float64),
                np.asarray(value, np.float64),
                rtol=RTOL,
                atol=1e-6,
                err_msg=f"{what}: {module}/{name}",
            )


X = np.random.default_rng(0).standard_normal((4, 3)).astype(np.float32)


def test_variables_and_transform_match_sonnets():
    with sonnet.functional.variables():
        tf_mlp = sonnet.nets.MLP([5, 2], name="mlp")
    tf_f = sonnet.functional.transform(lambda x: tf_mlp(x))
    tf_params = tf_f.init(tf.constant(X))

    with compat.functional.variables():
        mlp = compat.nets.MLP([5, 2], name="mlp")
    f = compat.functional.transform(lambda x: mlp(x))
    params = f.init(jax.random.PRNGKey(0), jnp.asarray(X))

    assert _shapes(params) == _shapes(_tree(tf_params))
    out = f.apply(_like(_tree(tf_params), params), None, jnp.asarray(X))
    np.testing.assert_allclose(out, tf_f.apply(tf_params, tf.constant(X)).numpy(), rtol=RTOL)


def _ema(snt: Any) -> Any:
    return snt.ExponentialMovingAverage(decay=0.5, name="ema")


def _vq_ema(snt: Any) -> Any:
    module = snt.nets.VectorQuantizerEMA(
        embedding_dim=3, num_embeddings=5, commitment_cost=0.25, decay=0.9, name="vq"
    )
    return lambda x: module(x, is_training=True)["quantize"]


def _batch_norm(snt: Any) -> Any:
    module = snt.BatchNorm(create_scale=True, create_offset=True, decay_rate=0.5, name="bn")
    return lambda x: module(x, is_training=True)


STATEFUL = {"ema": _ema, "vector_quantizer_ema": _vq_ema, "batch_norm": _batch_norm}


@pytest.mark.parametrize(
    "name",
    sorted(STATEFUL),
)
def test_module_made_in_variables_keeps_state_across_applies_as_in_sonnet(name):
    # Constructed once, then initialized and applied three times by separate calls.
    with sonnet.functional.variables():
        tf_module = STATEFUL[name](sonnet)
    tf_f = sonnet.functional.transform_with_state(tf_module)
    with compat.functional.variables():
        module = STATEFUL[name](compat)
    f = compat.functional.transform_with_state(module)

    xs = [np.random.default_rng(i).standard_normal((4, 3)).astype(np.float32) for i in range(3)]
    tf_params, tf_state = tf_f.init(tf.constant(xs[0]))
    params, state = f.init(jax.random.PRNGKey(0), jnp.asarray(xs[0]))
    assert _shapes(params) == _shapes(_tree(tf_params))
    assert _shapes(state) == _shapes(_tree(tf_state))
    params = _like(_tree(tf_params), params)
    state = _like(_tree(tf_state), state)
    apply = jax.jit(f.apply)
    for step, x in enumerate(xs):
        tf_out, tf_state = tf_f.apply(tf_params, tf_state, tf.constant(x))
        out, state = apply(params, state, None, jnp.asarray(x))
        np.testing.assert_allclose(out, tf_out.numpy(), rtol=RTOL, atol=1e-6, err_msg=f"{step}")
        _assert_trees_close(state, _tree(tf_state), f"{name} state after step {step}")


def test_transform_of_a_function_that_builds_its_modules():
    f = compat.functional.transform(lambda x: compat.Linear(2, name="lin")(x))
    params = f.init(jax.random.PRNGKey(0), jnp.asarray(X))
    assert _shapes(params) == {("lin", "w"): (3, 2), ("lin", "b"): (2,)}


def test_without_state_refuses_state_like_sonnet():
    with pytest.raises(ValueError):
        with sonnet.functional.variables():
            tf_ema = _ema(sonnet)
        sonnet.functional.transform(tf_ema).init(tf.constant(1.0))
    with compat.functional.variables():
        ema = _ema(compat)
    with pytest.raises(ValueError):
        compat.functional.transform(ema).init(None, 1.0)


def test_variables_scope_names_modules_uniquely_across_blocks():
    # TF's eager scopes would give both `linear`; params need one name each.
    with compat.functional.variables():
        a = compat.Linear(2)
    with compat.functional.variables():
        b = compat.Linear(2)
    assert a.module_name != b.module_name


def test_variables_scope_refuses_values_made_outside_modules():
    with pytest.raises(ValueError, match="only modules can be constructed"):
        with compat.functional.variables():
            sonnax.get_state("orphan", [], init=jnp.zeros)


def test_variables_inside_a_transform_changes_nothing():
    def forward(x):
        with compat.functional.variables():
            linear = compat.Linear(2, name="inner")
        return linear(x)

    params = sonnax.transform(forward).init(jax.random.PRNGKey(0), jnp.asarray(X))
    assert sorted(params) == ["inner"]


# --- JAX-like functions ----------------------------------------------------------------------


def _sum(t):
    return tf.reduce_sum(t) if isinstance(t, tf.Tensor) else jnp.sum(t)


def _loss(x, y):
    return _sum(x**2) + _sum(3.0 * y), "aux"


@pytest.mark.parametrize("argnums", [0, 1, (0, 1)])
def test_grad_and_value_and_grad_match_sonnets(argnums):
    x, y = np.float32([1.0, 2.0]), np.float32([3.0])
    tf_grads = sonnet.functional.grad(_loss, argnums=argnums, has_aux=True)(
        tf.constant(x), tf.constant(y)
    )
    grads = compat.functional.grad(_loss, argnums=argnums, has_aux=True)(x, y)
    assert grads[1] == tf_grads[1] == "aux"
    for got, want in zip(jax.tree.leaves(grads[0]), tf.nest.flatten(tf_grads[0]), strict=True):
        np.testing.assert_allclose(got, want.numpy(), rtol=RTOL)

    value_loss = lambda x, y: _loss(x, y)[0]
    (tf_value, tf_g) = sonnet.functional.value_and_grad(value_loss, argnums=argnums)(
        tf.constant(x), tf.constant(y)
    )
    value, g = compat.functional.value_and_grad(value_loss, argnums=argnums)(x, y)
    np.testing.assert_allclose(value, tf_value.numpy(), rtol=RTOL)
    for got, want in zip(jax.tree.leaves(g), tf.nest.flatten(tf_g), strict=True):
        np.testing.assert_allclose(got, want.numpy(), rtol=RTOL)


def test_jit_compiles_and_runs_on_the_device_given():
    f = lambda x: {"double": 2 * x}
    x = np.arange(3, dtype=np.float32)
    np.testing.assert_array_equal(compat.functional.jit(f)(x)["double"], 2 * x)
    device = jax.devices()[-1]
    out = compat.functional.jit(f, device=device)(x)["double"]
    assert out.devices() == {device}
    np.testing.assert_array_equal(out, 2 * x)


def test_device_put_and_device_get():
    device = jax.devices()[-1]
    tree = {"a": np.ones(2, np.float32), "b": [np.zeros(3, np.float32)]}
    placed = compat.functional.device_put(tree, device)
    assert all(leaf.devices() == {device} for leaf in jax.tree.leaves(placed))
    fetched = compat.functional.device_get(placed)
    assert all(isinstance(leaf, np.ndarray) for leaf in jax.tree.leaves(fetched))
    jax.tree.map(np.testing.assert_array_equal, fetched, tree)


# --- Functional optimizers -----------------------------------------------------------------

OPTIMIZERS = {
    "sgd": {"learning_rate": 0.1},
    "adam": {"learning_rate": 0.1},
    "rmsprop": {"learning_rate": 0.1},
    "momentum": {"learning_rate": 0.1, "momentum": 0.9},
}


@pytest.mark.parametrize("name", sorted(OPTIMIZERS))
def test_functional_optimizer_matches_sonnets(name):
    with sonnet.functional.variables():
        tf_mlp = sonnet.nets.MLP([4, 2], name="mlp")
    tf_loss = sonnet.functional.transform(lambda x: tf.reduce_sum(tf_mlp(x) ** 2))
    tf_params = tf_loss.init(tf.constant(X))
    tf_opt = getattr(sonnet.functional, name)(**OPTIMIZERS[name])
    tf_opt_state = tf_opt.init(tf_params)

    loss = compat.functional.transform(
        lambda x: (compat.nets.MLP([4, 2], name="mlp")(x) ** 2).sum()
    )
    params = loss.init(jax.random.PRNGKey(0), jnp.asarray(X))
    params = _like(_tree(tf_params), params)
    opt = getattr(compat.functional, name)(**OPTIMIZERS[name])
    opt_state = opt.init(params)
    grad = compat.functional.grad(loss.apply)

    tf_grad = sonnet.functional.grad(tf_loss.apply)
    for step in range(3):
        tf_grads = tf_grad(tf_params, tf.constant(X))
        tf_params, tf_opt_state = tf_opt.apply(tf_opt_state, tf_grads, tf_params)
        grads = grad(params, None, jnp.asarray(X))
        params, opt_state = opt.apply(opt_state, grads, params)
        _assert_trees_close(params, _tree(tf_params), f"{name} params after step {step}")


def test_optimizer_wraps_the_constructor():
    for name in OPTIMIZERS:
        cls = getattr(
            compat.optimizers, {"sgd": "SGD", "rmsprop": "RMSProp"}.get(name, name.title())
        )
        assert inspect.signature(getattr(compat.functional, name)) == inspect.signature(
            cls.__init__
        )
    made = compat.functional.optimizer(compat.optimizers.SGD)(0.5)
    assert made._fields == ("init", "apply")
