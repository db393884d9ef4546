"""Compat optimizers against TF Sonnet: parameters and slots after each of 5 steps."""

import zlib

import jax
import jax.numpy as jnp
import numpy as np
import optax
import pytest
import sonnet
import tensorflow as tf

from sonnax import compat

STEPS = 5
SHAPES = [(3, 4), (4,), ()]
# (step, parameter index) pairs whose update is None: the parameter and its slots are skipped.
NONE_UPDATES = {(1, 1), (3, 0), (3, 2)}

# (test id, class name, constructor kwargs).
CONFIGS = [
    ("sgd", "SGD", {"learning_rate": 0.1}),
    ("momentum", "Momentum", {"learning_rate": 0.1, "momentum": 0.9}),
    (
        "momentum_nesterov",
        "Momentum",
        {"learning_rate": 0.1, "momentum": 0.9, "use_nesterov": True},
    ),
    ("adam_defaults", "Adam", {}),
    (
        "adam_custom",
        "Adam",
        {"learning_rate": 0.1, "beta1": 0.5, "beta2": 0.9, "epsilon": 1e-3},
    ),
    ("rmsprop", "RMSProp", {"learning_rate": 0.1}),
    (
        "rmsprop_momentum",
        "RMSProp",
        {"learning_rate": 0.1, "decay": 0.5, "momentum": 0.7, "epsilon": 1e-3},
    ),
    ("rmsprop_centered", "RMSProp", {"learning_rate": 0.1, "centered": True}),
    (
        "rmsprop_centered_momentum",
        "RMSProp",
        {"learning_rate": 0.05, "momentum": 0.5, "centered": True},
    ),
]

# Compat state field: Sonnet attribute (the same names).
SLOTS = {
    "SGD": {},
    "Momentum": {"accumulated_momentum": "accumulated_momentum"},
    "Adam": {"m": "m", "v": "v"},
    "RMSProp": {"mom": "mom", "ms": "ms"},
}


def _slots(name, kwargs):
    slots = dict(SLOTS[name])
    if name == "RMSProp" and kwargs.get("centered"):
        slots["mg"] = "mg"
    return slots


def _data(test_id):
    rng = np.random.default_rng(zlib.crc32(test_id.encode()))
    params = [rng.standard_normal(s).astype(np.float32) for s in SHAPES]
    updates = [
        [
            None if (step, i) in NONE_UPDATES else rng.standard_normal(s).astype(np.float32)
            for i, s in enumerate(SHAPES)
        ]
        for step in range(STEPS)
    ]
    return params, updates


def _assert_close(got, want, what):
    np.testing.assert_allclose(
        np.asarray(got), np.asarray(want), rtol=1e-5, atol=1e-6, err_msg=what
    )


@pytest.mark.parametrize(("test_id", "name", "kwargs"), CONFIGS, ids=[c[0] for c in CONFIGS])
def test_apply_matches_sonnet(test_id, name, kwargs):
    params, updates = _data(test_id)
    tf_opt = getattr(sonnet.optimizers, name)(**kwargs)
    tf_params = [tf.Variable(p) for p in params]
    opt = getattr(compat.optimizers, name)(**kwargs)
    compat_params = [jnp.asarray(p) for p in params]
    state = opt.init(compat_params)
    apply = jax.jit(opt.apply)
    for step, step_updates in enumerate(updates):
        tf_opt.apply([None if u is None else tf.constant(u) for u in step_updates], tf_params)
        compat_params, state = apply(state, step_updates, compat_params)
        for i, (got, want) in enumerate(zip(compat_params, tf_params, strict=True)):
            _assert_close(got, want.numpy(), f"{test_id}: parameter {i} after step {step}")
        for field, attribute in _slots(name, kwargs).items():
            for i, (got, want) in enumerate(
                zip(getattr(state, field), getattr(tf_opt, attribute), strict=True)
            ):
                _assert_close(got, want.numpy(), f"{test_id}: {field}[{i}] after step {step}")
        if name == "Adam":
            assert int(state.step) == int(tf_opt.step.numpy()), f"{test_id}: step count"


@pytest.mark.parametrize(("test_id", "name", "kwargs"), CONFIGS, ids=[c[0] for c in CONFIGS])
def test_gradient_transformation_matches_sonnet(test_id, name, kwargs):
    params, updates = _data(test_id)
    updates = [
        [np.zeros_like(p) if u is None else u for u, p in zip(us, params, strict=True)]
        for us in updates
    ]
    tf_opt = getattr(sonnet.optimizers, name)(**kwargs)
    tf_params = [tf.Variable(p) for p in params]
    transform = getattr(compat.optimizers, name)(**kwargs).gradient_transformation()
    compat_params = [jnp.asarray(p) for p in params]
    state = transform.init(compat_params)

    @jax.jit
    def step_fn(params, state, updates):
        deltas, state = transform.update(updates, state, params)
        return optax.apply_updates(params, deltas), state

    for step, step_updates in enumerate(updates):
        tf_opt.apply([tf.constant(u) for u in step_updates], tf_params)
        compat_params, state = step_fn(compat_params, state, step_updates)
        for i, (got, want) in enumerate(zip(compat_params, tf_params, strict=True)):
            _assert_close(got, want.numpy(), f"{test_id}: parameter {i} after step {step}")
