"""Runs a parity case in TF Sonnet and in `sonnax.compat`, starting from the same variables.

The TF side records every variable as it is created (a variable creator scope), so the
compat side starts from exactly the values TF started from, placed by the converter's name
rule (`sonnax.convert.split_name`) and nothing else: trainable variables become params,
the others state. Both sides then make `case.steps` calls on the same inputs, and each call
is differentiated with the same output cotangents, so the test files only compare.
"""

from __future__ import annotations

import dataclasses
import functools
import zlib
from collections.abc import Callable, Mapping
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np
import sonnet
import tensorflow as tf

import sonnax
from sonnax import compat
from sonnax.convert import split_name
from tests.parity.cases import CASES, Case

Key = tuple[str, str]  # (module path, variable name), e.g. ("mlp/~/linear_0", "w")


@dataclasses.dataclass
class Step:
    """What one call produced."""

    outputs: list[np.ndarray]
    input_grads: list[np.ndarray]  # one per floating-point input
    param_grads: dict[Key, np.ndarray]  # one per trainable variable
    variables: dict[Key, np.ndarray]  # every variable's value after the call


@dataclasses.dataclass
class Run:
    """A case run on one side."""

    initial: dict[Key, np.ndarray]
    trainable: dict[Key, bool]
    steps: list[Step]


def _seed(*parts: str) -> int:
    return zlib.crc32("/".join(parts).encode())


def case_inputs(case: Case) -> list[tuple[np.ndarray, ...]]:
    """The inputs of each step, the same for every run of the case."""
    rng = np.random.default_rng(_seed(case.name, "inputs"))
    return [case.make_inputs(rng) for _ in range(case.steps)]


def _is_float(array: np.ndarray) -> bool:
    return np.issubdtype(np.asarray(array).dtype, np.floating)


def cotangents(case: Case, outputs: list[np.ndarray]) -> list[np.ndarray | None]:
    """Fixed random weights for the floating-point outputs: `loss = sum(out * cotangent)`."""
    rng = np.random.default_rng(_seed(case.name, "cotangents"))
    return [
        rng.standard_normal(np.shape(out)).astype(np.float32) if _is_float(out) else None
        for out in outputs
    ]


def _float_indices(inputs: tuple[np.ndarray, ...]) -> list[int]:
    return [i for i, x in enumerate(inputs) if np.issubdtype(x.dtype, np.floating)]


def variable_key(variable_name: str) -> Key:
    """The compat (module, name) of a TF variable, by the converter's name rule."""
    return split_name(variable_name)


@functools.cache
def run_tf(case_name: str, mode: str) -> Run:
    """Builds and runs the Sonnet module in TF (eagerly); cached per case and mode."""
    case = CASES[case_name]
    kwargs = case.modes[mode]
    created: list[tuple[tf.Variable, np.ndarray]] = []

    def record(next_creator: Callable[..., Any], **kw: Any) -> Any:
        variable = next_creator(**kw)
        created.append((variable, variable.numpy().copy()))
        return variable

    steps = []
    cots: list[np.ndarray | None] | None = None
    with tf.variable_creator_scope(record):
        module = case.build(sonnet)
        for inputs in case_inputs(case):
            xs = [tf.constant(x) for x in inputs]
            watched = [xs[i] for i in _float_indices(inputs)]
            with tf.GradientTape() as tape:
                tape.watch(watched)
                outputs = tf.nest.flatten(case.call(sonnet, module, *xs, **kwargs))
                if cots is None:
                    cots = cotangents(case, [out.numpy() for out in outputs])
                terms = [
                    tf.reduce_sum(out * c)
                    for out, c in zip(outputs, cots, strict=False)
                    if c is not None
                ]
                # Summed inside the tape: an `add_n` outside it would not be recorded.
                loss = tf.add_n(terms) if terms else None
            keys = _unique_keys(created)
            trainables = [
                (key, v) for key, (v, _) in zip(keys, created, strict=False) if v.trainable
            ]
            input_grads: list[np.ndarray] = []
            param_grads: dict[Key, np.ndarray] = {}
            if case.grad and terms:
                grads = tape.gradient(loss, watched + [v for _, v in trainables])
                input_grads = [_dense(g, x) for g, x in zip(grads, watched, strict=False)]
                param_grads = {
                    key: _dense(g, v)
                    for (key, v), g in zip(trainables, grads[len(watched) :], strict=False)
                }
            steps.append(
                Step(
                    outputs=[out.numpy() for out in outputs],
                    input_grads=input_grads,
                    param_grads=param_grads,
                    variables={key: v.numpy() for key, (v, _) in zip(keys, created, strict=False)},
                )
            )
    keys = _unique_keys(created)
    return Run(
        initial={key: value for key, (_, value) in zip(keys, created, strict=False)},
        trainable={key: v.trainable for key, (v, _) in zip(keys, created, strict=False)},
        steps=steps,
    )


def _dense(grad: Any, like: Any) -> np.ndarray:
    if grad is None:  # The variable or input did not affect the loss.
        return np.zeros(like.shape, np.float32)
    return tf.convert_to_tensor(grad).numpy()


def _unique_keys(created: list[tuple[tf.Variable, np.ndarray]]) -> list[Key]:
    keys = [variable_key(v.name) for v, _ in created]
    if len(set(keys)) != len(keys):
        names = sorted(v.name for v, _ in created)
        raise ValueError(
            f"TF variable names collide ({names}): name the case's modules so that each "
            "variable has its own name (TF's eager name scopes do not make names unique)."
        )
    return keys


