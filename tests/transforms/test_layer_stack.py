"""Tests for sonnax/_src/transforms/layer_stack.py, with dm-haiku 0.0.17 as the oracle.

Besides Haiku, a stack is checked against a plain Python loop that applies the
layer, transformed on its own, with each layer's slice of the stacked params.
"""

import re

import haiku
import jax
import jax.numpy as jnp
import pytest

import sonnax
from tests import helpers

LAYERS = 3
X = jax.random.normal(jax.random.PRNGKey(0), [2, 4])
YS = jax.random.normal(jax.random.PRNGKey(1), [LAYERS, 2, 4])


def _dense(lib, x):
    return jnp.tanh(lib.Linear(4)(x))


def _fixed(lib, x, y):
    """A layer needing no rng to init (compiles fast); the per-layer `y` tells layers apart."""
    w_init = lib.initializers.Constant(jnp.arange(16.0).reshape([4, 4]) / 16)
    return jnp.tanh(lib.Linear(4, w_init=w_init)(x) * y), y.sum()


def _noisy(lib, x):
    return _dense(lib, x) + jax.random.normal(lib.next_rng_key(), x.shape)


def _per_layer(lib, **kwargs):
    return lib.layer_stack(LAYERS, with_per_layer_inputs=True, **kwargs)


def _in_module(lib, x):
    class Block(lib.Module):
        def __call__(self, x):
            x = _per_layer(lib, name="stack")(lambda x, y: _fixed(lib, x, y))(x, YS)[0]
            return _per_layer(lib)(lambda x, y: _fixed(lib, x, y))(x, YS)

    return Block()(x)


# Layers built with `_fixed` are initialised without an rng: they compile in a fraction of the
# time, which keeps this file quick on a 2-core CI machine.
FIXED = {
    "per_layer_inputs": lambda lib, x: _per_layer(lib)(lambda x, y: _fixed(lib, x, y))(x, YS),
    "two_arguments": lambda lib, x: lib.layer_stack(LAYERS)(
        lambda x, y: (_fixed(lib, x, y)[0], y * lib.get_parameter("s", [], init=jnp.ones))
    )(x, x + 1)[0],
    "named_in_module": _in_module,
    "reverse": lambda lib, x: _per_layer(lib, pass_reverse_to_layer_fn=True)(
        lambda x, y, reverse=False: _fixed(lib, x, y * 2 if reverse else y)
    )(x, YS, reverse=True),
}


@pytest.mark.parametrize("build", FIXED.values(), ids=FIXED.keys())
def test_options_match_haiku(build):
    params, _ = helpers.assert_matches_haiku(build, X, key=None)
    assert all(jnp.shape(p)[0] in (2, LAYERS) for p in jax.tree.leaves(params))


def test_unroll_equals_unroll_1():
    one = helpers.run(sonnax, FIXED["per_layer_inputs"], None, X)
    build = lambda lib, x: _per_layer(lib, unroll=2)(lambda x, y: _fixed(lib, x, y))(x, YS)  # noqa: E731
    helpers.assert_trees_close(helpers.run(sonnax, build, None, X), one)


def test_under_jit_and_vmap_matches_haiku():
    helpers.assert_jit_and_vmap_match(FIXED["per_layer_inputs"], X, key=None)


def _layer(params, i, prefix):
    """Layer `i`'s slice of the stacked params, named as in the layer's own transform."""
    return {
        name[len(prefix) + 1 :]: jax.tree.map(lambda p: p[i], values)
        for name, values in params.items()
    }


def test_per_layer_inputs_equal_unrolled_loop():
    params, out = helpers.run(sonnax, FIXED["per_layer_inputs"], None, X)
    layer = sonnax.transform(lambda x, y: _fixed(sonnax, x, y))
    x, zs = X, []
    for i in range(LAYERS):
        x, z = layer.apply(_layer(params, i, "__layer_stack_with_per_layer"), None, x, YS[i])
        zs.append(z)
    helpers.assert_trees_close(out, (x, jnp.stack(zs)))


def _noisy_stack(lib, x):
    return lib.layer_stack(LAYERS)(lambda x: _noisy(lib, x))(x)


def test_each_layer_gets_its_own_key_as_haiku_splits_it():
    apply_key = jax.random.PRNGKey(3)
    params, out = helpers.assert_matches_haiku(_noisy_stack, X, apply_key=apply_key)
    assert jax.tree.map(jnp.shape, params) == {
        "__layer_stack_no_per_layer/linear": {"b": (LAYERS, 4), "w": (LAYERS, 4, 4)}
    }
    layer = sonnax.transform(lambda x: _noisy(sonnax, x))
    # Init: the first key of the outer sequence, split into (init, next, apply) per layer.
    key, x = sonnax.PRNGSequence(helpers.KEY).take(1)[0], X
    for i in range(LAYERS):
        init_key, key, layer_apply_key = jax.random.split(key, 3)
        expected = layer.init(init_key, x)
        helpers.assert_trees_equal(_layer(params, i, "__layer_stack_no_per_layer"), expected)
        x = layer.apply(expected, layer_apply_key, x)
    # Apply: the second key of the outer sequence, split into one key per layer.
    sequence = sonnax.PRNGSequence(apply_key)
    next(sequence)  # The first key goes to the lifted init, unused in apply.
    keys = jax.random.split(next(sequence), LAYERS)
    x = X
    for i in range(LAYERS):
        x = layer.apply(_layer(params, i, "__layer_stack_no_per_layer"), keys[i], x)
    helpers.assert_trees_close(out, x)


