"""Tests for sonnax/_src/transforms/lift.py, with dm-haiku 0.0.17 as the oracle.

Each model is written once as a function of the library (`lib` is `haiku` or `sonnax`).
"""

import haiku
import jax
import jax.numpy as jnp
import pytest

import sonnax
from tests import helpers

X = jax.random.normal(jax.random.PRNGKey(0), [2, 3])


def _ensemble(lib, x, name="ensemble"):
    """Four MLPs made by `jax.vmap` of an inner init, lifted into the outer transform."""
    inner = lib.transform(lambda x: lib.nets.MLP([4, 2])(x))
    init_rng = lib.next_rng_keys(4) if lib.running_init() else None
    params = lib.lift(jax.vmap(inner.init, in_axes=(0, None)), name=name)(init_rng, x)
    return jax.vmap(inner.apply, in_axes=(0, None, None))(params, None, x)


def _module_lifting(lib, lifter):
    class Lifting(lib.Module):
        def __call__(self, x):
            return lifter(lib, x)

    return Lifting()


LIFTS = {
    "top_level": lambda lib, x: _ensemble(lib, x),
    "default_name_twice": lambda lib, x: _ensemble(lib, x, "lifted") + _ensemble(lib, x, "lifted"),
    "in_module": lambda lib, x: _module_lifting(lib, _ensemble)(x),
    "in_name_scope": lambda lib, x: _in_scope(lib, _ensemble, x),
}


def _in_scope(lib, lifter, x):
    with lib.name_scope("scope"):
        return lifter(lib, x)


@pytest.mark.parametrize("build", LIFTS.values(), ids=LIFTS.keys())
def test_lift_matches_haiku(build):
    params, _ = helpers.assert_matches_haiku(build, X)
    assert all(jnp.shape(w)[0] == 4 for w in jax.tree.leaves(params))


def _transparent(lib, x):
    inner = lib.transform(lambda x: lib.Linear(3)(x) + lib.get_parameter("s", [], init=jnp.ones))
    init_rng = lib.next_rng_key() if lib.running_init() else None
    params = lib.transparent_lift(inner.init)(init_rng, x)
    return inner.apply(params, None, x)


TRANSPARENT = {
    "top_level": _transparent,
    "in_module": lambda lib, x: _module_lifting(lib, _transparent)(x),
    "beside_own_params": lambda lib, x: _transparent(lib, x) * lib.Linear(3)(x),
}


@pytest.mark.parametrize("build", TRANSPARENT.values(), ids=TRANSPARENT.keys())
def test_transparent_lift_keeps_names_like_haiku(build):
    helpers.assert_matches_haiku(build, X)


def test_lift_under_jit_and_vmap_matches_haiku():
    helpers.assert_jit_and_vmap_match(TRANSPARENT["in_module"], X)


def _counting(lib, x):
    count = lib.get_state("count", [], jnp.int32, init=jnp.zeros)
    lib.set_state("count", count + 1)
    mean = lib.get_state("mean", x.shape[-1:], init=jnp.zeros)
    lib.set_state("mean", 0.9 * mean + 0.1 * x.mean(0))
    return lib.Linear(2)(x) * count + mean.sum()


def _lift_with_state(lib, x, transparent=False, update=True):
    inner = lib.transform_with_state(lambda x: _counting(lib, x))
    if transparent:
        params_and_state_fn, updater = lib.transparent_lift_with_state(inner.init)
    else:
        params_and_state_fn, updater = lib.lift_with_state(inner.init, name="stateful")
    init_rng = lib.next_rng_key() if lib.running_init() else None
    params, state = params_and_state_fn(init_rng, x)
    out, state = inner.apply(params, state, None, x)
    if update:
        updater.update(state)
    else:
        updater.ignore_update()
    return out


STATEFUL = {
    "lift_with_state": _lift_with_state,
    "in_module": lambda lib, x: _module_lifting(lib, _lift_with_state)(x),
    "ignore_update": lambda lib, x: _lift_with_state(lib, x, update=False),
    "transparent": lambda lib, x: _lift_with_state(lib, x, transparent=True),
    "transparent_in_module": lambda lib, x: _module_lifting(
        lib, lambda lib, x: _lift_with_state(lib, x, transparent=True)
    )(x),
}


@pytest.mark.parametrize("build", STATEFUL.values(), ids=STATEFUL.keys())
def test_lift_with_state_and_updater_match_haiku(build):
    params, state, _ = helpers.assert_matches_haiku_with_state(build, X)
    assert jax.tree.leaves(params) and jax.tree.leaves(state)


def test_updater_writes_state_in_apply_like_haiku():
    _, state, (_, new_state) = helpers.assert_matches_haiku_with_state(_lift_with_state, X)
    assert new_state["stateful/~"]["count"] == state["stateful/~"]["count"] + 1


def _twice(lib, x, allow_reuse):
    inner = lib.transform(lambda x: lib.Linear(2)(x))
    lifted = lib.lift(inner.init, allow_reuse=allow_reuse)
    init_rng = lib.next_rng_key() if lib.running_init() else None
    out = inner.apply(lifted(init_rng, x), None, x)
    return out + inner.apply(lifted(init_rng, x), None, x)


def test_allow_reuse_matches_haiku():
    helpers.assert_matches_haiku(lambda lib, x: _twice(lib, x, allow_reuse=True), X)


def test_reuse_without_allow_reuse_raises_like_haiku():
    helpers.assert_raises_like_haiku(
        ValueError,
        "Key 'lifted/linear' already exists in the destination params",
        "allow_reuse=True",
        lambda lib: helpers.run(lib, lambda lib, x: _twice(lib, x, False), helpers.KEY, X),
    )


