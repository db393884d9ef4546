"""get_parameter, get_params and DO_NOT_STORE, with Haiku as the oracle."""

import haiku
import jax
import jax.numpy as jnp
import numpy as np
import pytest

import sonnax


def _linear_apply(params, x=None):
    f = sonnax.transform(lambda x: sonnax.Linear(2)(x))
    return f.apply(params, None, jnp.ones([1, 3]) if x is None else x)


@pytest.fixture
def linear_params():
    f = sonnax.transform(lambda x: sonnax.Linear(2)(x))
    return f.init(jax.random.PRNGKey(0), jnp.ones([1, 3]))


def test_get_parameter_creates_once_and_reuses():
    def f():
        first = sonnax.get_parameter("w", [2], init=jnp.ones)
        second = sonnax.get_parameter("w", [2], init=jnp.zeros)
        return first, second

    params = sonnax.transform(f).init(None)
    first, second = sonnax.transform(f).apply(params, None)
    np.testing.assert_array_equal(first, second)
    np.testing.assert_array_equal(params["~"]["w"], np.ones(2))


@pytest.mark.parametrize("dtype", [None, jnp.float32, jnp.bfloat16, jnp.int32])
def test_default_and_explicit_dtypes_match_haiku(dtype):
    def make(lib):
        return lambda: lib.get_parameter("w", [3], dtype, init=jnp.ones)

    expected = haiku.transform(make(haiku)).init(None)
    actual = sonnax.transform(make(sonnax)).init(None)
    assert actual["~"]["w"].dtype == expected["~"]["w"].dtype


def test_get_params_during_init_and_apply_matches_haiku():
    def make(lib, seen):
        def f(x):
            seen.append(jax.tree.map(jnp.shape, lib.get_params()))
            x = lib.Linear(1)(x)
            seen.append(jax.tree.map(jnp.shape, lib.get_params()))
            return x

        return f

    x = jnp.ones([1, 2])
    results = {}
    for lib in (haiku, sonnax):
        seen = []
        f = lib.transform(make(lib, seen))
        params = f.init(jax.random.PRNGKey(0), x)
        f.apply(params, None, x)
        results[lib.__name__] = seen
    assert results["sonnax"] == results["haiku"]


def test_missing_module_in_apply_names_module_and_parameter(linear_params):
    with pytest.raises(ValueError, match=r"parameter 'w' for module 'linear'.*no module 'linear'"):
        _linear_apply({"other": linear_params["linear"]})


def test_missing_parameter_in_apply_lists_what_the_module_has(linear_params):
    params = {"linear": {"w": linear_params["linear"]["w"]}}
    with pytest.raises(
        ValueError, match=r"parameter 'b' for module 'linear'.*has parameters \['w'\]"
    ):
        _linear_apply(params)


def test_shape_mismatch_names_both_shapes(linear_params):
    with pytest.raises(
        ValueError, match=r"'linear/w' with retrieved shape \(3, 2\) does not match"
    ):
        _linear_apply(linear_params, jnp.ones([1, 4]))


def test_dtype_kind_mismatch_names_both_dtypes(linear_params):
    params = {"linear": {"w": jnp.ones([3, 2], jnp.int32), "b": linear_params["linear"]["b"]}}
    with pytest.raises(ValueError, match=r"'linear/w' with retrieved dtype int32 .*\(float32\)"):
        _linear_apply(params)


def test_precision_difference_is_allowed_as_in_haiku(linear_params):
    half = jax.tree.map(lambda p: p.astype(jnp.bfloat16), linear_params)
    out = _linear_apply(half)
    assert out.shape == (1, 2)


def test_get_parameter_outside_transform():
    with pytest.raises(
        ValueError, match="`hk.get_parameter` must be used as part of an `hk.transform`"
    ):
        sonnax.get_parameter("w", [], init=jnp.zeros)


def test_get_parameter_without_initializer():
    with pytest.raises(ValueError, match="Initializer must be specified"):
        sonnax.transform(lambda: sonnax.get_parameter("w", [])).init(None)


def test_none_parameter_is_rejected():
    with pytest.raises(ValueError, match="Parameters cannot be `None`"):
        sonnax.transform(lambda: sonnax.get_parameter("w", [], init=lambda *_: None)).init(None)


def test_get_params_outside_transform():
    with pytest.raises(ValueError, match="`hk.get_params` must be used"):
        sonnax.get_params()


def test_missing_rng_in_apply_reports_missing_parameter():
    f = sonnax.transform(lambda x: sonnax.Linear(2)(x))
    with pytest.raises(ValueError, match="Unable to retrieve parameter 'w' for module 'linear'"):
        f.apply({}, None, jnp.ones([1, 3]))


def _pretrained_scenario(lib):
    pretrained = {"torso": {"w": jnp.ones([4, 3]), "b": jnp.ones([3])}}

    def creator(next_creator, shape, dtype, init, context):
        if context.module_name in pretrained:
            return lib.DO_NOT_STORE
        return next_creator(shape, dtype, init)

    def getter(next_getter, value, context):
        if context.module_name in pretrained:
            assert value is lib.DO_NOT_STORE
            value = pretrained[context.module_name][context.name]
        return next_getter(value)

    def f(x):
        with lib.custom_creator(creator), lib.custom_getter(getter):
            x = lib.Linear(3, name="torso")(x)
            return lib.Linear(2, name="tail")(x)

    return lib.transform(f)


def test_do_not_store_with_pretrained_torso_matches_haiku():
    x = jnp.ones([1, 4])
    outputs = {}
    for lib in (haiku, sonnax):
        f = _pretrained_scenario(lib)
        params = f.init(jax.random.PRNGKey(0), x)
        assert list(params) == ["tail"]
        outputs[lib.__name__] = (params, f.apply(params, None, x))
    jax.tree.map(np.testing.assert_array_equal, outputs["sonnax"], outputs["haiku"])


def test_do_not_store_has_no_shape_or_dtype():
    with pytest.raises(ValueError, match="does not have a shape"):
        _ = sonnax.DO_NOT_STORE.shape
    with pytest.raises(ValueError, match="does not have a dtype"):
        _ = sonnax.DO_NOT_STORE.dtype


def test_running_init():
    seen = []
    f = sonnax.transform(lambda: seen.append(sonnax.running_init()))
    f.apply(f.init(None), None)
    assert seen == [True, False]
