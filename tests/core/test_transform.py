"""Tests for sonnax/_src/core/transform.py, with dm-haiku as the oracle.

Each model is written once as a function of the library (`lib` is `sonnax` or `haiku`), so
the same code runs through both and their params, state and outputs are compared.
"""

import inspect

import haiku
import jax
import jax.numpy as jnp
import numpy as np
import pytest

import sonnax as hk
from sonnax._src.core import rng as rng_lib
from sonnax._src.core import transform as transform_lib

BOTH = [pytest.param(hk, id="sonnax"), pytest.param(haiku, id="haiku")]


def mlp(lib):
    def f(x):
        h = jax.nn.relu(lib.Linear(4)(x))
        return lib.Linear(2, name="head")(h)

    return f


def counter(lib):
    def f(x):
        count = lib.get_state("count", [], jnp.int32, init=jnp.zeros)
        lib.set_state("count", count + 1)
        return lib.Linear(2)(x) * count

    return f


def noisy(lib):
    def f(x):
        return lib.Linear(2)(x) + jax.random.normal(lib.next_rng_key(), [2])

    return f


def constant_param(lib):
    return lambda: lib.get_parameter("w", [3], init=jnp.ones)


def assert_trees_equal(actual, expected):
    assert jax.tree.structure(actual) == jax.tree.structure(expected)
    jax.tree.map(np.testing.assert_array_equal, actual, expected)


X = jnp.arange(6.0).reshape([2, 3])

RNGS = [
    pytest.param(lambda: jax.random.PRNGKey(7), id="raw_key"),
    pytest.param(lambda: jax.random.key(7), id="typed_key"),
    pytest.param(lambda: 7, id="int_seed"),
    pytest.param(lambda: jnp.array(7, dtype=jnp.int32), id="int32_scalar"),
]


@pytest.mark.parametrize("make_rng", RNGS)
def test_init_matches_haiku(make_rng):
    params = hk.transform(mlp(hk)).init(make_rng(), X)
    expected = haiku.transform(mlp(haiku)).init(make_rng(), X)
    assert_trees_equal(params, expected)


def test_init_with_none_rng_matches_haiku():
    params = hk.transform(constant_param(hk)).init(None)
    assert_trees_equal(params, haiku.transform(constant_param(haiku)).init(None))


def test_init_is_deterministic_and_depends_on_the_key():
    f = hk.transform(mlp(hk))
    assert_trees_equal(f.init(1, X), f.init(1, X))
    assert not np.array_equal(f.init(1, X)["head"]["w"], f.init(2, X)["head"]["w"])


def test_apply_matches_haiku(key):
    params = haiku.transform(mlp(haiku)).init(key, X)
    out = hk.transform(mlp(hk)).apply(params, None, X)
    np.testing.assert_array_equal(out, haiku.transform(mlp(haiku)).apply(params, None, X))


def test_apply_rng_matches_haiku(key):
    params = hk.transform(noisy(hk)).init(key, X)
    out = hk.transform(noisy(hk)).apply(params, key, X)
    np.testing.assert_array_equal(out, haiku.transform(noisy(haiku)).apply(params, key, X))


def test_transform_with_state_matches_haiku(key):
    f, g = hk.transform_with_state(counter(hk)), haiku.transform_with_state(counter(haiku))
    params, state = f.init(key, X)
    expected_params, expected_state = g.init(key, X)
    assert_trees_equal((params, state), (expected_params, expected_state))
    for _ in range(2):
        (out, state), (expected_out, expected_state) = (
            f.apply(params, state, None, X),
            g.apply(params, expected_state, None, X),
        )
        assert_trees_equal((out, state), (expected_out, expected_state))
    assert int(state["~"]["count"]) == 2


def scaled(lib):
    def f(x, scale, *, shift=0.0):
        return lib.Linear(2)(x) * scale + shift

    return f


def test_args_and_kwargs_are_passed_through_as_in_haiku(key):
    params = hk.transform(scaled(hk)).init(key, X, 2.0, shift=1.0)
    assert_trees_equal(params, haiku.transform(scaled(haiku)).init(key, X, 2.0, shift=1.0))
    out = hk.transform(scaled(hk)).apply(params, None, X, 2.0, shift=1.0)
    expected = haiku.transform(scaled(haiku)).apply(params, None, X, 2.0, shift=1.0)
    np.testing.assert_array_equal(out, expected)


