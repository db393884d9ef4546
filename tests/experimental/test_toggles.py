"""check_jax_usage, module_auto_repr and rng_reserve_size act as Haiku's."""

import haiku
import jax
import jax.numpy as jnp
import pytest

import sonnax
from tests.helpers import assert_trees_equal


@pytest.mark.parametrize("lib", [haiku, sonnax], ids=["haiku", "sonnax"])
def test_setters_return_the_previous_value(lib):
    exp = lib.experimental
    assert [exp.check_jax_usage(True), exp.check_jax_usage(False)] == [False, True]
    assert [exp.module_auto_repr(False), exp.module_auto_repr(True)] == [True, False]
    assert [exp.rng_reserve_size(5), exp.rng_reserve_size(1)] == [1, 5]


def test_check_jax_usage_rejects_raw_vmap_like_haiku():
    def run(lib):
        f = lambda: lib.get_parameter("p", [], init=jnp.zeros)  # noqa: E731
        previous = lib.experimental.check_jax_usage(True)
        try:
            lib.transform(lambda: jax.vmap(f, axis_size=2)()).init(None)
        finally:
            lib.experimental.check_jax_usage(previous)

    for lib in (haiku, sonnax):
        with pytest.raises(ValueError, match="You need to use a .* overloaded transform"):
            run(lib)


def test_module_auto_repr_off_gives_the_default_repr():
    for lib in (haiku, sonnax):
        previous = lib.experimental.module_auto_repr(False)
        try:
            text = lib.testing.transform_and_run(lambda lib=lib: repr(lib.Linear(1)))()
        finally:
            lib.experimental.module_auto_repr(previous)
        assert text.startswith("<") and "Linear object at" in text


def test_rng_reserve_size_changes_keys_as_haiku():
    def keys(lib):
        previous = lib.experimental.rng_reserve_size(3)
        try:
            f = lib.transform(lambda: [lib.next_rng_key() for _ in range(4)])
            return f.apply({}, jax.random.PRNGKey(0))
        finally:
            lib.experimental.rng_reserve_size(previous)

    assert_trees_equal(keys(sonnax), keys(haiku))


def test_rng_reserve_size_must_be_positive():
    for lib in (haiku, sonnax):
        with pytest.raises(ValueError, match="RNG reserve size needs to be more than 0, got 0"):
            lib.experimental.rng_reserve_size(0)
