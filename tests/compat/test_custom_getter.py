"""`snt.custom_variable_getter`: the same outputs and gradients as under TF Sonnet's.

Modules use deterministic initializers, so both sides start from the same values
without copying; each check runs the same code with `snt` bound to each side.
"""

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

X = np.random.default_rng(0).standard_normal((2, 3)).astype(np.float32)


def _linear(snt: Any, name: str) -> Any:
    return snt.Linear(
        2,
        w_init=snt.initializers.Identity(gain=0.5),
        b_init=snt.initializers.Constant(0.25),
        name=name,
    )


def _double(snt: Any) -> Any:
    return lambda v: 2.0 * v


def _plain_then_doubled(snt, x):
    a = _linear(snt, "a")
    plain = a(x)
    with snt.custom_variable_getter(_double(snt)):
        doubled = a(x)
    return plain, doubled, a(x)


def _doubled_first(snt, x):
    # First call (variables created) inside the block; the module is plain afterwards.
    a = _linear(snt, "a")
    with snt.custom_variable_getter(_double(snt)):
        doubled = a(x)
    return doubled, a(x)


def _only_instance(snt, x):
    a, b = _linear(snt, "a"), _linear(snt, "b")
    a(x), b(x)
    with snt.custom_variable_getter(_double(snt), instances=[a]):
        return a(x), b(x)


def _only_class(snt, x):
    a = _linear(snt, "a")
    mlp = snt.Sequential([_linear(snt, "inner"), lambda y: y + 1.0])
    a(x), mlp(x)
    with snt.custom_variable_getter(_double(snt), classes=[snt.Sequential]):
        # Sequential holds no variables itself: nothing changes, in Sonnet as here.
        return a(x), mlp(x)


def _container_instance(snt, x):
    mlp = snt.nets.MLP(
        [2, 2],
        w_init=snt.initializers.Identity(gain=0.5),
        b_init=snt.initializers.Constant(0.25),
        name="mlp",
    )
    mlp(x)
    with snt.custom_variable_getter(_double(snt), instances=[mlp]):
        unchanged = mlp(x)  # The variables are the layers', not the MLP's own.
    with snt.custom_variable_getter(_double(snt), classes=[snt.Linear]):
        changed = mlp(x)
    return unchanged, changed


CASES = {
    "plain_then_doubled": _plain_then_doubled,
    "doubled_first": _doubled_first,
    "only_instance": _only_instance,
    "only_class": _only_class,
    "container_instance": _container_instance,
}


def _undo_sonnet_class_patches():
    # Leaving the block, Sonnet sets `cls.__getattribute__` back to what it read, which for
    # a class that inherited it is a new entry in the class: a later block patching
    # `snt.Module` then misses that class. Remove such entries between cases.
    for cls in (sonnet.Linear, sonnet.Sequential, sonnet.nets.MLP):
        if "__getattribute__" in vars(cls):
            delattr(cls, "__getattribute__")


def _tf_outputs(case):
    try:
        return [o.numpy() for o in tf.nest.flatten(case(sonnet, tf.constant(X)))]
    finally:
        _undo_sonnet_class_patches()


@pytest.mark.parametrize("jit", [False, True], ids=["eager", "jit"])
@pytest.mark.parametrize("name", sorted(CASES))
def test_outputs_match_sonnet(name, jit):
    case = CASES[name]
    f = sonnax.transform_with_state(lambda x: case(compat, x))
    params, state = f.init(jax.random.PRNGKey(0), jnp.asarray(X))
    apply = jax.jit(f.apply) if jit else f.apply
    outputs, _ = apply(params, state, None, jnp.asarray(X))
    expected = _tf_outputs(case)
    actual = jax.tree.leaves(outputs)
    assert len(actual) == len(expected)
    for got, want in zip(actual, expected, strict=True):
        np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-6, err_msg=name)


