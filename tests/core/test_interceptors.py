"""Custom creators, getters, setters and method interceptors, with Haiku as the oracle."""

import haiku
import jax
import jax.numpy as jnp
import numpy as np
import pytest

import sonnax


def _logged_model(lib, log):
    def creator(tag):
        def create(next_creator, shape, dtype, init, context):
            log.append(
                (
                    "create",
                    tag,
                    context.full_name,
                    context.module_name,
                    context.name,
                    tuple(shape),
                    str(jnp.dtype(dtype)),
                    context.lifted_prefix_name,
                )
            )
            return next_creator(shape, dtype, init)

        return create

    def getter(tag):
        def get(next_getter, value, context):
            log.append(("get", tag, context.full_name, tuple(context.original_shape)))
            return next_getter(value * 2)

        return get

    def setter(next_setter, value, context):
        log.append(("set", context.full_name, context.original_shape, str(context.original_dtype)))
        return next_setter(value + 1)

    def f(x):
        with (
            lib.custom_creator(creator("outer"), state=True),
            lib.custom_getter(getter("outer"), state=True),
        ):
            with lib.custom_creator(creator("inner")), lib.custom_getter(getter("inner")):
                with lib.custom_setter(setter):
                    count = lib.get_state("count", [], init=jnp.zeros)
                    lib.set_state("count", count + 1)
                    return lib.Linear(2)(jax.nn.relu(lib.Linear(3)(x)))

    return lib.transform_with_state(f)


def test_creators_getters_setters_run_outermost_first_like_haiku():
    x = jnp.ones([1, 4])
    results = {}
    for lib in (haiku, sonnax):
        log = []
        f = _logged_model(lib, log)
        params, state = f.init(jax.random.PRNGKey(0), x)
        out, new_state = f.apply(params, state, None, x)
        results[lib.__name__] = (log, params, state, out, new_state)
    ours, theirs = results["sonnax"], results["haiku"]
    assert ours[0] == theirs[0]
    jax.tree.map(np.testing.assert_array_equal, ours[1:], theirs[1:])


def test_creator_can_change_dtype_and_getter_cast_back():
    def creator(next_creator, shape, dtype, init, context):
        return next_creator(shape, jnp.float32, init)

    def getter(next_getter, value, context):
        return next_getter(value.astype(context.original_dtype))

    def f(x):
        with sonnax.custom_creator(creator), sonnax.custom_getter(getter):
            return sonnax.Linear(2)(x)

    x = jnp.ones([1, 3], jnp.bfloat16)
    model = sonnax.transform(f)
    params = model.init(jax.random.PRNGKey(0), x)
    assert params["linear"]["w"].dtype == jnp.float32
    assert model.apply(params, None, x).dtype == jnp.bfloat16


def test_setter_do_not_store_drops_the_value():
    def setter(next_setter, value, context):
        return sonnax.DO_NOT_STORE if context.name == "skip" else next_setter(value)

    def f():
        with sonnax.custom_setter(setter):
            sonnax.set_state("skip", 1.0)
            sonnax.set_state("keep", 2.0)

    _, state = sonnax.transform_with_state(f).init(None)
    assert state == {"~": {"keep": 2.0}}


def _intercepted_calls(lib):
    calls = []

    def interceptor(next_fun, args, kwargs, context):
        calls.append(
            (
                type(context.module).__name__,
                context.method_name,
                context.orig_class.__name__,
                getattr(context.module, "module_name", None),
            )
        )
        return next_fun(*args, **kwargs)

    class Twice(lib.Module):
        def __call__(self, x):
            return self.half(lib.Linear(2)(x)) * 2

        def half(self, x):
            return x / 2

    def f(x):
        with lib.intercept_methods(interceptor):
            return Twice()(x)

    return lib.transform(f), calls


def test_intercept_methods_sees_the_same_calls_as_haiku():
    x = jnp.ones([1, 2])
    results = {}
    for lib in (haiku, sonnax):
        f, calls = _intercepted_calls(lib)
        f.init(jax.random.PRNGKey(0), x)
        results[lib.__name__] = calls
    assert results["sonnax"] == results["haiku"]
    assert ("Twice", "half", "Twice", "twice") in results["sonnax"]


def test_interceptor_can_replace_outputs():
    def zero_linears(next_fun, args, kwargs, context):
        out = next_fun(*args, **kwargs)
        is_linear_call = (
            isinstance(context.module, sonnax.Linear) and context.method_name == "__call__"
        )
        return jnp.zeros_like(out) if is_linear_call else out

    def f(x):
        with sonnax.intercept_methods(zero_linears):
            return sonnax.Linear(3)(x)

    model = sonnax.transform(f)
    x = jnp.ones([1, 2])
    assert not model.apply(model.init(jax.random.PRNGKey(0), x), None, x).any()


@pytest.mark.parametrize("public", ["custom_creator", "custom_getter", "custom_setter"])
def test_interceptors_outside_transform(public):
    interceptor = lambda *args: None  # noqa: E731
    with pytest.raises(
        ValueError, match=f"`hk.{public}` must be used as part of an `hk.transform`"
    ):
        getattr(sonnax, public)(interceptor)


def _quantized_linear(lib):
    def store_int8(next_creator, shape, dtype, init, context):
        return jnp.round(next_creator(shape, dtype, init) * 100).astype(jnp.int8)

    def dequantize(next_getter, value, context):
        return next_getter(value.astype(context.original_dtype) / 100)

    def f(x):
        with lib.custom_creator(store_int8), lib.custom_getter(dequantize):
            return lib.Linear(3)(x)

    return lib.transform(f)


def test_creator_may_store_what_a_getter_converts_like_haiku():
    x = jnp.ones([2, 4])
    results = {}
    for lib in (haiku, sonnax):
        model = _quantized_linear(lib)
        params = model.init(jax.random.PRNGKey(0), x)
        results[lib.__name__] = (params, model.apply(params, None, x))
    assert results["sonnax"][0]["linear"]["w"].dtype == jnp.int8
    jax.tree.map(np.testing.assert_array_equal, results["sonnax"], results["haiku"])
