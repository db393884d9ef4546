"""Random keys: `PRNGSequence` and the `next_rng_key` family.

Keys are split exactly as Haiku 0.0.17 splits them, so a model seeded the same
way starts from the same weights in Haiku and in sonnax.
"""

from __future__ import annotations

import collections
import contextlib
import functools
import threading
from collections.abc import Iterable, Iterator
from typing import Any, TypeAlias

import jax
import jax.numpy as jnp

from sonnax._src import config
from sonnax._src.core import frames

PRNGSequenceState: TypeAlias = tuple[jax.Array, Iterable[jax.Array]]


class MissingRNGError(ValueError):
    """Randomness was asked for, but `init` or `apply` was given no rng key."""


@functools.cache
def _raw_key_shape(prng_impl: str) -> tuple[int, ...]:
    del prng_impl  # Only the cache key: the shape depends on the configured implementation.
    return jax.eval_shape(lambda: jax.random.key_data(jax.random.key(0))).shape


def assert_is_prng_key(key: Any) -> None:
    """Raises `ValueError` unless `key` is a single JAX key (typed, or raw uint32).

    Args:
      key: the candidate key.

    Raises:
      ValueError: naming the expected and actual shape and dtype.
    """
    if not hasattr(key, "shape") or not hasattr(key, "dtype"):
        raise ValueError(f"The provided key is not a JAX PRNGKey but a {type(key)}:\n{key}")
    if jax.dtypes.issubdtype(key.dtype, jax.dtypes.prng_key):
        if key.shape:
            raise ValueError(
                "Provided key did not have expected shape and/or dtype: "
                f"expected=(shape=(), dtype={key.dtype}), "
                f"actual=(shape={key.shape}, dtype={key.dtype}); pass one key, not a batch."
            )
        return
    expected_shape = _raw_key_shape(str(jax.config.jax_default_prng_impl))  # type: ignore[attr-defined]
    if key.shape != expected_shape or key.dtype != jnp.uint32:
        raise ValueError(
            "Provided key did not have expected shape and/or dtype: "
            f"expected=(shape={expected_shape}, dtype=uint32), "
            f"actual=(shape={key.shape}, dtype={key.dtype}). "
            "Make one with `jax.random.PRNGKey(seed)` or `jax.random.key(seed)`."
        )


def _is_int32_scalar(value: Any) -> bool:
    return getattr(value, "shape", None) == () and getattr(value, "dtype", None) == jnp.int32


class PRNGSequence(Iterator[jax.Array]):
    """An iterator of JAX random keys, split from one key or seed.

    >>> import sonnax as hk
    >>> seq = hk.PRNGSequence(42)
    >>> first, second = next(seq), next(seq)
    >>> bool((first != second).any())
    True

    Args:
      key_or_seed: an int seed, a JAX key, or a `(key, subkeys)` state as returned
        by `internal_state`.
    """

    __slots__ = ("_key", "_subkeys")
    _subkeys: collections.deque[jax.Array]

    def __init__(self, key_or_seed: jax.Array | int | PRNGSequenceState):
        if isinstance(key_or_seed, tuple):
            key, subkeys = key_or_seed
            subkeys = tuple(subkeys)
            for candidate in (key, *subkeys):
                assert_is_prng_key(candidate)
            self._key = key
            self._subkeys = collections.deque(subkeys)
            return
        if isinstance(key_or_seed, int) or _is_int32_scalar(key_or_seed):
            key_or_seed = jax.random.PRNGKey(key_or_seed)
        else:
            assert_is_prng_key(key_or_seed)
        self._key = key_or_seed
        self._subkeys = collections.deque()

    def reserve(self, num: int) -> None:
        """Splits `num` more keys now, to be handed out by later `next` calls.

        Args:
          num: how many keys to add.
        """
        if num > 0:
            # Haiku's order: the first of the split keys carries the sequence on,
            # the others are handed out in order.
            key, *subkeys = jax.random.split(self._key, num + 1)
            self._key = key
            self._subkeys.extend(subkeys)

    @property
    def internal_state(self) -> PRNGSequenceState:
        """The `(key, reserved_subkeys)` that fully describe this sequence."""
        return self._key, tuple(self._subkeys)

    def replace_internal_state(self, state: PRNGSequenceState) -> None:
        """Replaces this sequence's state with one from `internal_state`."""
        key, subkeys = state
        subkeys = tuple(subkeys)
        for candidate in (key, *subkeys):
            assert_is_prng_key(candidate)
        self._key = key
        self._subkeys = collections.deque(subkeys)

    def __next__(self) -> jax.Array:
        if not self._subkeys:
            self.reserve(config.get_config().rng_reserve_size)
        return self._subkeys.popleft()

    next = __next__

    def take(self, num: int) -> tuple[jax.Array, ...]:
        """Returns the next `num` keys, splitting any that are missing in one go."""
        self.reserve(max(num - len(self._subkeys), 0))
        return tuple(next(self) for _ in range(num))


