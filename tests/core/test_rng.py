"""Random keys: the same keys as Haiku for the same seed, and clear errors without one."""

import haiku
import jax
import jax.numpy as jnp
import numpy as np
import pytest

import sonnax


def _keys(seq, n):
    return np.stack([jax.random.key_data(next(seq)) for _ in range(n)])


@pytest.mark.parametrize(
    "seed",
    [0, 42, jnp.int32(7), jax.random.PRNGKey(3), jax.random.key(5)],
    ids=["int0", "int42", "int32_scalar", "raw_key", "typed_key"],
)
def test_prng_sequence_matches_haiku(seed):
    np.testing.assert_array_equal(
        _keys(sonnax.PRNGSequence(seed), 5), _keys(haiku.PRNGSequence(seed), 5)
    )


def test_reserve_and_take_match_haiku():
    ours, theirs = sonnax.PRNGSequence(1), haiku.PRNGSequence(1)
    ours.reserve(3)
    theirs.reserve(3)
    np.testing.assert_array_equal(np.stack(ours.take(5)), np.stack(theirs.take(5)))
    np.testing.assert_array_equal(_keys(ours, 2), _keys(theirs, 2))


def test_internal_state_round_trip():
    seq = sonnax.PRNGSequence(0)
    seq.reserve(2)
    state = seq.internal_state
    expected = _keys(seq, 4)
    restored = sonnax.PRNGSequence(state)
    np.testing.assert_array_equal(_keys(restored, 4), expected)
    seq.replace_internal_state(state)
    np.testing.assert_array_equal(_keys(seq, 4), expected)


@pytest.mark.parametrize(
    "bad, message",
    [
        (
            jnp.zeros([3], jnp.uint32),
            r"expected=\(shape=\(2,\), dtype=uint32\), actual=\(shape=\(3,\)",
        ),
        (jnp.zeros([2], jnp.float32), r"actual=\(shape=\(2,\), dtype=float32\)"),
        ("seed", "not a JAX PRNGKey"),
        (jax.random.split(jax.random.key(0), 2), r"expected=\(shape=\(\), .*actual=\(shape=\(2,\)"),
    ],
    ids=["wrong_shape", "wrong_dtype", "string", "batch_of_typed_keys"],
)
def test_bad_keys_are_rejected_with_expected_and_actual(bad, message):
    with pytest.raises(ValueError, match=message):
        sonnax.PRNGSequence(bad)


def _draws(lib):
    def f():
        a = lib.next_rng_key()
        lib.reserve_rng_keys(2)
        b = lib.next_rng_keys(3)
        c = lib.maybe_next_rng_key()
        with lib.with_rng(jax.random.PRNGKey(9)):
            d = lib.next_rng_key()
        e = lib.next_rng_key()
        return [jax.random.key_data(k) for k in (a, *b, c, d, e)]

    return lib.transform(f)


def test_keys_inside_transform_match_haiku():
    key = jax.random.PRNGKey(11)
    ours = np.stack(_draws(sonnax).apply({}, key))
    np.testing.assert_array_equal(ours, np.stack(_draws(haiku).apply({}, key)))


def test_rng_sequence_state_functions_match_haiku():
    def make(lib):
        def f():
            state = lib.maybe_get_rng_sequence_state()
            first = lib.next_rng_key()
            lib.replace_rng_sequence_state(state)
            again = lib.next_rng_key()
            return jax.random.key_data(first), jax.random.key_data(again)

        return lib.transform(f)

    key = jax.random.PRNGKey(2)
    ours = make(sonnax).apply({}, key)
    np.testing.assert_array_equal(ours[0], ours[1])
    jax.tree.map(np.testing.assert_array_equal, ours, make(haiku).apply({}, key))


def test_maybe_functions_without_rng_return_none():
    f = sonnax.transform(
        lambda: (sonnax.maybe_next_rng_key(), sonnax.maybe_get_rng_sequence_state())
    )
    assert f.apply({}, None) == (None, None)


@pytest.mark.parametrize(
    "use", ["next_rng_key", "next_rng_keys", "reserve_rng_keys", "replace_rng_sequence_state"]
)
def test_randomness_without_rng_is_a_clear_error(use):
    calls = {
        "next_rng_key": lambda: sonnax.next_rng_key(),
        "next_rng_keys": lambda: sonnax.next_rng_keys(2),
        "reserve_rng_keys": lambda: sonnax.reserve_rng_keys(2),
        "replace_rng_sequence_state": lambda: sonnax.replace_rng_sequence_state(
            (jax.random.PRNGKey(0), ())
        ),
    }
    with pytest.raises(ValueError, match="non-None PRNGKey|requires an RNG"):
        sonnax.transform(calls[use]).apply({}, None)


def test_next_rng_key_outside_transform():
    with pytest.raises(
        ValueError, match="`hk.next_rng_key` must be used as part of an `hk.transform`"
    ):
        sonnax.next_rng_key()


def test_rng_reserve_size_config_matches_haiku():
    key = jax.random.PRNGKey(4)
    with sonnax.config.context(rng_reserve_size=4):
        ours = np.stack(_draws(sonnax).apply({}, key))
    with haiku.config.context(rng_reserve_size=4):
        theirs = np.stack(_draws(haiku).apply({}, key))
    np.testing.assert_array_equal(ours, theirs)


def test_next_rng_key_under_jit_and_vmap():
    f = sonnax.transform(lambda: jax.random.uniform(sonnax.next_rng_key(), [2]))
    keys = jax.random.split(jax.random.PRNGKey(0), 4)
    batched = jax.jit(jax.vmap(lambda k: f.apply({}, k)))(keys)
    assert batched.shape == (4, 2)
    assert len({tuple(np.asarray(row)) for row in batched}) == 4