@pytest.mark.parametrize(
    "name", ["lift", "lift_with_state", "transparent_lift", "transparent_lift_with_state"]
)
def test_outside_transform_raises_like_haiku(name):
    helpers.assert_raises_like_haiku(
        ValueError,
        "must be used as part of an `hk.transform`",
        f"hk.{name}`",
        lambda lib: getattr(lib, name)(lambda rng: {}),
    )


def test_lifting_a_stateful_init_with_lift_raises_like_haiku():
    def build(lib, x):
        inner = lib.transform_with_state(lambda x: _counting(lib, x))
        return lib.lift(inner.init)(lib.next_rng_key(), x)

    helpers.assert_raises_like_haiku(
        ValueError,
        "For stateful lifted functions use `hk.lift_with_state`",
        "returned a tuple",
        lambda lib: helpers.run(lib, build, helpers.KEY, X),
    )


class _Escape(Exception):
    """Leaves init early; a context exited by an exception runs no updater checks."""


def _stray_updater(lib):
    saved = []

    def f(x):
        inner = lib.transform_with_state(lambda x: _counting(lib, x))
        params_and_state_fn, updater = lib.lift_with_state(inner.init)
        params_and_state_fn(lib.next_rng_key(), x)
        saved.append(updater)
        raise _Escape

    with pytest.raises(_Escape):
        lib.transform_with_state(f).init(helpers.KEY, X)
    return saved[0]


def _use_twice(lib):
    def f(x):
        inner = lib.transform_with_state(lambda x: _counting(lib, x))
        params_and_state_fn, updater = lib.lift_with_state(inner.init)
        params_and_state_fn(lib.next_rng_key() if lib.running_init() else None, x)
        updater.ignore_update()
        updater.ignore_update()

    lib.transform_with_state(f).init(helpers.KEY, X)


def _leave_unused(lib):
    def f(x):
        inner = lib.transform_with_state(lambda x: _counting(lib, x))
        lib.lift_with_state(inner.init)[0](lib.next_rng_key(), x)

    lib.transform_with_state(f).init(helpers.KEY, X)


def _use_in_another_call(lib):
    updater = _stray_updater(lib)
    lib.transform_with_state(lambda: updater.ignore_update()).init(None)


UPDATER_MISUSES = {
    "twice": ("State updater must only be used once", "once", _use_twice),
    "unused": ("must be used, call `.update", "updater for 'lifted'", _leave_unused),
    "outside": (
        "State updater must be used inside hk.transform_with_state",
        "transform_with_state",
        lambda lib: _stray_updater(lib).ignore_update(),
    ),
    "another_call": ("same call to init/apply", "another call", _use_in_another_call),
}


@pytest.mark.parametrize("misuse", UPDATER_MISUSES.values(), ids=UPDATER_MISUSES.keys())
def test_updater_misuse_raises_like_haiku(misuse):
    phrase, context, trigger = misuse
    helpers.assert_raises_like_haiku(ValueError, phrase, context, trigger)


def _init_key(lib):
    return lib.next_rng_key() if lib.running_init() else None


def _recording_creator(log):
    def creator(next_creator, shape, dtype, init, context):
        log.append((context.full_name, context.lifted_prefix_name))
        return next_creator(shape, dtype, init)

    return creator


def test_lifted_prefix_name_matches_haiku():
    def nested(lib, x):
        innermost = lib.transform(lambda x: lib.Linear(2)(x))

        def middle(x):
            params = lib.lift(innermost.init, name="inner")(_init_key(lib), x)
            return innermost.apply(params, None, x) + lib.Linear(2)(x)

        middle_t = lib.transform(middle)
        params = _module_lifting(
            lib, lambda lib, x: lib.lift(middle_t.init, name="outer")(_init_key(lib), x)
        )(x)
        return middle_t.apply(params, None, x)

    def run(lib):
        log = []

        def f(x):
            with lib.custom_creator(_recording_creator(log)):
                return nested(lib, x)

        model = lib.transform(f)
        params = model.init(helpers.KEY, X)
        model.apply(params, None, X)
        return log

    expected = run(haiku)
    assert run(sonnax) == expected
    assert ("linear/w", "lifting/outer/inner/") in expected


def test_transparent_lift_rejects_closed_over_module_like_haiku():
    def build(lib, x):
        outer = lib.Linear(2)
        inner = lib.transform(lambda x: outer(x))
        return lib.transparent_lift(inner.init)(lib.next_rng_key(), x)

    helpers.assert_raises_like_haiku(
        ValueError,
        "functionally close over a module",
        "called 'linear'",
        lambda lib: helpers.run(lib, build, helpers.KEY, X),
    )


def test_lifted_prefix_name_of_getters_and_setters_matches_haiku():
    def run(lib):
        log = []

        def getter(next_getter, value, context):
            log.append(("get", context.full_name, context.lifted_prefix_name))
            return next_getter(value)

        def setter(next_setter, value, context):
            log.append(("set", context.full_name, context.lifted_prefix_name))
            return next_setter(value)

        def f(x):
            with lib.custom_getter(getter), lib.custom_setter(setter):
                return _module_lifting(lib, _lift_with_state)(x)

        model = lib.transform_with_state(f)
        params, state = model.init(helpers.KEY, X)
        model.apply(params, state, None, X)
        return log

    expected = run(haiku)
    assert run(sonnax) == expected
    assert ("set", "~/count", "lifting/stateful/") in expected
