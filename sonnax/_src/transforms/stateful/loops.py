"""`scan`, `map`, `fori_loop` and `while_loop` with params, state and rng carried through.

During init the loop body may create params and state, which would change the
structure of the loop carry; like Haiku, `scan` and `fori_loop` therefore run the
first step outside the JAX loop at init, and `while_loop` refuses to run at init.
"""

from __future__ import annotations

import contextlib
import functools
from collections.abc import Callable, Iterator
from typing import Any

import jax
import jax.numpy as jnp

from sonnax._src.core import frames
from sonnax._src.transforms.stateful import internal_state

_WHILE_LOOP_AT_INIT = """\
hk.while_loop does not support initialization (since we cannot statically determine if \
your loop will run at least once). Please use `hk.running_init` to run the body \
unconditionally at init:

    if hk.running_init():
      # Init: call the body once, so that its modules create their params.
      val = body_fun(val)
    else:
      val = hk.while_loop(cond_fun, body_fun, val)"""


@contextlib.contextmanager
def _no_new_parameters(public_name: str) -> Iterator[None]:
    before = internal_state.parameter_names()
    yield
    created = sorted(internal_state.parameter_names() - before)
    if created:
        raise AssertionError(
            f"New parameters were created: {created}. The body of hk.{public_name} runs after "
            "its first step created the params, so it must not create new ones: construct "
            "modules outside the scanned function and call them inside it."
        )


def _scan_step(f: Callable[[Any, Any], Any]) -> Callable[[Any, Any], Any]:
    @functools.wraps(f)
    def pure_step(carry: Any, x: Any) -> Any:
        carry, carried = carry
        with internal_state.running_with(carried):
            with _no_new_parameters("scan"):
                carry, y = f(carry, x)
            internal_state.top_up_rng()
            return (carry, internal_state.capture(params=False)), y

    return pure_step


def _first_step_at_init(
    f: Callable[[Any, Any], Any], init: Any, xs: Any, length: int, reverse: bool
) -> tuple[Any, Any, Any, int]:
    """Runs one step outside the loop; returns `(carry, y0, remaining xs, length)`."""
    if not length:
        x0 = jax.tree.map(lambda x: jnp.zeros(x.shape[1:], x.dtype), xs)
        _, y0 = f(init, x0)
        return init, jax.tree.map(lambda y: jnp.zeros((0, *y.shape), y.dtype), y0), xs, 0
    index, rest = (-1, slice(None, -1)) if reverse else (0, slice(1, None))
    carry, y0 = f(init, jax.tree.map(lambda x: x[index], xs))
    y0 = jax.tree.map(lambda y: jnp.expand_dims(y, 0), y0)
    return carry, y0, jax.tree.map(lambda x: x[rest], xs), length - 1


def scan(
    f: Callable[[Any, Any], tuple[Any, Any]],
    init: Any,
    xs: Any,
    length: int | None = None,
    reverse: bool = False,
    unroll: int | bool = 1,
) -> tuple[Any, Any]:
    """`jax.lax.scan` for a step function that uses modules, params, state or rng.

    >>> import sonnax as hk
    >>> import jax, jax.numpy as jnp
    >>> def f(xs):
    ...     linear = hk.Linear(2)
    ...     return hk.scan(lambda h, x: (jnp.tanh(linear(x) + h),) * 2, jnp.zeros([2]), xs)
    >>> params = hk.transform(f).init(jax.random.PRNGKey(0), jnp.ones([5, 3]))
    >>> jax.tree.map(jnp.shape, params)
    {'linear': {'b': (2,), 'w': (3, 2)}}

    Args:
      f: `f(carry, x) -> (carry, y)`; construct its modules outside it.
      init: the initial carry.
      xs: the values scanned over (leading axis), or `None` with `length`.
      length: the number of steps (default: the leading axis of `xs`).
      reverse: scan from the end.
      unroll: steps per loop iteration, as for `jax.lax.scan`.

    Returns:
      `(final carry, stacked ys)`.

    Raises:
      ValueError: outside `transform`.
      AssertionError: `f` created new params after its first step.
    """
    internal_state.assert_transformed("scan", "jax.lax.scan")
    if length is None:
        length = jax.tree.leaves(xs)[0].shape[0]
    at_init = not frames.current().params_frozen
    if at_init:
        init, y0, xs, length = _first_step_at_init(f, init, xs, length, reverse)
        if not length:
            return init, y0
    # Params were made by the first step at init and are frozen in apply: only
    # state and rng travel in the carry.
    internal_state.top_up_rng()
    carry = (init, internal_state.capture(params=False))
    (carry, carried), ys = jax.lax.scan(_scan_step(f), carry, xs, length, reverse, unroll=unroll)
    internal_state.restore(carried)
    if at_init:
        join = (
            (lambda y0, ys: jnp.concatenate([ys, y0]))
            if reverse
            else (lambda y0, ys: jnp.concatenate([y0, ys]))
        )
        ys = jax.tree.map(join, y0, ys)
    return carry, ys