def test_apply_accepts_int_seed_as_haiku(key):
    params = hk.transform(noisy(hk)).init(key, X)
    out = hk.transform(noisy(hk)).apply(params, 3, X)
    np.testing.assert_array_equal(out, haiku.transform(noisy(haiku)).apply(params, 3, X))


def test_init_returns_plain_dicts_as_haiku(key):
    params, state = hk.transform_with_state(counter(hk)).init(key, X)
    expected_params, expected_state = haiku.transform_with_state(counter(haiku)).init(key, X)
    for ours, theirs in ((params, expected_params), (state, expected_state)):
        assert type(ours) is type(theirs) is dict
        assert all(type(v) is dict for v in ours.values())


def test_apply_does_not_mutate_its_inputs(key):
    f = hk.transform_with_state(counter(hk))
    params, state = f.init(key, X)
    params_before, state_before = jax.tree.map(np.asarray, (params, state))
    _, new_state = f.apply(params, state, None, X)
    assert_trees_equal((params, state), (params_before, state_before))
    assert new_state is not state and int(new_state["~"]["count"]) == 1


def test_transformed_is_the_named_tuple_haiku_has():
    assert hk.Transformed._fields == haiku.Transformed._fields
    assert hk.TransformedWithState._fields == haiku.TransformedWithState._fields
    assert isinstance(hk.transform(mlp(hk)), hk.Transformed)
    init, apply = hk.transform_with_state(mlp(hk))
    assert isinstance(hk.TransformedWithState(init, apply), tuple)


def with_options(lib):
    def f(x, y=1.0, *, is_training=True):
        return lib.Linear(2)(x) * y

    return f


WRAPPERS = [
    pytest.param(lambda lib, f: lib.transform(f), id="transform"),
    pytest.param(lambda lib, f: lib.transform_with_state(f), id="transform_with_state"),
    pytest.param(lambda lib, f: lib.without_apply_rng(lib.transform(f)), id="without_apply_rng"),
    pytest.param(
        lambda lib, f: lib.without_apply_rng(lib.transform_with_state(f)),
        id="without_apply_rng_with_state",
    ),
    pytest.param(lambda lib, f: lib.with_empty_state(lib.transform(f)), id="with_empty_state"),
    pytest.param(lambda lib, f: lib.without_state(lib.transform_with_state(f)), id="without_state"),
]


def parameter_names(fn):
    # Haiku's `with_empty_state` names its first apply argument `param`, a typo we don't copy.
    names = list(inspect.signature(fn).parameters)
    return ["params" if name == "param" else name for name in names]


@pytest.mark.parametrize("wrap", WRAPPERS)
def test_signatures_match_haiku(wrap):
    ours, theirs = wrap(hk, with_options(hk)), wrap(haiku, with_options(haiku))
    assert parameter_names(ours.init) == parameter_names(theirs.init)
    assert parameter_names(ours.apply) == parameter_names(theirs.apply)


def test_without_apply_rng_calls_apply_with_none(key):
    f = hk.transform(mlp(hk))
    params = f.init(key, X)
    out = hk.without_apply_rng(f).apply(params, X)
    np.testing.assert_array_equal(out, f.apply(params, None, X))


def test_without_apply_rng_with_state(key):
    f = hk.transform_with_state(counter(hk))
    params, state = f.init(key, X)
    assert_trees_equal(
        hk.without_apply_rng(f).apply(params, state, X), f.apply(params, state, None, X)
    )


def test_without_apply_rng_keeps_init(key):
    f = hk.transform(mlp(hk))
    assert hk.without_apply_rng(f).init is f.init


def test_with_empty_state(key):
    f = hk.transform(mlp(hk))
    g = hk.with_empty_state(f)
    params, state = g.init(key, X)
    assert state == {}
    assert_trees_equal(params, f.init(key, X))
    out, state = g.apply(params, state, None, X)
    assert state == {}
    np.testing.assert_array_equal(out, f.apply(params, None, X))


def test_without_state_of_stateless(key):
    f = hk.without_state(hk.transform_with_state(mlp(hk)))
    params = f.init(key, X)
    assert_trees_equal(params, hk.transform(mlp(hk)).init(key, X))
    np.testing.assert_array_equal(
        f.apply(params, None, X), hk.transform(mlp(hk)).apply(params, None, X)
    )