def to_prng_sequence(rng: Any, error_message: str) -> PRNGSequence | None:
    """The rng argument of init/apply as a sequence (`None` stays `None`).

    Args:
      rng: `None`, a `PRNGSequence`, a JAX key or an int seed.
      error_message: what to say if `rng` is none of these.

    Returns:
      The sequence, or `None`.

    Raises:
      ValueError: `error_message`, with the offending value.
    """
    if rng is None or isinstance(rng, PRNGSequence):
        return rng
    try:
        sequence = PRNGSequence(rng)
    except (ValueError, TypeError, OverflowError) as e:
        raise ValueError(f"{error_message}; got a {type(rng).__name__}: {rng!r}") from e
    return sequence


class _Counters(threading.local):
    def __init__(self) -> None:
        self.active: list[list[int]] = []


# One-element lists counting `next_rng_key` calls, for `experimental.optimize_rng_use`.
next_rng_key_counters = _Counters()


def _sequence_or_fail(frame: frames.Frame) -> PRNGSequence:
    sequence = frame.rng_stack[-1]
    if sequence is None:
        module = frame.current_module()
        where = "" if module is None else f" (module {getattr(module, 'module_name', '?')!r})"
        raise MissingRNGError(
            "You must pass a non-None PRNGKey to init and/or apply if you make use of "
            "random numbers: e.g. `f.apply(params, jax.random.PRNGKey(0), x)`, or "
            "`f.apply(params, state, key, x)` for `transform_with_state`. A key was asked "
            f"for here{where}."
        )
    return sequence


def next_rng_key() -> jax.Array:
    """Returns a fresh key from the rng given to `init`/`apply`.

    Returns:
      A JAX key, different on every call.

    Raises:
      MissingRNGError: `init`/`apply` was called with `rng=None`.
    """
    frame = frames.assert_inside("next_rng_key", pure_jax_only=True)
    for counter in next_rng_key_counters.active:
        counter[0] += 1
    return next(_sequence_or_fail(frame))


def next_rng_keys(num: int) -> jax.Array:
    """Returns `num` fresh keys stacked along a leading axis.

    Args:
      num: how many keys.

    Returns:
      An array of `num` keys.
    """
    sequence = _sequence_or_fail(frames.assert_inside("next_rng_keys", pure_jax_only=True))
    return jnp.stack(sequence.take(num))


def maybe_next_rng_key() -> jax.Array | None:
    """Like `next_rng_key`, but returns `None` when no rng was given."""
    sequence = frames.assert_inside("maybe_next_rng_key").rng_stack[-1]
    if sequence is None:
        return None
    frames.assert_inside("maybe_next_rng_key", pure_jax_only=True)
    return next(sequence)


def reserve_rng_keys(num: int) -> None:
    """Splits `num` keys at once, for the next `num` calls of `next_rng_key`.

    Args:
      num: how many keys to pre-split.
    """
    _sequence_or_fail(frames.assert_inside("reserve_rng_keys", pure_jax_only=True)).reserve(num)


def maybe_get_rng_sequence_state() -> PRNGSequenceState | None:
    """The current rng sequence's `internal_state`, or `None` when there is no rng."""
    sequence = frames.assert_inside("maybe_get_rng_sequence_state").rng_stack[-1]
    return None if sequence is None else sequence.internal_state


def replace_rng_sequence_state(state: PRNGSequenceState) -> None:
    """Replaces the current rng sequence's state (see `maybe_get_rng_sequence_state`).

    Args:
      state: a `(key, subkeys)` pair.

    Raises:
      MissingRNGError: the transform was given no rng.
    """
    frame = frames.assert_inside("replace_rng_sequence_state", pure_jax_only=True)
    sequence = frame.rng_stack[-1]
    if sequence is None:
        raise MissingRNGError(
            "replace_rng_sequence_state requires an RNG to be passed into the transformed "
            "function (the `rng` argument of init/apply was None)."
        )
    sequence.replace_internal_state(state)


@contextlib.contextmanager
def with_rng(key: jax.Array) -> Iterator[None]:
    """Within the block, `next_rng_key` draws from a sequence seeded by `key`.

    Args:
      key: the key (or int seed) to draw from.
    """
    frame = frames.assert_inside("with_rng", pure_jax_only=True)
    frame.rng_stack.append(PRNGSequence(key))
    try:
        yield
    finally:
        frame.rng_stack.pop()
