"""Catalogue entries for the modules built with the core: Linear, Sequential, MLP, ..."""

import jax

from tests.catalogue.entry import Entry


def _sequential(lib):
    return lib.Sequential([lib.Linear(5), jax.nn.relu, lib.Linear(3)])


def _batch_apply(lib):
    return lambda x: lib.BatchApply(lib.Linear(4))(x)


def _deferred(lib):
    return lambda x: lib.Deferred(lambda: lib.Linear(3))(x)


def _mlp_with_dropout(lib):
    return lambda x: lib.nets.MLP([7, 2])(x, dropout_rate=0.5, rng=lib.next_rng_key())


ENTRIES = [
    Entry("linear", lambda lib: lib.Linear(4)),
    Entry("linear_no_bias", lambda lib: lib.Linear(4, with_bias=False)),
    Entry("bias", lambda lib: lib.Bias()),
    Entry("flatten", lambda lib: lambda x: lib.Flatten()(x), (8, 2, 3)),
    Entry("reshape", lambda lib: lambda x: lib.Reshape((3, 2))(x)),
    Entry("sequential", _sequential),
    Entry("batch_apply", _batch_apply, (8, 2, 6)),
    Entry("deferred", _deferred),
    Entry("mlp", lambda lib: lib.nets.MLP([7, 2])),
    Entry("mlp_dropout", _mlp_with_dropout, needs_rng=True),
    Entry("expand_apply", lambda lib: lambda x: lib.expand_apply(lib.Linear(3))(x[0])),
    Entry(
        "dropout", lambda lib: lambda x: lib.dropout(lib.next_rng_key(), 0.25, x), needs_rng=True
    ),
]
