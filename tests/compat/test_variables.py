"""`snt.format_variables` / `snt.log_variables`: Sonnet's table for the same model.

Rows are compared with Sonnet's after the one naming difference, `/~/` for `/` (the
converter's rule), and TF's int64 counters, which are int32 without JAX's x64 mode.
"""

from __future__ import annotations

import logging

import jax
import jax.numpy as jnp
import numpy as np
import pytest
import sonnet
import tensorflow as tf

import sonnax
from sonnax import compat

X = np.random.default_rng(0).standard_normal((2, 3)).astype(np.float32)


def _model(snt):
    mlp = snt.nets.MLP([4, 2], name="mlp")
    bn = snt.BatchNorm(create_scale=True, create_offset=True, name="bn")
    return mlp, bn


def _rows(table: str) -> list[list[str]]:
    return [[cell.strip() for cell in line.split("\t")] for line in table.splitlines()]


def _as_sonnet(rows: list[list[str]]) -> list[list[str]]:
    return [[row[0].replace("/~/", "/"), row[1].replace("i32", "i64"), *row[2:]] for row in rows]


@pytest.fixture(scope="module")
def sonnet_table() -> str:
    mlp, bn = _model(sonnet)
    bn(mlp(tf.constant(X)), is_training=True)
    return sonnet.format_variables(mlp.variables + bn.variables, tablefmt="tsv")


def _init():
    def forward(x):
        mlp, bn = _model(compat)
        return bn(mlp(x), is_training=True)

    return sonnax.transform_with_state(forward).init(jax.random.PRNGKey(0), jnp.asarray(X))


def test_table_of_params_and_state_matches_sonnets(sonnet_table):
    table = compat.format_variables(_init(), tablefmt="tsv")
    assert _as_sonnet(_rows(table)) == _rows(sonnet_table)


def test_table_of_module_variables_inside_a_transform_matches_sonnets(sonnet_table):
    tables = []

    def forward(x):
        mlp, bn = _model(compat)
        out = bn(mlp(x), is_training=True)
        tables.append(compat.format_variables(mlp.variables + bn.variables, tablefmt="tsv"))
        return out

    sonnax.transform_with_state(forward).init(jax.random.PRNGKey(0), jnp.asarray(X))
    assert _as_sonnet(_rows(tables[0])) == _rows(sonnet_table)


def test_default_format_is_sonnets():
    mlp, _ = _model(sonnet)
    mlp(tf.constant(X))
    params, _ = _init()
    mlp_params = {k: v for k, v in params.items() if k.startswith("mlp")}
    expected = sonnet.format_variables(mlp.variables)
    # Same layout: only the names are wider, by the `~/` of each name.
    table = compat.format_variables(mlp_params).replace("/~/", "/")
    assert [line.split("|")[2:] for line in table.splitlines()] == [
        line.split("|")[2:] for line in expected.splitlines()
    ]


def test_trainability_column_for_params_alone_and_for_state():
    params, state = _init()
    assert all(row[2] == "True" for row in _rows(compat.format_variables(params, "tsv"))[1:])
    state_rows = _rows(compat.format_variables(({}, state), "tsv"))[1:]
    assert state_rows and all(row[2] == "False" for row in state_rows)


def test_arrays_need_a_transform_to_be_named():
    with pytest.raises(ValueError, match="outside a transform"):
        compat.format_variables([jnp.ones(2)])

    def forward(x):
        compat.Linear(2)(x)
        compat.format_variables([x])

    with pytest.raises(ValueError, match="not a parameter or state value"):
        sonnax.transform(forward).init(jax.random.PRNGKey(0), jnp.asarray(X))


def test_log_variables_logs_the_table_line_by_line(caplog):
    params, state = _init()
    with caplog.at_level(logging.INFO, logger="sonnax.compat"):
        compat.log_variables((params, state))
    assert [r.getMessage() for r in caplog.records] == compat.format_variables(
        (params, state)
    ).split("\n")
