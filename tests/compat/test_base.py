"""A module written against Sonnet's `snt.Module` runs under compat with Sonnet's names.

`SOURCE` is ordinary Sonnet code: a subclass whose `__init__` builds submodules, a
`__call__`, `@snt.once`, properties (one creating a submodule), `@snt.no_name_scope`,
`snt.allow_empty_variables`, `name_scope`, and the `variables`/`trainable_variables`/
`submodules` properties. It is executed twice, with `snt` bound to TF Sonnet and to
`sonnax.compat` (and `make_variable` to `tf.Variable` or `get_parameter`/`get_state`),
and everything it reports about its variables and modules must agree, variable names
compared by the converter's rule (`mlp/linear_0/w` is `("mlp/~/linear_0", "w")`).
"""

from __future__ import annotations

import functools
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np
import pytest
import sonnet
import tensorflow as tf

import sonnax
from sonnax import compat
from sonnax.convert import split_name

SOURCE = '''
class Scale(snt.Module):
    """A variable of its own, created once and kept as an attribute."""

    def __init__(self, name=None):
        super().__init__(name=name)
        self.initialize_calls = 0

    @snt.once
    def _initialize(self, x):
        self.initialize_calls += 1
        self.scale = make_variable("scale", [x.shape[-1]], trainable=True)

    def __call__(self, x):
        self._initialize(x)
        return x * self.scale


class Counter(snt.Module):
    """A non-trainable variable."""

    @snt.once
    def _initialize(self):
        self.count = make_variable("count", [], trainable=False)

    def __call__(self, x):
        self._initialize()
        return x + self.count


class Block(snt.Module):
    def __init__(self, size, name=None):
        super().__init__(name=name)
        self.linear = snt.Linear(size, name="linear")
        self.scale = Scale(name="scale")

    @property
    def size(self):
        return self.linear.output_size

    @property
    def lazy(self):
        # A submodule made in a property getter, which Sonnet runs in the module's scope.
        if not hasattr(self, "_lazy"):
            self._lazy = snt.Linear(self.size, name="lazy")
        return self._lazy

    def __call__(self, x):
        return self.lazy(self.scale(self.linear(x)))


@snt.allow_empty_variables
class Empty(snt.Module):
    def __call__(self, x):
        return 2 * x


class NotAllowedEmpty(snt.Module):
    def __call__(self, x):
        return x


class Model(snt.Module):
    def __init__(self, name=None):
        super().__init__(name=name)
        self.blocks = [Block(4, name="block_a"), Block(3, name="block_b")]
        self.empty = Empty()

    @snt.no_name_scope
    def make_head(self):
        # Runs in the caller's scope: the head is not the model's child.
        return snt.Linear(2, name="head")

    def __call__(self, x):
        for block in self.blocks:
            x = block(x)
        if not hasattr(self, "counter"):
            self.counter = Counter(name="counter")
        return self.empty(self.counter(x))


def forward(x):
    model = Model(name="model")
    y = model(x)
    y = y + model.blocks[0](x)[..., :3]  # A second call: `once` does not run again.
    head = model.make_head()
    y = head(y)
    with model.name_scope:
        side = snt.Linear(2, name="side")
    y = side(y)
    return y, model, head, side
'''


def _namespace(snt: Any, make_variable: Any) -> dict[str, Any]:
    namespace = {"snt": snt, "make_variable": make_variable, "__name__": f"source_{snt.__name__}"}
    exec(compile(SOURCE, f"<source for {snt.__name__}>", "exec"), namespace)
    return namespace


def _tf_variable(name, shape, trainable):
    return tf.Variable(tf.ones(shape), trainable=trainable, name=name)


def _compat_variable(name, shape, trainable):
    if trainable:
        return sonnax.get_parameter(name, shape, init=jnp.ones)
    return sonnax.get_state(name, shape, init=jnp.ones)


