"""Runs a TF Sonnet module and its sonnax port on the same inputs and variables, and compares.

TensorFlow is imported only inside the functions that take a live module or build one; a saved
pair of inputs and outputs (`compare_recorded`) needs none. Both sides run at full float32
precision: TF32 off in TF, matmul precision "highest" in JAX.
"""

import contextlib
import inspect
import os
from collections.abc import Callable, Iterator, Sequence
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np
import numpy.typing as npt

import sonnax
from sonnax import convert
from sonnax.parity import _report

Port = Callable[..., Any] | sonnax.Transformed | sonnax.TransformedWithState
Trees = tuple[Any, Any]
_COTANGENT_SEED = 0
_TF_MISSING = (
    "sonnax.parity needs TensorFlow and Sonnet for a live module: pip install 'sonnax[tf]'"
)


class PortApply:
    """A port's `apply` as `(params, state, rng, *inputs) -> (outputs, state)`, for any port."""

    def __init__(self, port: Port):
        if not isinstance(port, sonnax.Transformed | sonnax.TransformedWithState):
            port = sonnax.transform_with_state(port)
        self.port = port
        self.with_state = isinstance(port, sonnax.TransformedWithState)
        # `without_apply_rng` keeps `apply`'s signature, less its `rng`, as Haiku's does.
        self.takes_rng = "rng" in inspect.signature(port.apply).parameters

    def __call__(self, params: Any, state: Any, rng: Any, *inputs: Any) -> tuple[Any, Any]:
        head = (params, state) if self.with_state else (params,)
        result = self.port.apply(*head, *((rng,) if self.takes_rng else ()), *inputs)
        return result if self.with_state else (result, state)

    def fit(self, params: Any, state: Any, inputs: Sequence[Any]) -> Trees:
        """Checks converted variables against the port's own init (shapes and dtypes).

        Raises:
            MismatchError: The port's params or state differ from the converted ones.
        """
        port = self.port
        if isinstance(port, sonnax.Transformed):
            port = _with_empty_state(port)
        return convert.restore((params, state), port, *inputs)


def _with_empty_state(port: sonnax.Transformed) -> sonnax.TransformedWithState:
    return sonnax.TransformedWithState(
        init=lambda rng, *inputs: (port.init(rng, *inputs), {}), apply=port.apply
    )


@contextlib.contextmanager
def full_precision() -> Iterator[None]:
    """TF32 off in TF (if it is loaded) and "highest" matmul precision in JAX, then restored."""
    import sys

    tf = sys.modules.get("tensorflow")
    previous = tf.config.experimental.tensor_float_32_execution_enabled() if tf else None
    if tf:
        tf.config.experimental.enable_tensor_float_32_execution(False)
    try:
        with jax.default_matmul_precision("highest"):
            yield
    finally:
        if tf:
            tf.config.experimental.enable_tensor_float_32_execution(previous)


def output_names(outputs: Any) -> list[str]:
    """A name per output leaf, by its tree path: `outputs`, `outputs[0]`, `outputs[1].hidden`."""
    paths, _ = jax.tree_util.tree_flatten_with_path(outputs)
    return [f"outputs{jax.tree_util.keystr(path)}" for path, _ in paths]


def leaf_rows(
    names: list[str], expected: list[Any], actual: list[Any], what: str, rtol: float, atol: float
) -> list[_report.Row]:
    """Rows pairing TF's leaves with the port's, or one row saying the counts differ."""
    if len(expected) != len(actual):
        problem = f"TF gave {len(expected)} {what}, the port {len(actual)}"
        return [_report.missing(what, problem)]
    return [
        _report.compare_arrays(name, want, got, rtol, atol)
        for name, want, got in zip(names, expected, actual, strict=True)
    ]


def _import_tf() -> Any:
    try:
        import tensorflow as tf  # Lazily: only a live or rebuilt TF module needs it.
    except ImportError as error:
        raise ImportError(_TF_MISSING) from error
    return tf


def _is_float(array: Any) -> bool:
    return np.issubdtype(np.asarray(array).dtype, np.floating)


def _cotangents(outputs: list[np.ndarray]) -> list[np.ndarray | None]:
    """Fixed random weights for the float outputs: the loss is `sum(output * cotangent)`."""
    rng = np.random.default_rng(_COTANGENT_SEED)
    return [
        rng.standard_normal(np.shape(out)).astype(np.asarray(out).dtype) if _is_float(out) else None
        for out in outputs
    ]


def _variables(module: Any, trainable: bool = False) -> list[Any]:
    try:
        return list(module.trainable_variables if trainable else module.variables)
    except ValueError:  # Sonnet's way of saying "none (yet)".
        return []


