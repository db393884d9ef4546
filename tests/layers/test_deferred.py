"""Tests for sonnax/_src/layers/deferred.py, with dm-haiku 0.0.17 as the oracle."""

import haiku
import jax
import jax.numpy as jnp
import pytest

import sonnax
from tests import helpers

X = jax.random.normal(jax.random.PRNGKey(0), [2, 5])


def _autoencoder(lib, x):
    encoder = lib.Linear(3)
    decoder = lib.Deferred(lambda: lib.Linear(encoder.input_size))
    return decoder(encoder(x))


def _in_outer_module(call_first):
    def build(lib, x):
        class Outer(lib.Module):
            def __init__(self):
                super().__init__(name="outer")
                self.deferred = lib.Deferred(lambda: lib.Linear(4))

            def __call__(self, x):
                return self.deferred(x)

        outer = Outer()
        return outer(x) if call_first else outer.deferred(x)

    return build


def _in_name_scope(lib, x):
    with lib.name_scope("scope"):
        deferred = lib.Deferred(lambda: lib.Linear(4))
    return deferred(x)


def _alternative_method(lib, x):
    class Twice(lib.Module):
        def forward(self, x):
            return 2 * lib.Linear(4)(x)

    return lib.Deferred(Twice, call_methods=("forward",)).forward(x)


def _counters_of_call_site(lib, x):
    # As in Haiku, the target gets the path of where the `Deferred` was made but is
    # numbered among the names used where it is first called: here it takes the name
    # of `first`, and the two share parameters.
    class Outer(lib.Module):
        def __init__(self):
            super().__init__(name="outer")
            self.first = lib.Linear(5)
            self.deferred = lib.Deferred(lambda: lib.Linear(5))

        def __call__(self, x):
            return self.deferred(self.first(x)) + lib.Linear(5)(x)

    return Outer()(x)


BUILDS = {
    "autoencoder": _autoencoder,
    "in_outer_module_called": _in_outer_module(call_first=True),
    "in_outer_module_not_called": _in_outer_module(call_first=False),
    "in_name_scope": _in_name_scope,
    "alternative_method": _alternative_method,
    "counters_of_call_site": _counters_of_call_site,
}


@pytest.mark.parametrize("build", BUILDS.values(), ids=BUILDS.keys())
def test_matches_haiku(build):
    helpers.assert_matches_haiku(build, X)


@pytest.mark.parametrize("build", BUILDS.values(), ids=BUILDS.keys())
def test_jit_and_vmap(build):
    helpers.assert_jit_and_vmap_match(build, X)


def _run(f):
    return sonnax.transform(f).init(jax.random.PRNGKey(0))


def test_target_is_built_once():
    def f():
        targets = [sonnax.Linear(1)]
        deferred = sonnax.Deferred(targets.pop)
        assert deferred.target is deferred.target
        assert targets == []

    _run(f)


def test_attributes_go_to_the_target():
    def f():
        deferred = sonnax.Deferred(lambda: sonnax.Linear(2))
        deferred(jnp.ones([1, 3]))
        assert deferred.input_size == 3
        deferred.output_size = 7
        assert deferred.target.output_size == 7
        deferred.target.with_bias = False
        assert deferred.with_bias is False
        del deferred.input_size
        assert not hasattr(deferred.target, "input_size")

    _run(f)


def test_building_leaves_the_factory_like_haiku():
    # Haiku clears `_factory` only after `_target` is set, so the write is forwarded:
    # the target gets `_factory = None` and the `Deferred` keeps its factory.
    def probe(lib):
        def f():
            factory = lambda: lib.Linear(2)  # noqa: E731
            deferred = lib.Deferred(factory)
            target = deferred.target
            return vars(target).get("_factory", "missing"), deferred._factory is factory

        return lib.transform(f).apply({}, None)

    assert probe(sonnax) == probe(haiku) == (None, True)


def test_str_and_repr_show_the_target():
    def f():
        target = sonnax.Linear(2)
        deferred = sonnax.Deferred(lambda: target)
        assert str(deferred) == f"Deferred({target})"
        assert repr(deferred) == f"Deferred({target!r})"

    _run(f)


def test_attribute_before_construction():
    def trigger(lib):
        lib.transform(lambda: lib.Deferred(lambda: lib.Linear(2)).output_size).init(None)

    helpers.assert_raises_like_haiku(
        AttributeError,
        "'Deferred' object has no attribute 'output_size'",
        "built on the first call",
        trigger,
    )


def test_call_without_call_method():
    def trigger(lib):
        class Forward(lib.Module):
            def forward(self):
                return 42

        lib.transform(lambda: lib.Deferred(Forward, call_methods=("forward",))()).init(None)

    helpers.assert_raises_like_haiku(
        TypeError, "'Forward' object is not callable", "Forward", trigger
    )


def test_outside_transform():
    # Haiku fails here with a bare `IndexError` from its frame stack.
    with pytest.raises(IndexError):
        haiku.Deferred(lambda: None)
    with pytest.raises(
        ValueError, match=r"`hk.Deferred` must be used as part of an `hk.transform`"
    ):
        sonnax.Deferred(lambda: None)
