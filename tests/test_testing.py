"""transform_and_run behaves as Haiku's with each option."""

import haiku
import jax
import jax.numpy as jnp
import pytest

import sonnax
from tests.helpers import assert_trees_equal


def _random_linear(lib):
    return lib.Linear(2)(jnp.ones([1, 3])) + jax.random.uniform(lib.next_rng_key(), [])


def _run(lib, **options):
    return lib.testing.transform_and_run(lambda: _random_linear(lib), **options)()


@pytest.mark.parametrize(
    "options",
    [
        {},
        {"seed": 3},
        {"jax_transform": jax.jit},
        {"run_apply": False},
        {"map_rng": lambda key: jnp.broadcast_to(key, (2, *key.shape)), "jax_transform": jax.vmap},
    ],
    ids=["defaults", "seed", "jit", "no_apply", "map_rng_vmap"],
)
def test_options_match_haiku(options):
    assert_trees_equal(_run(sonnax, **options), _run(haiku, **options))


def test_no_seed_runs_without_rng_like_haiku():
    for lib in (haiku, sonnax):
        bias = lambda lib=lib: lib.Bias()(jnp.ones([1, 1]))  # noqa: E731
        assert lib.testing.transform_and_run(seed=None)(bias)().shape == (1, 1)
        with pytest.raises(ValueError, match="must pass a non-None PRNGKey"):
            lib.testing.transform_and_run(seed=None)(lambda lib=lib: lib.next_rng_key())()


def test_decorator_passes_arguments_like_haiku():
    def build(lib):
        @lib.testing.transform_and_run
        def f(x, *, scale):
            return lib.Linear(2)(x) * scale

        return f(jnp.ones([1, 3]), scale=2.0)

    assert_trees_equal(build(sonnax), build(haiku))