def _tf_module(
    tf: Any, source: Any, build: Callable[[], Any] | None, call: Callable[..., Any],
    inputs: list[np.ndarray], attribute: str,
) -> tuple[Any, Trees]:  # fmt: skip
    """The TF module with its variables, and those variables converted to sonnax trees."""
    if not isinstance(source, str | os.PathLike):
        if not isinstance(source, tf.Module):
            raise TypeError(
                f"compare: expected a TF Sonnet module (a tf.Module) or a checkpoint path, got "
                f"{type(source).__name__}; put several modules in one, e.g. an snt.Module that "
                "holds them as attributes"
            )
        # Some variables exist before the first call (an EMA's counter), others are made by it:
        # one call makes them all, and those it found keep the values they had. They are found
        # by tf.Module's attribute walk, not `.variables`: on an unbuilt `snt.Deferred` that
        # property builds the target inside the Deferred's name scope, renaming its variables.
        existing = source._flatten(predicate=lambda value: isinstance(value, tf.Variable))  # noqa: SLF001
        before = [(variable, variable.numpy()) for variable in existing]
        call(source, *map(tf.constant, inputs))
        for variable, value in before:
            variable.assign(value)
        return source, convert.from_module(source)
    if build is None:
        raise TypeError(
            f"compare: a checkpoint ({os.fspath(source)!r}) needs build=, a function that builds "
            "the TF Sonnet module it was saved from (e.g. `build=lambda: MyModel()`)"
        )
    with convert.open_checkpoint(source) as checkpoint:
        prefix = checkpoint.path
    module = build()
    call(module, *map(tf.constant, inputs))  # Creates the variables, then the restore sets them.
    tf.train.Checkpoint(**{attribute: module}).restore(prefix).assert_existing_objects_matched()
    return module, convert.from_checkpoint(source)


def _tf_place(name: str, taken: set[tuple[str, str]]) -> tuple[str, str]:
    place = convert.split_name(name)
    if place in taken:
        raise ValueError(
            f"compare(grads=True): two trainable TF variables are named {name!r}, so their "
            "gradients cannot be told apart; give the TF modules distinct names"
        )
    taken.add(place)
    return place


def _run_tf(
    tf: Any, module: Any, call: Callable[..., Any], inputs: list[np.ndarray], grads: bool
) -> tuple[list[np.ndarray], list[np.ndarray], dict[tuple[str, str], np.ndarray]]:
    """TF's output leaves and, with `grads`, the gradients for the inputs and variables."""
    xs = [tf.constant(x) for x in inputs]
    watched = [x for x in xs if x.dtype.is_floating]
    with tf.GradientTape() as tape:
        tape.watch(watched)
        outputs = tf.nest.flatten(call(module, *xs))
        terms = [
            tf.reduce_sum(out * c)
            for out, c in zip(outputs, _cotangents([o.numpy() for o in outputs]), strict=True)
            if c is not None
        ]
        loss = tf.add_n(terms) if terms else None
    values = [np.asarray(out) for out in outputs]
    if not grads or loss is None:
        return values, [], {}
    variables = _variables(module, trainable=True)
    found = tape.gradient(loss, watched + variables)
    dense = [
        np.zeros(like.shape, like.dtype.as_numpy_dtype)  # Unconnected: TF says None.
        if grad is None
        else np.asarray(tf.convert_to_tensor(grad))
        for grad, like in zip(found, watched + variables, strict=True)
    ]
    taken: set[tuple[str, str]] = set()
    by_place = {
        _tf_place(v.name, taken): g for v, g in zip(variables, dense[len(watched) :], strict=True)
    }
    return values, dense[: len(watched)], by_place


def run_port(
    apply: PortApply, trees: Trees, rng: Any, inputs: list[np.ndarray], cotangents: list[Any] | None
) -> tuple[Any, list[Any], Any]:
    """The port's outputs and, given cotangents, its input and params gradients."""
    params, state = trees
    xs = [jnp.asarray(x) for x in inputs]
    if cotangents is None:
        return apply(params, state, rng, *xs)[0], [], {}
    floats = [i for i, x in enumerate(inputs) if _is_float(x)]

    def loss(params: Any, float_inputs: list[Any]) -> tuple[Any, Any]:
        args = list(xs)
        for index, value in zip(floats, float_inputs, strict=True):
            args[index] = value
        outputs, _ = apply(params, state, rng, *args)
        leaves = jax.tree.leaves(outputs)
        terms = [jnp.sum(o * c) for o, c in zip(leaves, cotangents, strict=True) if c is not None]
        return sum(terms, jnp.zeros([])), outputs

    (_, outputs), (param_grads, input_grads) = jax.value_and_grad(
        loss, argnums=(0, 1), has_aux=True
    )(params, [xs[i] for i in floats])
    return outputs, input_grads, param_grads