def test_running_init(key):
    seen = []

    def f(x):
        seen.append(hk.running_init())
        return hk.Linear(2)(x)

    params = hk.transform(f).init(key, X)
    hk.transform(f).apply(params, None, X)
    assert seen == [True, False]


# Error paths. Each is checked against Haiku too, so the phrases users match on stay the same.


NON_KEYS = [
    pytest.param(jnp.ones([2]), id="float_array"),
    pytest.param(jnp.zeros([3], jnp.uint32), id="wrong_shape_uint32"),
    pytest.param(jax.random.split(jax.random.PRNGKey(0)), id="batch_of_keys"),
    pytest.param("not a key", id="string"),
    pytest.param(1.5, id="float"),
]


@pytest.mark.parametrize("lib", BOTH)
@pytest.mark.parametrize("rng", NON_KEYS)
def test_init_refuses_non_key(lib, rng):
    with pytest.raises(ValueError, match="Init must be called with an RNG as the first argument"):
        lib.transform(mlp(lib)).init(rng, X)


@pytest.mark.parametrize("lib", BOTH)
@pytest.mark.parametrize("rng", NON_KEYS)
def test_apply_refuses_non_key(lib, rng):
    with pytest.raises(ValueError, match="Apply must be called with an RNG as the second argument"):
        lib.transform(mlp(lib)).apply({}, rng, X)


@pytest.mark.parametrize("lib", BOTH)
def test_apply_with_state_refuses_non_key(lib):
    with pytest.raises(ValueError, match="Apply must be called with an RNG as the third argument"):
        lib.transform_with_state(mlp(lib)).apply({}, {}, "not a key", X)


@pytest.mark.parametrize("lib", BOTH)
@pytest.mark.parametrize("params", [pytest.param([1, 2], id="list"), pytest.param(3, id="int")])
def test_apply_refuses_params_that_are_not_a_mapping(lib, params):
    with pytest.raises(TypeError, match="params argument does not appear valid"):
        lib.transform(mlp(lib)).apply(params, None, X)


@pytest.mark.parametrize("lib", BOTH)
def test_apply_refuses_state_that_is_not_a_mapping(lib):
    with pytest.raises(TypeError, match="state argument does not appear valid"):
        lib.transform_with_state(mlp(lib)).apply({}, [1], None, X)


@pytest.mark.parametrize("lib", BOTH)
def test_state_under_transform_raises_in_init(lib, key):
    with pytest.raises(ValueError, match="`hk.transform_with_state`") as info:
        lib.transform(counter(lib)).init(key, X)
    assert type(info.value).__name__ == "NonEmptyStateError"


def test_state_under_transform_raises_in_apply(key):
    params, _ = hk.transform_with_state(counter(hk)).init(key, X)
    with pytest.raises(transform_lib.NonEmptyStateError, match="hk.transform_with_state"):
        hk.transform(counter(hk)).apply(params, None, X)


@pytest.mark.parametrize("lib", BOTH)
def test_apply_refuses_state_keyword(lib):
    f = lib.transform(lambda state: state)
    with pytest.raises(TypeError, match="pass them positionally"):
        f.apply({}, None, state=1)


@pytest.mark.parametrize("lib", BOTH)
def test_transform_refuses_jitted_function(lib):
    phrase = {"haiku": r"already jit \(or pmap\) decorated", "sonnax": "already wrapped by jax.jit"}
    with pytest.raises(ValueError, match=phrase[lib.__name__]):
        lib.transform(jax.jit(lambda x: x))


def test_transform_refuses_pmapped_function():
    with pytest.raises(ValueError, match="already wrapped by jax.jit or jax.pmap"):
        hk.transform(jax.pmap(lambda x: x))


@pytest.mark.parametrize("lib", BOTH)
@pytest.mark.parametrize("kind", ["transform", "transform_with_state"])
def test_without_apply_rng_refuses_rng_keyword(lib, kind, key):
    f = lib.without_apply_rng(getattr(lib, kind)(lambda rng: rng))
    leading = ({},) if kind == "transform" else ({}, {})
    phrase = {"haiku": r"pass them positionally .*rng=my_rng", "sonnax": r"rng= .*positionally"}
    with pytest.raises(TypeError, match=phrase[lib.__name__]):
        f.apply(*leading, rng=key)


