"""Catalogue entries for lifting and layer stacks: lift, layer_stack."""

import jax.numpy as jnp

from tests.catalogue.entry import Entry


def _lift(lib):
    def f(x):
        inner = lib.transform(lambda x: lib.Linear(3)(x))
        init_rng = lib.next_rng_key() if lib.running_init() else None
        params = lib.lift(inner.init, name="inner")(init_rng, x)
        return inner.apply(params, None, x)

    return f


def _layer_stack(lib):
    return lambda x: lib.layer_stack(3)(lambda x: jnp.tanh(lib.Linear(6)(x)))(x)


ENTRIES = [
    Entry("lift", _lift),
    Entry("layer_stack", _layer_stack),
]
