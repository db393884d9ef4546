"""The frame stack: JAX-usage checking and re-enterable contexts."""

import haiku
import jax
import jax.numpy as jnp
import pytest

import sonnax
from sonnax._src.core import frames, interceptors


def _linear_under_raw_vmap(lib):
    def f(x):
        return jax.vmap(lambda row: lib.Linear(2)(row))(x)

    return lib.transform(f)


@pytest.mark.parametrize("lib", [haiku, sonnax], ids=["haiku", "sonnax"])
def test_raw_jax_transform_is_refused_when_checking(lib):
    model = _linear_under_raw_vmap(lib)
    with lib.config.context(check_jax_usage=True):
        with pytest.raises(ValueError, match="(?s)overloaded transform .*`hk.get_parameter`"):
            model.init(jax.random.PRNGKey(0), jnp.ones([3, 4]))


def test_usage_error_is_a_value_error_subclass():
    with sonnax.config.context(check_jax_usage=True):
        with pytest.raises(frames.JaxUsageError):
            _linear_under_raw_vmap(sonnax).init(jax.random.PRNGKey(0), jnp.ones([3, 4]))


def test_raw_jax_transform_runs_when_not_checking():
    params = _linear_under_raw_vmap(sonnax).init(jax.random.PRNGKey(0), jnp.ones([3, 4]))
    assert jax.tree.map(jnp.shape, params) == {"linear": {"b": (2,), "w": (4, 2)}}


@pytest.mark.parametrize(
    "use",
    [
        lambda: sonnax.next_rng_key(),
        lambda: sonnax.next_rng_keys(2),
        lambda: sonnax.maybe_next_rng_key(),
        lambda: sonnax.reserve_rng_keys(1),
        lambda: sonnax.get_state("s", [], init=jnp.zeros),
        lambda: sonnax.set_state("s", 1.0),
    ],
    ids=[
        "next_rng_key",
        "next_rng_keys",
        "maybe_next_rng_key",
        "reserve",
        "get_state",
        "set_state",
    ],
)
def test_every_side_effecting_api_is_checked(use):
    def f(x):
        return jax.vmap(lambda row: (use(), row)[1])(x)

    model = sonnax.transform_with_state(f)
    with sonnax.config.context(check_jax_usage=True):
        with pytest.raises(frames.JaxUsageError):
            model.init(jax.random.PRNGKey(0), jnp.ones([2]))


def test_checked_code_runs_under_jit_of_apply():
    model = sonnax.transform(lambda x: sonnax.Linear(2)(x))
    x = jnp.ones([1, 3])
    with sonnax.config.context(check_jax_usage=True):
        params = jax.jit(model.init)(jax.random.PRNGKey(0), x)
        assert jax.jit(model.apply)(params, None, x).shape == (1, 2)


def test_context_can_be_reentered_and_keeps_names_unique():
    context = frames.Context({}, {}, sonnax.PRNGSequence(0), params_frozen=False)
    with context:
        first = sonnax.Linear(1)
        first(jnp.ones([1, 1]))
    with context:
        second = sonnax.Linear(1)
        second(jnp.ones([1, 1]))
    assert (first.module_name, second.module_name) == ("linear", "linear_1")
    assert sorted(context.params) == ["linear", "linear_1"]
    assert not frames.inside_transform()


def _fails_inside_a_module(x):
    class Broken(sonnax.Module):
        def __call__(self, x):
            with sonnax.name_scope("scope"), sonnax.custom_getter(lambda next_, v, c: next_(v)):
                sonnax.Linear(2)(x)
                raise RuntimeError("boom")

    return Broken()(x)


def test_an_error_inside_a_transform_leaves_no_frame_or_interceptor_behind():
    x = jnp.ones([1, 3])
    with pytest.raises(RuntimeError, match="boom"):
        sonnax.transform(_fails_inside_a_module).init(jax.random.PRNGKey(0), x)
    assert not frames.inside_transform()
    assert not any(vars(interceptors.stacks).values())
    model = sonnax.transform(lambda x: sonnax.Linear(2)(x))
    params = model.init(jax.random.PRNGKey(0), x)
    assert list(params) == ["linear"]
