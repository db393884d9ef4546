"""Builders shared by the recurrent tests: run a core one step or over a sequence."""

import jax


def plain(tree):
    """The leaves of `tree` as a list, so Haiku's and sonnax's `LSTMState`s compare equal."""
    return jax.tree.leaves(tree)


def step(lib, core, x, batch_size):
    """One step from the initial state: `(initial_state, output, next_state)` as plain lists."""
    state = core.initial_state(batch_size)
    out, next_state = core(x, state)
    return plain(state), out, plain(next_state)


def unroll(lib, core, x, *, static=False, **kwargs):
    """An unroll of batch-major `x` (a nest of `[B, T, ...]`) from the initial state."""
    state = core.initial_state(jax.tree.leaves(x)[0].shape[0])
    unroll_fn = lib.static_unroll if static else lib.dynamic_unroll
    out, final = unroll_fn(core, x, state, time_major=False, **kwargs)
    return out, plain(final)
