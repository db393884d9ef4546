"""Catalogue entries for the stateful transforms (`hk.scan`, `hk.remat`, `hk.vmap`), each
wrapping a module, so they also run under jit, grad, vmap, pmap and bfloat16."""

import jax
import jax.numpy as jnp

from tests.catalogue.entry import Entry


def _scan_remat_linear(lib):
    def f(x):
        linear = lib.Linear(3)
        step = lib.remat(lambda h, column: (jnp.tanh(linear(column[:, None]) + h),) * 2)
        return lib.scan(step, jnp.zeros([x.shape[0], 3], x.dtype), x.T)[1]

    return f


def _vmap_dropout(lib):
    def per_example(x):
        keep = jax.random.bernoulli(lib.next_rng_key(), 0.5, (4,))
        return lib.Linear(4)(x) * keep

    return lambda x: lib.vmap(per_example, split_rng=not lib.running_init())(x)


ENTRIES = [
    Entry("scan_remat_linear", _scan_remat_linear),
    Entry("vmap_dropout", _vmap_dropout, needs_rng=True),
]