def split_trees(
    values: Mapping[Key, np.ndarray], trainable: Mapping[Key, bool]
) -> tuple[dict[str, dict[str, np.ndarray]], dict[str, dict[str, np.ndarray]]]:
    """(params, state) trees from values keyed (module, name)."""
    params: dict[str, dict[str, np.ndarray]] = {}
    state: dict[str, dict[str, np.ndarray]] = {}
    for (module, name), value in values.items():
        tree = params if trainable[(module, name)] else state
        tree.setdefault(module, {})[name] = value
    return params, state


def flat(tree: Mapping[str, Mapping[str, Any]]) -> dict[Key, Any]:
    """`{module: {name: v}}` -> `{(module, name): v}`."""
    return {(module, name): v for module, bundle in tree.items() for name, v in bundle.items()}


def compat_transform(case: Case, mode: str) -> sonnax.TransformedWithState:
    """The case's compat module, built and called inside `transform_with_state`."""
    kwargs = case.modes[mode]

    def forward(*inputs: Any) -> Any:
        return case.call(compat, case.build(compat), *inputs, **kwargs)

    return sonnax.transform_with_state(forward)


@functools.cache
def compat_init(case_name: str, mode: str) -> tuple[Any, Any]:
    """Shapes and dtypes (`jax.ShapeDtypeStruct`s) of the compat params and state from `init`.

    Only shapes and dtypes are used (the values run from TF's), so `init` is traced, not
    run: compiling every initializer eagerly (e.g. a truncated normal per kernel shape)
    would cost seconds per case.
    """
    case = CASES[case_name]
    f = compat_transform(case, mode)
    inputs = case_inputs(case)[0]
    return jax.eval_shape(f.init, jax.random.PRNGKey(0), *map(jnp.asarray, inputs))


@functools.cache
def run_compat(case_name: str, mode: str) -> Run:
    """Runs the compat module from TF's initial values, under `jax.jit`; cached."""
    case = CASES[case_name]
    tf_run = run_tf(case_name, mode)
    f = compat_transform(case, mode)
    init_params, init_state = compat_init(case_name, mode)
    like = {**flat(init_params), **flat(init_state)}
    # Cast to the compat dtypes (e.g. TF's int64 counters are int32 without jax x64).
    initial = {key: np.asarray(value, like[key].dtype) for key, value in tf_run.initial.items()}
    params, state = jax.tree.map(jnp.asarray, split_trees(initial, tf_run.trainable))

    all_inputs = case_inputs(case)
    cots = cotangents(case, tf_run.steps[0].outputs)

    @jax.jit
    def step(params: Any, state: Any, rng: Any, inputs: tuple[Any, ...]) -> Any:
        float_indices = _float_indices(all_inputs[0])

        def loss(params: Any, float_inputs: list[Any]) -> Any:
            xs = list(inputs)
            for i, x in zip(float_indices, float_inputs, strict=False):
                xs[i] = x
            out, new_state = f.apply(params, state, rng, *xs)
            outputs = jax.tree.leaves(out)
            terms = [jnp.sum(o * c) for o, c in zip(outputs, cots, strict=False) if c is not None]
            return sum(terms, jnp.zeros([])), (outputs, new_state)

        float_inputs = [inputs[i] for i in float_indices]
        (_, (outputs, new_state)), (param_grads, input_grads) = jax.value_and_grad(
            loss, argnums=(0, 1), has_aux=True
        )(params, float_inputs)
        return outputs, new_state, param_grads, input_grads

    steps = []
    rngs = jax.random.split(jax.random.PRNGKey(1), case.steps)
    for rng, inputs in zip(rngs, all_inputs, strict=False):
        outputs, state, param_grads, input_grads = step(
            params, state, rng if case.rng else None, tuple(map(jnp.asarray, inputs))
        )
        steps.append(
            Step(
                outputs=[np.asarray(o) for o in outputs],
                input_grads=[np.asarray(g) for g in input_grads],
                param_grads={k: np.asarray(v) for k, v in flat(param_grads).items()},
                variables={k: np.asarray(v) for k, v in {**flat(params), **flat(state)}.items()},
            )
        )
    return Run(
        initial=initial,
        trainable={key: key in flat(params) for key in initial},
        steps=steps,
    )


def assert_close(
    actual: Any, expected: Any, case: Case, what: str, *, scaled_atol: bool = False
) -> None:
    """`np.testing.assert_allclose` at the case's tolerances, naming what is compared.

    With `scaled_atol` (for gradients), the absolute tolerance is also at least `rtol` times
    the array's largest magnitude: an entry of a gradient is a sum of products, each rounded
    to its own size in float32, so a small entry that is the difference of large terms is
    only as exact as those terms, whichever order either framework sums them in.
    """
    actual = np.asarray(actual)
    expected = np.asarray(expected)
    assert actual.shape == expected.shape, (
        f"{case.name}: {what} has shape {actual.shape} in compat, {expected.shape} in TF"
    )
    np.testing.assert_allclose(
        actual.astype(np.float64),
        expected.astype(np.float64),
        rtol=case.rtol,
        atol=max(case.atol, case.rtol * float(np.max(np.abs(expected), initial=0.0)))
        if scaled_atol
        else case.atol,
        err_msg=f"{case.name}: {what} differs from TF Sonnet",
    )
