"""Compat normalization, moving averages and metrics: signatures, errors and names."""

import inspect

import jax
import jax.numpy as jnp
import numpy as np
import pytest
import sonnet

import sonnax
from sonnax import compat

CLASSES = [
    "BaseBatchNorm",
    "BatchNorm",
    "LayerNorm",
    "InstanceNorm",
    "GroupNorm",
    "ExponentialMovingAverage",
    "Mean",
    "Sum",
]


def _defaults(fn):
    return [(p.name, p.kind, p.default) for p in inspect.signature(fn).parameters.values()]


@pytest.mark.parametrize("name", CLASSES)
def test_signatures_match_sonnet(name):
    ours, theirs = getattr(compat, name), getattr(sonnet, name)
    assert _defaults(ours.__init__) == _defaults(theirs.__init__)
    # Sonnet's name-scope wrapper hides some `__call__` signatures behind `*args, **kwargs`.
    their_call = _defaults(theirs.__call__)
    if [kind for _, kind, _ in their_call][1:] != [
        inspect.Parameter.VAR_POSITIONAL,
        inspect.Parameter.VAR_KEYWORD,
    ]:
        assert _defaults(ours.__call__) == their_call


def _run(f, *args):
    transformed = sonnax.transform_with_state(f)
    params, state = transformed.init(None, *args)
    return transformed.apply(params, state, None, *args)


def test_batch_norm_state_names():
    def f(x):
        return compat.BatchNorm(True, False)(x, is_training=True)

    _, state = _run(f, jnp.ones([2, 3]))
    assert sorted(state) == [
        "batch_norm",
        "batch_norm/~/moving_mean",
        "batch_norm/~/moving_variance",
    ]
    assert sorted(state["batch_norm/~/moving_mean"]) == ["average", "counter", "hidden"]
    assert sorted(state["batch_norm"]) == ["offset"]


@pytest.mark.parametrize(
    "make, message",
    [
        (
            lambda: compat.BatchNorm(False, True, scale_init=compat.initializers.Ones()),
            "scale_init",
        ),
        (
            lambda: compat.LayerNorm(-1, True, False, offset_init=compat.initializers.Ones()),
            "offset_init",
        ),
        (lambda: compat.LayerNorm("x", True, True), "axis"),
        (lambda: compat.GroupNorm(3)(jnp.ones([2, 4])), "divisible"),
        (
            lambda: compat.BatchNorm(True, True)(jnp.ones([2, 3]), True, scale=jnp.ones([3])),
            "scale",
        ),
    ],
)
def test_errors(make, message):
    with pytest.raises(ValueError, match=message):
        sonnax.transform_with_state(lambda: make()).init(None)


def test_layer_norm_rank_cannot_change():
    def f():
        ln = compat.LayerNorm(-1, True, True)
        ln(jnp.ones([2, 3]))
        ln(jnp.ones([2, 2, 3]))

    with pytest.raises(ValueError, match="rank"):
        sonnax.transform_with_state(f).init(None)


def test_ema_value_has_no_gradient_like_a_tf_variable():
    def f(x):
        return jnp.sum(compat.ExponentialMovingAverage(0.9)(x))

    transformed = sonnax.transform_with_state(f)
    params, state = transformed.init(None, jnp.ones([3]))
    grad = jax.grad(lambda x: transformed.apply(params, state, None, x)[0])(jnp.ones([3]))
    np.testing.assert_array_equal(grad, np.zeros([3]))