def _grad_rows(
    tf_inputs: list[np.ndarray], tf_params: dict[tuple[str, str], np.ndarray],
    port_inputs: list[Any], port_params: Any, rtol: float, atol: float,
) -> list[_report.Row]:  # fmt: skip
    names = [f"grads/inputs[{i}]" for i in range(len(tf_inputs))]
    rows = leaf_rows(names, tf_inputs, list(port_inputs), "input gradients", rtol, atol)
    ported = {(m, n): g for m, bundle in port_params.items() for n, g in bundle.items()}
    for place in sorted(set(tf_params) | set(ported)):
        name = f"grads/params/{place[0]}/{place[1]}"
        if place not in ported or place not in tf_params:
            side = "the port" if place not in ported else "TF"
            rows.append(_report.missing(name, f"{side} has no such parameter"))
        else:
            rows.append(_report.compare_arrays(name, tf_params[place], ported[place], rtol, atol))
    return rows


def compare(
    tf_module: Any,
    port: Port,
    *inputs: npt.ArrayLike,
    tf_fn: Callable[..., Any] | None = None,
    build: Callable[[], Any] | None = None,
    attribute: str = "module",
    map_variables: Callable[[Any, Any], Trees] | None = None,
    grads: bool = False,
    rtol: float = 1e-5,
    atol: float = 1e-6,
    rng: jax.Array | None = None,
) -> _report.Report:
    """Runs a TF Sonnet module and its sonnax port from the same variables and compares them.

    The TF module's variables are converted (`sonnax.convert.from_module`, or
    `from_checkpoint` for a checkpoint) and checked against the port's own `init`, so a port
    whose parameters differ in name, shape or dtype fails before anything runs. Both sides
    then run on `inputs` at full float32 precision; with `grads`, both differentiate
    `sum(output * cotangent)` (fixed random cotangents) with respect to the float inputs and
    the trainable variables.

    Args:
        tf_module: A live TF Sonnet module, or a checkpoint path (then `build` is required).
        port: The sonnax port: a `sonnax.transform` / `transform_with_state` result
            (`without_apply_rng` ones too), or a function using `sonnax.compat` modules.
        *inputs: The example inputs, given to both sides positionally.
        tf_fn: How to run the TF module, `tf_fn(module, *inputs)`; `module(*inputs)` by
            default. A first call makes any variables not made yet; the variables that already
            existed are then set back to the values they had.
        build: For a checkpoint: builds the TF module it was saved from (no arguments).
        attribute: For a checkpoint: the module's name in it (`tf.train.Checkpoint(module=m)`).
        map_variables: `map_variables(params, state) -> (params, state)`, applied to the
            converted variables before the check: for a port whose layout is not compat's
            (e.g. core modules in Haiku's layout). Parameter gradients are then left out (the
            two sides hold them in different layouts); input gradients are still compared.
        grads: Also compare gradients (for inputs and for each parameter).
        rtol: Relative tolerance.
        atol: Absolute tolerance.
        rng: The key the port's `apply` gets (for dropout and other random modules).

    Returns:
        The `Report`: a row per output leaf (named by its path in the port's outputs), then per
        gradient.

    Raises:
        MismatchError: The port's params or state do not fit the TF module's variables.
        ImportError: TensorFlow is not installed.
        TypeError: A checkpoint path without `build`.
        ValueError: `grads` with two trainable TF variables of one name.
    """
    tf = _import_tf()
    call = tf_fn or (lambda module, *xs: module(*xs))
    arrays = [np.asarray(x) for x in inputs]
    module, (params, state) = _tf_module(tf, tf_module, build, call, arrays, attribute)
    if map_variables is not None:
        params, state = map_variables(params, state)
    apply = PortApply(port)
    trees = apply.fit(params, state, [jnp.asarray(x) for x in arrays])
    with full_precision():
        expected, tf_input_grads, tf_param_grads = _run_tf(tf, module, call, arrays, grads)
        cotangents = _cotangents(expected) if grads else None
        outputs, input_grads, param_grads = run_port(apply, trees, rng, arrays, cotangents)
    leaves = jax.tree.leaves(outputs)
    rows = leaf_rows(output_names(outputs), expected, leaves, "outputs", rtol, atol)
    if grads and len(leaves) == len(expected):
        if map_variables is not None:
            tf_param_grads, param_grads = {}, {}
        rows += _grad_rows(tf_input_grads, tf_param_grads, input_grads, param_grads, rtol, atol)
    return _report.Report(tuple(rows), rtol, atol)


def assert_parity(*args: Any, **kwargs: Any) -> _report.Report:
    """Runs `compare` and fails unless the port matches TF.

    Args:
        *args: As for `compare`.
        **kwargs: As for `compare`.

    Returns:
        The passing `Report`.

    Raises:
        AssertionError: Some rows are out of tolerance; the message lists them.
    """
    report = compare(*args, **kwargs)
    if not report.ok:
        raise AssertionError(f"the port differs from TF Sonnet:\n{report.format(report.failures)}")
    return report
