"""`layer_stack`: repeat a layer function `num_layers` times, with its own params per layer.

The layer is transformed on its own and its params are stacked along a new
leading axis of size `num_layers`; the stack runs as one `jax.lax.scan` over
them, which keeps compile time flat in the number of layers.
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable, Mapping
from typing import Any, NamedTuple, Protocol

import jax
import jax.numpy as jnp

from sonnax._src.core import rng, transform
from sonnax._src.transforms import lift


class LayerStackTransparencyMapping(Protocol):
    """How a transparent `layer_stack` names the params of each layer.

    With it, the stack's params are stored under the names a plain Python loop
    over the layers would give them, so the two are interchangeable.
    """

    def stacked_to_flat(self, stacked_module_name: str, scan_idx: int) -> str:
        """The loop's module name for layer `scan_idx` of a stacked module.

        Args:
          stacked_module_name: the module's name within one layer.
          scan_idx: the layer's index.

        Returns:
          The module's name in the loop.
        """
        ...

    def flat_to_stacked(self, unstacked_module_name: str) -> tuple[str, int] | None:
        """The inverse of `stacked_to_flat`.

        Args:
          unstacked_module_name: a module name in the loop's params.

        Returns:
          `(stacked_module_name, scan_idx)`, or `None` for a module that is not
          part of the stack (e.g. one of the caller's own).
        """
        ...


class _Scanned(NamedTuple):
    """What each step of the apply scan receives: one layer's slice of each."""

    params: Any
    rng: Any
    state: Any
    per_layer_inputs: Any


def _check_no_varargs(f: Callable[..., Any]) -> None:
    parameters = list(inspect.signature(f).parameters.values())
    if parameters and parameters[0].kind is inspect.Parameter.VAR_POSITIONAL:
        raise ValueError(
            "The function `f` should not have any `varargs` (that is *args) argument. "
            f"Instead, it should only use explicit positional arguments ({f!r} has "
            f"`*{parameters[0].name}`)."
        )


def _split(
    stacked: Mapping[str, Any], num_layers: int, mapping: LayerStackTransparencyMapping
) -> dict[str, Any]:
    """Stacked `{module: values}` to one entry per layer, named by `mapping`."""
    flat: dict[str, Any] = {}
    for module_name, values in stacked.items():
        for index in range(num_layers):
            flat_name = mapping.stacked_to_flat(module_name, index)
            if flat_name in flat:
                raise ValueError(
                    f"Found conflicting unstacked module name for {module_name} at "
                    f"{flat_name} (layer {index}): `stacked_to_flat` must give each layer "
                    "its own name."
                )
            flat[flat_name] = jax.tree.map(functools.partial(_take, index), values)
    return flat


def _take(index: int, x: jax.Array) -> jax.Array:
    return x[index]


def _stack(flat: Mapping[str, Any], num_layers: int, mapping: LayerStackTransparencyMapping) -> Any:
    """The inverse of `_split`; modules `mapping` does not claim are left out."""
    layers: list[dict[str, dict[str, Any]]] = [{} for _ in range(num_layers)]
    for flat_name, values in flat.items():
        found = mapping.flat_to_stacked(flat_name)
        if found is None:
            continue
        module_name, index = found
        bundle = layers[index].setdefault(module_name, {})
        for name, value in values.items():
            if name in bundle:
                raise ValueError(
                    f"Found conflicting values for param {module_name}/{name} at index "
                    f"{index} (from module {flat_name})."
                )
            bundle[name] = value
    # Stacking one tree per layer keeps custom pytree nodes intact.
    return jax.tree.map(lambda *leaves: jnp.stack(leaves, axis=0), *layers)


class _LayerStack:
    """Scans a layer function over stacked params (not a module: it adds no name scope)."""

    def __init__(
        self,
        layer_fn: Callable[..., tuple[Any, Any]],
        num_layers: int,
        unroll: int,
        pass_reverse_to_layer_fn: bool,
        transparency_map: LayerStackTransparencyMapping | None,
        name: str,
    ):
        self._layer = transform.transform_with_state(layer_fn)
        self._num_layers = num_layers
        self._unroll = unroll
        self._pass_reverse = pass_reverse_to_layer_fn
        self._map = transparency_map
        self._name = name

    def _init_all(self, x: Any, key: Any, per_layer_inputs: tuple[Any, ...]) -> tuple[Any, Any]:
        """Inits each layer in turn, feeding it the previous layer's output."""
        init, apply = self._layer

        def init_one(carry: tuple[Any, Any], inputs: tuple[Any, ...]) -> tuple[Any, Any]:
            x, key = carry
            init_key = next_key = apply_key = None
            if key is not None:
                init_key, next_key, apply_key = jax.random.split(key, 3)
            params, state = init(init_key, x, *inputs)
            # Haiku keeps the state after one apply as each layer's initial state.
            (x, _), state = apply(params, state, apply_key, x, *inputs)
            return (x, next_key), (params, state)

        _, (params, state) = jax.lax.scan(
            init_one, (x, key), per_layer_inputs, length=self._num_layers
        )
        if self._map is not None:
            params = _split(params, self._num_layers, self._map)
            state = _split(state, self._num_layers, self._map)
        return params, state

    def __call__(self, x: Any, *per_layer_inputs: Any, reverse: bool = False) -> tuple[Any, Any]:
        init_all = functools.partial(self._init_all, per_layer_inputs=per_layer_inputs)
        if self._map is not None:
            params_and_state, updater = lift.transparent_lift_with_state(init_all, allow_reuse=True)
        else:
            params_and_state, updater = lift.lift_with_state(
                init_all, allow_reuse=True, name=self._name
            )
        params, state = params_and_state(x, rng.maybe_next_rng_key())
        if self._map is not None:
            params = _stack(params, self._num_layers, self._map)
            state = _stack(state, self._num_layers, self._map)
        key = rng.maybe_next_rng_key()
        keys = None if key is None else jax.random.split(key, self._num_layers)
        kwargs = {"reverse": reverse} if self._pass_reverse else {}
        apply = self._layer.apply

        def apply_one(x: Any, scanned: _Scanned) -> tuple[Any, Any]:
            (x, z), state = apply(
                scanned.params, scanned.state, scanned.rng, x, *scanned.per_layer_inputs, **kwargs
            )
            return x, (z, state)

        scanned = _Scanned(params, keys, state, per_layer_inputs)
        x, (zs, states) = jax.lax.scan(
            apply_one, x, scanned, length=self._num_layers, unroll=self._unroll, reverse=reverse
        )
        updater.update(states)
        return x, zs


def _check_lengths(num_layers: int, per_layer_inputs: tuple[Any, ...]) -> None:
    for path, ys in jax.tree_util.tree_flatten_with_path(per_layer_inputs)[0]:
        if ys.shape[0] != num_layers:
            # AssertionError, as Haiku's own check (an `assert`) raises.
            raise AssertionError(
                f"{ys.shape[0]} != {num_layers}: layer_stack(num_layers={num_layers}, "
                f"with_per_layer_inputs=True) expected per-layer input "
                f"{jax.tree_util.keystr(path) or 'ys'} to have leading axis {num_layers}, "
                f"got shape {ys.shape}."
            )


def layer_stack(
    num_layers: int,
    with_per_layer_inputs: bool = False,
    unroll: int = 1,
    pass_reverse_to_layer_fn: bool = False,
    transparent: bool = False,
    transparency_map: LayerStackTransparencyMapping | None = None,
    name: str | None = None,
) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Makes a function that applies a layer function `num_layers` times, with
    separate params for each layer, as one `jax.lax.scan`.

    Without per-layer inputs, `layer_stack(n)(f)(*xs)` computes `xs = f(*xs)`
    `n` times (one argument: `x = f(x)`). With them, `f(x, *ys)` returns
    `(x, z)`; the stack takes `(x, *ys)` with each `ys` of leading axis `n`
    and returns the final `x` and the stacked `z`s. Params get a leading axis
    `n`; each layer draws its own rng keys.

    >>> import sonnax as hk
    >>> import jax, jax.numpy as jnp
    >>> f = hk.transform(lambda x: hk.layer_stack(3)(hk.Linear(4))(x))
    >>> params = f.init(jax.random.PRNGKey(0), jnp.ones([2, 4]))
    >>> jax.tree.map(jnp.shape, params)
    {'__layer_stack_no_per_layer/linear': {'b': (3, 4), 'w': (3, 4, 4)}}

    Args:
      num_layers: how many times to apply the layer function.
      with_per_layer_inputs: whether the layer function takes per-layer inputs
        and returns a per-layer output besides the carried value.
      unroll: the `unroll` of the scan.
      pass_reverse_to_layer_fn: pass the stack's `reverse=` keyword (when the
        stack is called with it) on to the layer function in apply.
      transparent: store params under the names a Python loop would give them
        (needs `transparency_map`).
      transparency_map: maps stacked module names to the loop's and back.
      name: the module name the stacked params are stored under (default
        `__layer_stack_no_per_layer` or `__layer_stack_with_per_layer`).

    Returns:
      A decorator for the layer function.

    Raises:
      ValueError: `transparent=True` without a `transparency_map`.
    """
    if transparent and transparency_map is None:
        raise ValueError(
            "transparency_map must be provided with transparent=True (a "
            "LayerStackTransparencyMapping mapping stacked module names to flat ones)."
        )
    if not name:
        name = (
            "__layer_stack_with_per_layer"
            if with_per_layer_inputs
            else "__layer_stack_no_per_layer"
        )
    options = {
        "num_layers": num_layers,
        "unroll": unroll,
        "pass_reverse_to_layer_fn": pass_reverse_to_layer_fn,
        "transparency_map": transparency_map,
        "name": name,
    }

    def decorate(f: Callable[..., Any]) -> Callable[..., Any]:
        if with_per_layer_inputs:
            return _with_per_layer_inputs(f, options)
        _check_no_varargs(f)
        return _without_per_layer_inputs(f, options)

    return decorate


def _with_per_layer_inputs(f: Callable[..., Any], options: dict[str, Any]) -> Callable[..., Any]:
    @functools.wraps(f)
    def stacked(x: Any, *per_layer_inputs: Any, **kwargs: Any) -> Any:
        _check_lengths(options["num_layers"], per_layer_inputs)
        return _LayerStack(f, **options)(x, *per_layer_inputs, **kwargs)

    return stacked


def _without_per_layer_inputs(f: Callable[..., Any], options: dict[str, Any]) -> Callable[..., Any]:
    def layer(xs: tuple[Any, ...], **kwargs: Any) -> tuple[Any, None]:
        out = f(*xs, **kwargs)
        # The carry is always the tuple of arguments; a one-argument layer returns one value.
        return ((out,) if len(xs) == 1 else out), None

    @functools.wraps(f)
    def stacked(*args: Any, **kwargs: Any) -> Any:
        out = _LayerStack(layer, **options)(args, **kwargs)[0]
        return out[0] if len(args) == 1 else out

    return stacked