def test_stop_gradient_getter_blocks_gradients_like_sonnet():
    def run(snt, x, blocked):
        a = _linear(snt, "a")
        if blocked:
            with snt.custom_variable_getter(_stop_gradient(snt)):
                return a, a(x)
        return a, a(x)

    for blocked in (False, True):
        with tf.GradientTape() as tape:
            a, y = run(sonnet, tf.constant(X), blocked)
            loss = tf.reduce_sum(y**2)
        tf_grads = tape.gradient(loss, [a.w, a.b])
        tf_grads = [
            np.zeros(v.shape, np.float32) if g is None else g.numpy()
            for g, v in zip(tf_grads, [a.w, a.b], strict=True)
        ]

        f = sonnax.transform(lambda x, blocked=blocked: jnp.sum(run(compat, x, blocked)[1] ** 2))
        params = f.init(jax.random.PRNGKey(0), jnp.asarray(X))
        grads = jax.grad(f.apply)(params, None, jnp.asarray(X))
        np.testing.assert_allclose(grads["a"]["w"], tf_grads[0], rtol=1e-5, err_msg=str(blocked))
        np.testing.assert_allclose(grads["a"]["b"], tf_grads[1], rtol=1e-5, err_msg=str(blocked))
        assert (np.abs(tf_grads[0]).sum() == 0) == blocked


def _stop_gradient(snt):
    return tf.stop_gradient if snt is sonnet else jax.lax.stop_gradient


class Reads(compat.Module):
    """Reads its parameter through `get_parameter` on every call, caching nothing."""

    def __call__(self, x):
        return x * sonnax.get_parameter("scale", [], init=jnp.ones)


def test_getter_applies_to_parameters_read_through_get_parameter():
    def forward(x):
        a, b = Reads(name="a"), Reads(name="b")
        with compat.custom_variable_getter(lambda v: 3.0 * v, instances=[a]):
            inside = (a(x), b(x))
        return inside, (a(x), b(x))

    f = sonnax.transform(forward)
    (a_in, b_in), (a_out, b_out) = f.apply(f.init(None, 1.0), None, 1.0)
    assert (float(a_in), float(b_in), float(a_out), float(b_out)) == (3.0, 1.0, 1.0, 1.0)


def test_classes_are_patched_only_inside_the_block():
    def forward(x):
        a = _linear(compat, "a")
        with compat.custom_variable_getter(lambda v: v, classes=[compat.Linear]):
            assert "__getattribute__" in vars(compat.Linear)
            a(x)
        assert "__getattribute__" not in vars(compat.Linear)
        # Unlike Sonnet's, a later block on every module still reaches `Linear`.
        with compat.custom_variable_getter(lambda v: 2.0 * v):
            doubled = a(x)
        return doubled, a(x)

    f = sonnax.transform(forward)
    x = jnp.asarray(X)
    doubled, plain = f.apply(f.init(jax.random.PRNGKey(0), x), None, x)
    np.testing.assert_allclose(doubled, 2.0 * plain, rtol=1e-6)
    assert "__getattribute__" not in vars(compat.Module)


class Averages(compat.Module):
    """Reads state through `get_state` on every call."""

    def __call__(self, x):
        total = sonnax.get_state("total", [], init=jnp.zeros)
        sonnax.set_state("total", total + x)
        return total


def test_getter_applies_to_state_reads():
    def forward(x):
        module = Averages()
        with compat.custom_variable_getter(lambda v: v + 10.0):
            inside = module(x)
        return inside, module(x)

    f = sonnax.transform_with_state(forward)
    params, state = f.init(None, 1.0)
    (inside, outside), _ = f.apply(params, state, None, 1.0)
    # Inside, the module sees 0 + 10 and stores 10 + 1; outside it reads what was stored.
    assert (float(inside), float(outside)) == (10.0, 11.0)


def test_getter_outside_a_transform_is_refused():
    with pytest.raises(ValueError, match="inside the function given to a sonnax transform"):
        with compat.custom_variable_getter(lambda v: v):
            pass
