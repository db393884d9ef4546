"""Module naming matches Haiku exactly: same scenarios, same params keys."""

import haiku
import jax
import jax.numpy as jnp
import numpy as np
import pytest

import sonnax


def _init_keys(lib, fn):
    params, state = lib.transform_with_state(fn).init(jax.random.PRNGKey(0))
    shapes = jax.tree.map(jnp.shape, (params, state))
    return shapes


def _linear(lib, **kwargs):
    return lib.Linear(1, **kwargs)(jnp.ones([1, 1]))


def _param(lib, name="w"):
    return lib.get_parameter(name, [], init=jnp.zeros)


def scenario_repeats(lib):
    for _ in range(3):
        _linear(lib)
    _linear(lib, name="linear_7")
    _linear(lib)


def scenario_explicit_numbers(lib):
    _linear(lib, name="linear_1")
    _linear(lib)
    _linear(lib, name="linear_0")


def scenario_nested(lib):
    class Block(lib.Module):
        def __init__(self, name=None):
            super().__init__(name=name)
            self.made_in_init = lib.Linear(2)

        def __call__(self, x):
            x = self.made_in_init(x)
            x = lib.Linear(2)(x)
            return self.other(x)

        def other(self, x):
            return lib.Linear(2)(x)

    class Outer(lib.Module):
        def __call__(self, x):
            return Block()(Block(name="custom")(x))

    Outer()(jnp.ones([1, 2]))
    Outer()(jnp.ones([1, 2]))


def scenario_name_scopes(lib):
    with lib.name_scope("foo"):
        _param(lib)
    with lib.name_scope("foo"):
        _param(lib, "v")
    with lib.name_scope("a/b", method_name="bar"):
        _linear(lib)
    with lib.name_scope("linear"):
        pass
    _linear(lib)


def scenario_force_name(lib):
    class Wrapper(lib.Module):
        def __call__(self):
            _linear(lib, name=lib.force_name("shared/linear"))
            return lib.Linear(1, name=lib.force_name("~/top"))(jnp.ones([1, 1]))

    Wrapper()()
    _linear(lib, name=lib.force_name("shared/linear"))


def scenario_camel_case(lib):
    class MyLSTMCore(lib.Module):
        def __call__(self):
            return _param(lib)

    class HTTPServer2Thing(lib.Module):
        def __call__(self):
            return _param(lib)

    MyLSTMCore()()
    HTTPServer2Thing()()


def scenario_state_and_params(lib):
    class Counter(lib.Module):
        def __call__(self):
            count = lib.get_state("count", [], jnp.int32, init=jnp.zeros)
            lib.set_state("count", count + 1)
            return _param(lib)

    Counter()()
    Counter()()
    lib.get_state("top", [2], init=jnp.ones)


def scenario_transparent_and_name_like(lib):
    class Refactored(lib.Module):
        def __call__(self):
            return self.helper() + self.borrowed()

        @lib.transparent
        def helper(self):
            return _linear(lib)

        @lib.name_like("__call__")
        def borrowed(self):
            return _linear(lib)

    Refactored()()
    Refactored().borrowed()


SCENARIOS = [
    scenario_repeats,
    scenario_explicit_numbers,
    scenario_nested,
    scenario_name_scopes,
    scenario_force_name,
    scenario_camel_case,
    scenario_state_and_params,
    scenario_transparent_and_name_like,
]


@pytest.mark.parametrize("scenario", SCENARIOS, ids=lambda s: s.__name__)
def test_params_and_state_keys_match_haiku(scenario):
    expected = _init_keys(haiku, lambda: scenario(haiku))
    actual = _init_keys(sonnax, lambda: scenario(sonnax))
    assert actual == expected


@pytest.mark.parametrize("scenario", SCENARIOS, ids=lambda s: s.__name__)
def test_initial_values_match_haiku(scenario):
    expected = haiku.transform_with_state(lambda: scenario(haiku)).init(jax.random.PRNGKey(3))
    actual = sonnax.transform_with_state(lambda: scenario(sonnax)).init(jax.random.PRNGKey(3))
    jax.tree.map(np.testing.assert_array_equal, actual, expected)


def _current_names(lib):
    names = [lib.current_name()]

    class Probe(lib.Module):
        def __call__(self):
            names.append(lib.current_name())
            with lib.name_scope("inner"):
                names.append(lib.current_name())
            return self.method()

        def method(self):
            names.append(lib.current_name())
            return Probe.Nested()()

        class Nested:
            def __call__(self):
                return None

    probe = Probe()
    probe()
    names += [probe.module_name, probe.name]
    return names


def test_current_name_matches_haiku():
    expected = []
    haiku.transform(lambda: expected.extend(_current_names(haiku))).init(None)
    actual = []
    sonnax.transform(lambda: actual.extend(_current_names(sonnax))).init(None)
    assert actual == expected
    assert actual[0] == "~"


def test_same_names_on_each_call_share_parameters():
    def f(x):
        block = sonnax.Linear(2)
        return block(x) + block(x)

    params = sonnax.transform(f).init(jax.random.PRNGKey(0), jnp.ones([1, 2]))
    assert list(params) == ["linear"]


@pytest.mark.parametrize("lib", [haiku, sonnax], ids=["haiku", "sonnax"])
def test_duplicate_explicitly_numbered_name_raises(lib):
    def f():
        _linear(lib, name="dup_3")
        _linear(lib, name="dup_3")

    with pytest.raises(ValueError, match="Module name 'dup_3' is not unique"):
        lib.transform(f).init(jax.random.PRNGKey(0))


@pytest.mark.parametrize("bad_name", ["1abc", "has space", "a-b", "a/b"])
def test_invalid_module_name_raises(bad_name):
    with pytest.raises(ValueError, match="is not a valid module name"):
        sonnax.transform(lambda: _linear(sonnax, name=bad_name)).init(jax.random.PRNGKey(0))


@pytest.mark.parametrize("bad_name", ["", "/abc"])
def test_name_scope_must_not_start_with_slash(bad_name):
    def f():
        with sonnax.name_scope(bad_name):
            pass

    with pytest.raises(ValueError, match="Name scopes must not start with /"):
        sonnax.transform(f).init(None)


def test_name_scope_is_single_use_and_not_reentrant():
    def reuse():
        scope = sonnax.name_scope("once")
        with scope:
            pass
        with scope:
            pass

    def reenter():
        scope = sonnax.name_scope("once")
        with scope:
            with scope:
                pass

    with pytest.raises(ValueError, match="not reusable"):
        sonnax.transform(reuse).init(None)
    with pytest.raises(ValueError, match="not reentrant"):
        sonnax.transform(reenter).init(None)


def test_force_name_prefix():
    assert sonnax.force_name("a/b") == haiku.force_name("a/b")


@pytest.mark.parametrize("public", ["current_name", "name_scope"])
def test_naming_outside_transform_raises(public):
    call = {
        "current_name": lambda: sonnax.current_name(),
        "name_scope": lambda: sonnax.name_scope("x"),
    }
    with pytest.raises(
        ValueError, match=f"`hk.{public}` must be used as part of an `hk.transform`"
    ):
        call[public]()