@pytest.mark.parametrize("lib", BOTH)
def test_without_apply_rng_refuses_other_objects(lib):
    phrase = {"haiku": "Must be called with the result of", "sonnax": "takes the result of"}
    with pytest.raises(ValueError, match=phrase[lib.__name__] + " `?hk.transform"):
        lib.without_apply_rng(lambda x: x)


@pytest.mark.parametrize("lib", BOTH)
def test_apply_rng_false_is_removed(lib):
    phrase = {"haiku": "apply_rng argument has been removed", "sonnax": "apply_rng=False.* not"}
    with pytest.raises(ValueError, match=f"(?s){phrase[lib.__name__]}.*without_apply_rng"):
        lib.transform(mlp(lib), apply_rng=False)


@pytest.mark.parametrize("lib", BOTH)
def test_next_rng_key_without_rng(lib, key):
    f = lib.transform(noisy(lib))
    params = f.init(key, X)
    with pytest.raises(ValueError, match="You must pass a non-None PRNGKey to init and/or apply"):
        f.apply(params, None, X)


def test_next_rng_key_without_rng_is_missing_rng_error():
    f = hk.transform(lambda: hk.next_rng_key())
    with pytest.raises(rng_lib.MissingRNGError, match=r"f.apply\(params, jax.random.PRNGKey"):
        f.init(None)


def leak_tracer(lib):
    def f(x):
        leaked = []
        jax.jit(lambda y: leaked.append(y) or y)(x)
        return lib.Linear(2)(leaked[0])

    return f


@pytest.mark.parametrize("lib", BOTH)
def test_unexpected_tracer_error_gets_a_hint(lib, key):
    phrase = {"haiku": "Hint: are you using a JAX transform", "sonnax": "A JAX tracer escaped"}
    with pytest.raises(jax.errors.UnexpectedTracerError, match=phrase[lib.__name__]):
        lib.transform(leak_tracer(lib)).init(key, X)


@pytest.mark.parametrize("lib", BOTH)
def test_module_outside_transform(lib):
    with pytest.raises(ValueError, match=r"must be initialized inside an `hk.transform`"):
        lib.Linear(2)


@pytest.mark.parametrize("lib", BOTH)
def test_get_parameter_outside_transform(lib):
    with pytest.raises(ValueError, match=r"must be used as part of an `hk.transform`"):
        lib.get_parameter("w", [1], init=jnp.zeros)


@pytest.mark.parametrize("lib", BOTH)
def test_running_init_outside_transform(lib):
    with pytest.raises(
        ValueError, match=r"`hk.running_init` must be used as part of an `hk.transform`"
    ):
        lib.running_init()


@pytest.mark.parametrize("lib", [haiku, hk], ids=["haiku", "sonnax"])
def test_init_and_apply_accept_keyword_arguments(lib):
    model = lib.transform(lambda x: lib.Linear(2)(x))
    x = jnp.ones([1, 3])
    params = model.init(rng=jax.random.PRNGKey(0), x=x)
    eager = model.apply(params=params, rng=None, x=x)
    jitted = jax.jit(model.apply)(params, rng=None, x=x)
    np.testing.assert_array_equal(eager, jitted)
    stateful = lib.transform_with_state(lambda x: lib.Linear(2)(x))
    params, state = stateful.init(rng=jax.random.PRNGKey(0), x=x)
    out, _ = stateful.apply(params=params, state=state, rng=None, x=x)
    np.testing.assert_array_equal(out, eager)


def test_init_and_apply_are_named_like_haiku():
    ours, theirs = hk.transform(lambda x: x), haiku.transform(lambda x: x)
    assert (ours.init.__name__, ours.apply.__name__) == (
        theirs.init.__name__,
        theirs.apply.__name__,
    )
    lowered = jax.jit(ours.apply).lower({}, None, jnp.ones(2)).as_text()
    assert "jit_apply_fn" in lowered


def test_missing_rng_error_names_the_module_that_asked():
    class Noisy(hk.Module):
        def __call__(self):
            return hk.next_rng_key()

    f = hk.transform(lambda: Noisy(name="noisy")())
    with pytest.raises(rng_lib.MissingRNGError, match=r"asked for here \(module 'noisy'\)"):
        f.init(None)
