"""Tests for sonnax/_src/transforms/stateful/vmap.py, with dm-haiku as the oracle."""

import inspect

import haiku
import jax
import jax.numpy as jnp
import numpy as np
import pytest

import sonnax
from tests import helpers
from tests.transforms.stateful_oracle import BOTH, assert_same_as_haiku, count, noise, zero_state

XS = jnp.arange(12.0).reshape([4, 3]) / 10


def mapped_model(lib, xs, split_rng=None):
    linear = lib.Linear(2)
    zero_state(lib, "count")

    def per_example(x):
        count(lib)  # Unbatched state: set once for the whole batch.
        return linear(x), lib.next_rng_key()

    if split_rng is None:
        split_rng = not lib.running_init()
    return lib.vmap(per_example, split_rng=split_rng)(xs)


@pytest.mark.parametrize(
    "split_rng, jit",
    [(True, False), (True, True), (False, True)],
    ids=["split", "split-jit", "jit"],
)
def test_vmap_keys_params_and_state(split_rng, jit):
    build = lambda lib, xs: mapped_model(lib, xs, split_rng and not lib.running_init())  # noqa: E731
    params, state, (out, keys), new_state = assert_same_as_haiku(build, XS, jit=jit)
    assert set(params) == {"linear"} and out.shape == (4, 2)
    assert new_state == {"~": {"count": 1}}
    distinct = {tuple(np.asarray(key)) for key in keys}
    assert len(distinct) == (4 if split_rng else 1)


def test_vmap_matches_haiku_gradients():
    helpers.assert_matches_haiku_with_state(mapped_model, XS, apply_key=jax.random.PRNGKey(1))


def test_vmap_axes_and_axis_name():
    def build(lib, xs, scale):
        def per_column(x, s):
            total = jax.lax.psum(x, "batch")
            return {"ratio": x / total * s, "draw": noise(lib)}

        mapped = lib.vmap(
            per_column,
            in_axes=[1, None],
            out_axes={"ratio": 1, "draw": 0},
            axis_name="batch",
            split_rng=True,
        )
        return mapped(xs, scale)

    _, _, out, _ = assert_same_as_haiku(build, XS, 2.0, jit=True)
    assert out["ratio"].shape == (4, 3) and out["draw"].shape == (3,)


def test_vmap_axis_size():
    def build(lib):
        return lib.vmap(lambda _: noise(lib), in_axes=0, axis_size=3, split_rng=True)(jnp.zeros(3))

    assert_same_as_haiku(build, jit=True)


@pytest.mark.parametrize("lib", BOTH)
def test_split_rng_is_required(lib):
    with pytest.raises(TypeError, match="requires the split_rng argument"):
        lib.vmap(lambda x: x)


@pytest.mark.parametrize("lib", BOTH)
def test_split_rng_requirement_can_be_lifted(lib):
    lib.vmap.require_split_rng = False
    try:
        f = lib.transform(lambda xs: lib.vmap(lambda _: lib.next_rng_key())(xs))
        keys = f.apply({}, jax.random.PRNGKey(0), XS)
    finally:
        lib.vmap.require_split_rng = True
    np.testing.assert_array_equal(keys[0], keys[1])  # Defaults to split_rng=False.


def test_in_axes_must_map_something():
    helpers.assert_raises_like_haiku(
        ValueError,
        "must have at least one non-None value in in_axes",
        "got in_axes=None",
        lambda lib: lib.vmap(lambda x: x, in_axes=None, split_rng=False),
    )


def test_split_rng_at_init_creating_params():
    def trigger(lib):
        f = lib.transform(lambda xs: lib.vmap(lib.Linear(2), split_rng=True)(xs))
        jax.eval_shape(f.init, jax.random.PRNGKey(0), XS)

    helpers.assert_raises_like_haiku(
        ValueError,
        "does not support setting split_rng to True during initialization",
        "shared along the mapped dimension",
        trigger,
    )


def test_mismatched_axis_sizes():
    def trigger(lib):
        f = lib.transform(lambda a, b: lib.vmap(lambda a, b: a + b, split_rng=True)(a, b))
        f.apply({}, jax.random.PRNGKey(0), XS, XS[:2])

    helpers.assert_raises_like_haiku(
        ValueError, "Arrays must have the same mapped axis size", "mapped axis 0", trigger
    )


def test_call_outside_transform():
    def trigger(lib):
        lib.vmap(lambda x: x, split_rng=False)(XS)

    helpers.assert_raises_like_haiku(
        ValueError, "must be used as part of an `hk.transform`", "hk.vmap", trigger
    )


def test_signature_matches_haiku():
    def shape(signature):
        return [(p.name, p.kind, p.default) for p in signature.parameters.values()]

    assert shape(inspect.signature(sonnax.vmap)) == shape(inspect.signature(haiku.vmap))