def map(f: Callable[[Any], Any], xs: Any) -> Any:  # Shadows the builtin: mirrors `hk.map`.
    """`jax.lax.map` for a function that uses modules, params, state or rng.

    >>> import sonnax as hk
    >>> import jax, jax.numpy as jnp
    >>> def f(xs):
    ...     return hk.map(hk.Linear(2), xs)
    >>> f = hk.transform(f)
    >>> xs = jnp.ones([4, 1, 3])
    >>> f.apply(f.init(jax.random.PRNGKey(0), xs), None, xs).shape
    (4, 1, 2)

    Args:
      f: applied to each slice of `xs` along its leading axis.
      xs: the inputs, stacked along the leading axis.

    Returns:
      The outputs, stacked along the leading axis.
    """
    _, ys = scan(lambda carry, x: (carry, f(x)), (), xs)
    return ys


def _fori_body(body_fun: Callable[[Any, Any], Any]) -> Callable[[Any, Any], Any]:
    @functools.wraps(body_fun)
    def pure_body(i: Any, val: Any) -> Any:
        carried, val = val
        with internal_state.running_with(carried):
            val = body_fun(i, val)
            internal_state.top_up_rng()
            return internal_state.capture(), val

    return pure_body


def fori_loop(lower: Any, upper: Any, body_fun: Callable[[Any, Any], Any], init_val: Any) -> Any:
    """`jax.lax.fori_loop` for a body that uses modules, params, state or rng.

    At init the first iteration runs outside the loop, so the body's modules create
    their params there.

    >>> import sonnax as hk
    >>> import jax.numpy as jnp
    >>> def f():
    ...     def body(i, total):
    ...         count = hk.get_state("count", [], jnp.int32, init=jnp.zeros)
    ...         hk.set_state("count", count + 1)
    ...         return total + i
    ...     return hk.fori_loop(0, 4, body, 0)
    >>> f = hk.transform_with_state(f)
    >>> params, state = f.init(None)
    >>> f.apply(params, state, None)
    (Array(6, dtype=int32, weak_type=True), {'~': {'count': Array(4, dtype=int32)}})

    Args:
      lower: the first loop index.
      upper: one past the last loop index.
      body_fun: `body_fun(i, val) -> val`.
      init_val: the initial value.

    Returns:
      The final value.
    """
    internal_state.assert_transformed("fori_loop", "jax.lax.fori_loop")
    if not frames.current().params_frozen:
        init_val = body_fun(lower, init_val)
        lower += 1
        try:
            if upper - lower == 0:
                return init_val
        except jax.errors.ConcretizationTypeError:
            pass  # Traced bounds: the JAX loop handles an empty range itself.
    internal_state.top_up_rng()
    carried, val = jax.lax.fori_loop(
        lower, upper, _fori_body(body_fun), (internal_state.capture(), init_val)
    )
    internal_state.restore(carried)
    return val


def _identities() -> frozenset[int]:
    frame = frames.current()
    trees = (frame.params, frame.state, frame.initial_state)
    ids = [id(value) for tree in trees for values in tree.values() for value in values.values()]
    sequence = frame.rng_stack[-1]
    if sequence is not None:
        key, subkeys = sequence.internal_state
        ids += [id(key), *(id(subkey) for subkey in subkeys)]
    return frozenset(ids)


def _while_cond(cond_fun: Callable[[Any], Any]) -> Callable[[Any], Any]:
    @functools.wraps(cond_fun)
    def pure_cond(val: Any) -> Any:
        val, _ = val
        before = _identities()
        out = cond_fun(val)
        if _identities() != before:
            raise ValueError(
                "`hk.while_loop` does not support `hk.set_state`, `hk.next_rng_key` (et al) "
                f"in `cond_fun` ({getattr(cond_fun, '__name__', cond_fun)!r}): JAX gives "
                "the loop condition no way to return them. Move them into `body_fun`."
            )
        return out

    return pure_cond


def _while_body(body_fun: Callable[[Any], Any]) -> Callable[[Any], Any]:
    @functools.wraps(body_fun)
    def pure_body(val: Any) -> Any:
        val, carried = val
        with internal_state.running_with(carried):
            val = body_fun(val)
            internal_state.top_up_rng()
            return val, internal_state.capture()

    return pure_body


def while_loop(
    cond_fun: Callable[[Any], Any], body_fun: Callable[[Any], Any], init_val: Any
) -> Any:
    """`jax.lax.while_loop` for a body that uses modules, params, state or rng (apply only).

    >>> import sonnax as hk
    >>> def f(x):
    ...     if hk.running_init():
    ...         return x
    ...     return hk.while_loop(lambda x: x < 10, lambda x: x * 2, x)
    >>> hk.transform(f).apply({}, None, 3)
    Array(12, dtype=int32, weak_type=True)

    Args:
      cond_fun: `cond_fun(val) -> bool`; must not set state or draw keys.
      body_fun: `body_fun(val) -> val`.
      init_val: the initial value.

    Returns:
      The final value.

    Raises:
      ValueError: at init (see the message for the pattern to use), or when
        `cond_fun` sets state or draws keys.
    """
    if not frames.assert_inside("while_loop").params_frozen:
        raise ValueError(_WHILE_LOOP_AT_INIT)
    internal_state.top_up_rng()
    init = (init_val, internal_state.capture())
    val, carried = jax.lax.while_loop(_while_cond(cond_fun), _while_body(body_fun), init)
    internal_state.restore(carried)
    return val