def _report(modules: dict[str, Any], key_of: Any) -> dict[str, Any]:
    """What the source says about its modules, with variables named by `key_of`."""
    model = modules["model"]
    keys = lambda variables: sorted(key_of(v) for v in variables)
    report = {
        "model.variables": keys(model.variables),
        "model.trainable_variables": keys(model.trainable_variables),
        "model.non_trainable_variables": keys(model.non_trainable_variables),
        "model.submodules": sorted((type(m).__name__, m.name) for m in model.submodules),
        "model.blocks[0].submodules": sorted(m.name for m in model.blocks[0].submodules),
        "head.variables": keys(modules["head"].variables),
        "side.variables": keys(modules["side"].variables),
        "empty.variables": list(model.empty.variables),
        "scale initialize calls": model.blocks[0].scale.initialize_calls,
        "block size property": model.blocks[1].size,
        "model.name": model.name,
        "output shape": tuple(modules["output"].shape),
    }
    try:
        _ = modules["not_allowed"].variables
        report["empty without allow_empty_variables"] = "no error"
    except ValueError:
        report["empty without allow_empty_variables"] = "ValueError"
    return report


X = np.ones((2, 4), np.float32)


@functools.cache
def run_tf() -> tuple[dict[str, Any], list[tuple[str, str]]]:
    namespace = _namespace(sonnet, _tf_variable)
    created: list[str] = []

    def record(next_creator, **kwargs):
        variable = next_creator(**kwargs)
        created.append(variable.name)
        return variable

    with tf.variable_creator_scope(record):
        output, model, head, side = namespace["forward"](tf.constant(X))
        not_allowed = namespace["NotAllowedEmpty"](name="not_allowed")
        not_allowed(tf.constant(X))
    modules = {"model": model, "head": head, "side": side, "output": output}
    modules["not_allowed"] = not_allowed
    report = _report(modules, lambda v: split_name(v.name))
    return report, sorted(split_name(n) for n in created)


@functools.cache
def run_compat() -> tuple[dict[str, Any], list[tuple[str, str]]]:
    namespace = _namespace(compat, _compat_variable)
    reports = []

    def f(x):
        output, model, head, side = namespace["forward"](x)
        not_allowed = namespace["NotAllowedEmpty"](name="not_allowed")
        not_allowed(x)
        names = {
            id(value): (module, name)
            for tree in (sonnax.get_params(), sonnax.get_current_state())
            for module, bundle in tree.items()
            for name, value in bundle.items()
        }
        modules = {"model": model, "head": head, "side": side, "output": output}
        modules["not_allowed"] = not_allowed
        reports.append(_report(modules, lambda v: names[id(v)]))
        return output

    params, state = sonnax.transform_with_state(f).init(jax.random.PRNGKey(0), jnp.asarray(X))
    created = [(m, n) for tree in (params, state) for m, bundle in tree.items() for n in bundle]
    return reports[0], sorted(created)


def test_variables_created_have_sonnets_names():
    assert run_compat()[1] == run_tf()[1]


def test_trainability_matches_sonnets():
    # Trainable TF variables are params, non-trainable ones state.
    def f(x):
        return _namespace(compat, _compat_variable)["forward"](x)[0]

    params, state = sonnax.transform_with_state(f).init(jax.random.PRNGKey(0), jnp.asarray(X))
    tf_report = run_tf()[0]
    assert sorted((m, n) for m, b in params.items() for n in b) == sorted(
        tf_report["model.trainable_variables"]
        + tf_report["head.variables"]
        + tf_report["side.variables"]
    )
    assert sorted((m, n) for m, b in state.items() for n in b) == sorted(
        tf_report["model.non_trainable_variables"]
    )


REPORTED = [
    "model.variables",
    "model.trainable_variables",
    "model.non_trainable_variables",
    "model.submodules",
    "model.blocks[0].submodules",
    "head.variables",
    "side.variables",
    "empty.variables",
    "scale initialize calls",
    "block size property",
    "model.name",
    "output shape",
    "empty without allow_empty_variables",
]


@pytest.mark.parametrize("what", REPORTED)
def test_module_reports_what_sonnet_reports(what):
    tf_report, _ = run_tf()
    compat_report, _ = run_compat()
    assert set(compat_report) == set(tf_report)
    assert compat_report[what] == tf_report[what], what


def test_source_exercises_what_it_claims():
    # Guards the test itself: the interesting cases are present in Sonnet's own answers.
    tf_report, created = run_tf()
    assert ("model/~/block_a/~/lazy", "w") in created  # Made in a property getter.
    assert ("model/~/side", "w") in created  # Made under `with model.name_scope`.
    assert ("head", "w") in created  # Made in a `no_name_scope` method.
    assert ("model/~/counter", "count") in tf_report["model.non_trainable_variables"]
    assert tf_report["scale initialize calls"] == 1  # `once`, though called three times.
    assert tf_report["empty.variables"] == []
    assert tf_report["empty without allow_empty_variables"] == "ValueError"
