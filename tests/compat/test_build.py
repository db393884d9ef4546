"""`snt.build`: the same output specs and created variables as TF Sonnet's, no side effects."""

from __future__ import annotations

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


def _spec_of_compat(spec: Any) -> Any:
    """`(shape with None for symbolic dimensions, dtype name)`, or the leaf as is."""
    if isinstance(spec, jax.ShapeDtypeStruct):
        shape = tuple(d if isinstance(d, int) else None for d in spec.shape)
        return shape, jnp.dtype(spec.dtype).name
    return spec


def _spec_of_tf(spec: Any) -> Any:
    if isinstance(spec, tf.TensorSpec):
        return tuple(spec.shape.as_list()), spec.dtype.name
    return spec


def _mlp(snt):
    return snt.nets.MLP([5, 2], name="mlp")


def _conv(snt):
    return snt.Conv2D(4, 3, stride=2, name="conv")


def _sequential(snt):
    return snt.Sequential([snt.Linear(3, name="a"), snt.Flatten(), snt.Linear(2, name="b")])


def _batch_norm(snt):
    module = snt.BatchNorm(create_scale=True, create_offset=True, name="bn")
    return lambda x: module(x, is_training=True)


def _pair(snt):
    linear = snt.Linear(3, name="pair")
    return lambda x, y: {"sum": linear(x) + linear(y), "first": x}


# (id, build(snt) -> callable, positional arguments given to `snt.build`)
BUILDS = [
    ("mlp_unknown_batch", _mlp, ([None, 4],)),
    ("mlp_known_batch", _mlp, ([3, 4],)),
    ("conv_unknown_batch", _conv, ([None, 8, 8, 3],)),
    ("sequential", _sequential, ([None, 4],)),
    ("batch_norm", _batch_norm, ([None, 6],)),
    ("two_inputs_nested_output", _pair, ([None, 4], [None, 4])),
]


def _tf_build(make, args):
    created: list[str] = []

    def record(next_creator, **kwargs):
        variable = next_creator(**kwargs)
        created.append(variable.name)
        return variable

    with tf.variable_creator_scope(record):
        spec = sonnet.build(make(sonnet), *args)
    return jax.tree.map(_spec_of_tf, spec), sorted(split_name(n) for n in created)


def _compat_build(make, args):
    specs = []

    def forward():
        specs.append(compat.build(make(compat), *args))

    params, state = sonnax.transform_with_state(forward).init(jax.random.PRNGKey(0))
    created = sorted((m, n) for tree in (params, state) for m, b in tree.items() for n in b)
    return jax.tree.map(_spec_of_compat, specs[0]), created


@pytest.mark.parametrize(("name", "make", "args"), BUILDS, ids=[b[0] for b in BUILDS])
def test_build_inside_a_transform_matches_sonnet(name, make, args):
    tf_spec, tf_created = _tf_build(make, args)
    spec, created = _compat_build(make, args)
    assert spec == tf_spec
    assert created == tf_created


@pytest.mark.parametrize(("name", "make", "args"), BUILDS, ids=[b[0] for b in BUILDS])
def test_build_outside_a_transform_gives_sonnets_specs(name, make, args):
    # Compat modules exist only inside transforms: outside, `f` builds its own modules.
    spec = compat.build(lambda *xs: make(compat)(*xs), *args)
    assert jax.tree.map(_spec_of_compat, spec) == _tf_build(make, args)[0]


def test_build_runs_no_state_updates_like_sonnet():
    tf_module = sonnet.ExponentialMovingAverage(decay=0.5)
    sonnet.build(tf_module, [])
    tf_counter = int(tf_module._counter.numpy())  # Sonnet keeps the counter private.

    def forward():
        ema = compat.ExponentialMovingAverage(decay=0.5)
        compat.build(ema, [])
        return sonnax.get_current_state()

    f = sonnax.transform_with_state(forward)
    params, state = f.init(None)
    current, _ = f.apply(params, state, None)
    assert int(current["exponential_moving_average"]["counter"]) == tf_counter == 0
    assert float(jnp.abs(current["exponential_moving_average"]["hidden"]).sum()) == 0.0


def test_build_then_call_uses_the_created_parameters():
    def forward(x):
        linear = compat.Linear(3)
        compat.build(linear, [None, 4])
        return linear(x)

    f = sonnax.transform(forward)
    x = jnp.ones([2, 4])
    params = f.init(jax.random.PRNGKey(0), x)
    expected = x @ params["linear"]["w"] + params["linear"]["b"]
    np.testing.assert_allclose(f.apply(params, None, x), expected, rtol=1e-6)
    np.testing.assert_allclose(jax.jit(f.apply)(params, None, x), expected, rtol=1e-6)
    assert jax.tree.map(jnp.shape, jax.jit(f.init)(jax.random.PRNGKey(0), x)) == jax.tree.map(
        jnp.shape, params
    )


def test_build_keeps_non_array_arguments_and_outputs():
    # As in Sonnet, only positional shapes become specs; other values pass through.
    out = compat.build(
        lambda x, scale, flag=None: {"x": x * scale, "flag": flag}, [2], 3.0, flag="a"
    )
    assert out["flag"] == "a"
    assert _spec_of_compat(out["x"]) == ((2,), "float32")
    given = compat.build(lambda x: x, {"foo": [jnp.ones([], jnp.float16), None]})
    assert jax.tree.map(_spec_of_compat, given) == {"foo": [((), "float16"), None]}