class _Flat:
    """Layer `i` of a stack named `block_0/...` is the loop's `block_i/...`."""

    def stacked_to_flat(self, stacked_module_name, scan_idx):
        return stacked_module_name.replace("block_0", f"block_{scan_idx}")

    def flat_to_stacked(self, unstacked_module_name):
        found = re.match(r"block_(\d+)", unstacked_module_name)
        if found is None:
            return None
        index = int(found.group(1))
        return unstacked_module_name.replace(f"block_{index}", "block_0", 1), index


def _block(lib, x, y, i):
    with lib.name_scope(f"block_{i}"):
        return _fixed(lib, x, y)


def _head(lib, x):
    return lib.Linear(4, name="head", w_init=jnp.ones)(x)


def _transparent(lib, x, transparency_map=None):
    stack = _per_layer(lib, transparent=True, transparency_map=transparency_map or _Flat())
    out, zs = stack(lambda x, y: _block(lib, x, y, 0))(x, YS)
    return out + _head(lib, x), zs


def _looped(lib, x):
    out, zs = x, []
    for i in range(LAYERS):
        out, z = _block(lib, out, YS[i], i)
        zs.append(z)
    return out + _head(lib, x), jnp.stack(zs)


def test_transparent_gives_haikus_and_the_loops_names():
    params, out = helpers.assert_matches_haiku(_transparent, X, key=None)
    loop_params, loop_out = helpers.run(sonnax, _looped, None, X)
    assert sorted(params) == ["block_0/linear", "block_1/linear", "block_2/linear", "head"]
    helpers.assert_trees_equal(params, loop_params)
    helpers.assert_trees_close(out, loop_out)


def _stateful_layer(lib, x):
    count = lib.get_state("count", [], jnp.int32, init=jnp.zeros)
    lib.set_state("count", count + 1)
    mean = lib.get_state("mean", x.shape[-1:], init=jnp.zeros)
    lib.set_state("mean", 0.5 * mean + x.mean(0))
    return _fixed(lib, x, mean * count)[0]


def test_layers_with_state_match_haiku():
    build = lambda lib, x: lib.layer_stack(LAYERS)(lambda x: _stateful_layer(lib, x))(x)  # noqa: E731
    _, state, (_, new_state) = helpers.assert_matches_haiku_with_state(build, X, key=None)
    assert state["__layer_stack_no_per_layer/~"]["count"].shape == (LAYERS,)
    assert jnp.all(new_state["__layer_stack_no_per_layer/~"]["count"] == 2)


def test_mismatched_per_layer_inputs_raise_like_haiku():
    def build(lib, x):
        stack = lib.layer_stack(LAYERS, with_per_layer_inputs=True)
        return stack(lambda x, y, z: _fixed(lib, x, y + z))(x, YS, YS[:2])

    helpers.assert_raises_like_haiku(
        AssertionError,
        f"2 != {LAYERS}",
        r"per-layer input \[1\] to have leading axis 3, got shape \(2, 2, 4\)",
        lambda lib: helpers.run(lib, build, helpers.KEY, X),
    )


def test_transparent_without_map_raises_like_haiku():
    helpers.assert_raises_like_haiku(
        ValueError,
        "transparency_map must be provided with transparent=True",
        "LayerStackTransparencyMapping",
        lambda lib: lib.layer_stack(LAYERS, transparent=True),
    )


def test_varargs_layer_raises_like_haiku():
    helpers.assert_raises_like_haiku(
        ValueError,
        "should not have any `varargs`",
        r"has `\*args`",
        lambda lib: lib.layer_stack(LAYERS)(lambda *args: args),
    )


def test_conflicting_flat_names_raise_like_haiku():
    class Collapsing(_Flat):
        def stacked_to_flat(self, stacked_module_name, scan_idx):
            return stacked_module_name

    helpers.assert_raises_like_haiku(
        ValueError,
        "Found conflicting unstacked module name for block_0/linear",
        "layer 1",
        lambda lib: helpers.run(lib, lambda lib, x: _transparent(lib, x, Collapsing()), None, X),
    )


def test_jitted_grad_matches_haiku():
    def loss(lib, params, x):
        out = lib.transform(lambda x: FIXED["reverse"](lib, x)).apply(params, None, x)
        return jnp.sum(out[0] ** 2) + jnp.sum(out[1])

    params = haiku.transform(lambda x: FIXED["reverse"](haiku, x)).init(None, X)
    expected = jax.grad(lambda p: loss(haiku, p, X))(params)
    helpers.assert_trees_close(jax.jit(jax.grad(lambda p: loss(sonnax, p, X)))(params), expected)
