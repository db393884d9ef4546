"""Tests for sonnax/_src/layers/sequential.py, with dm-haiku 0.0.17 as the oracle."""

import inspect
import re

import haiku
import jax
import jax.numpy as jnp
import pytest

import sonnax
from tests import helpers

X = jax.random.normal(jax.random.PRNGKey(0), [2, 3])


def _scale_and_shift(x, scale, shift=0.0):
    return x * scale + shift


STACKS = {
    "empty": lambda lib: [],
    "one_linear": lambda lib: [lib.Linear(4)],
    "linear_relu_linear": lambda lib: [lib.Linear(4), jax.nn.relu, lib.Linear(2)],
    "three_linears_no_bias": lambda lib: [lib.Linear(n, with_bias=False) for n in (5, 4, 3)],
    "with_bias_and_flatten": lambda lib: [lib.Linear(4), lib.Bias(), lib.Flatten()],
}


@pytest.mark.parametrize("layers", STACKS.values(), ids=STACKS.keys())
def test_matches_haiku(layers):
    helpers.assert_matches_haiku(lambda lib, x: lib.Sequential(layers(lib))(x), X)


def test_first_layer_gets_extra_arguments():
    def build(lib, x, scale):
        layers = [_scale_and_shift, lib.Linear(3), jnp.tanh]
        return lib.Sequential(layers, name="stack")(x, scale, shift=0.5)

    helpers.assert_matches_haiku(build, X, jnp.full([3], 2.0))


def test_layers_built_inside_a_module_are_named_after_it():
    def build(lib, x):
        class Net(lib.Module):
            def __call__(self, x):
                return lib.Sequential([lib.Linear(4), jax.nn.relu, lib.Linear(1)])(x)

        return Net()(x)

    params, _ = helpers.assert_matches_haiku(build, X)
    assert sorted(params) == ["net/linear", "net/linear_1"]


def test_jit_and_vmap():
    def build(lib, x):
        return lib.Sequential([lib.Linear(4), jax.nn.relu, lib.Linear(2)])(x)

    helpers.assert_jit_and_vmap_match(build, X)


def _shift_fn(lib):
    def shifted(x):
        """Adds a learned scalar."""
        return x + lib.get_parameter("b", [], init=jnp.ones)

    return shifted


def _to_module_build(uses):
    return lambda lib, x: uses(lib.to_module(_shift_fn(lib)), x)


TO_MODULE = {
    "default_name": lambda cls, x: cls()(x),
    "custom_name": lambda cls, x: cls(name="my_shift")(x),
    "called_twice_shares": lambda cls, x: (lambda m: m(x) * m(x))(cls()),
    "two_instances": lambda cls, x: cls()(x) + cls()(x),
}


@pytest.mark.parametrize("uses", TO_MODULE.values(), ids=TO_MODULE.keys())
def test_to_module_matches_haiku(uses):
    helpers.assert_matches_haiku(_to_module_build(uses), X)


def test_to_module_keeps_the_function_docs_and_signature():
    shifted = _shift_fn(sonnax)
    cls = sonnax.to_module(shifted)
    assert cls.__doc__ == shifted.__doc__
    assert cls.__call__.__name__ == "shifted"
    assert inspect.unwrap(cls.__call__) is shifted
    assert inspect.signature(cls.__call__) == inspect.signature(shifted)


def test_to_module_jit_and_vmap():
    helpers.assert_jit_and_vmap_match(_to_module_build(TO_MODULE["default_name"]), X)


def test_to_module_class_is_named_like_haiku():
    def build(lib):
        cls = lib.to_module(_shift_fn(lib))
        return lib.transform(lambda: (cls.__name__, repr(cls(name="foo")))).apply({}, None)

    assert build(sonnax) == build(haiku) == ("ToModuleWrapper", "ToModuleWrapper(name='foo')")


def test_to_module_rejects_a_non_string_name():
    garbage = object()

    def trigger(lib):
        cls = lib.to_module(_shift_fn(lib))
        lib.transform(lambda: cls(garbage)).init(None)

    helpers.assert_raises_like_haiku(
        TypeError,
        f"Expected a string name .* got: {re.escape(str(garbage))}",
        r"`hk.to_module\(shifted\)`.*gives back a module class, not a module",
        trigger,
    )
