"""`build`: creates a module's parameters and reports the shapes it would output.

Sonnet's `build` traces `f` into a concrete TF function, so variables are created and
initialized but nothing else runs. Here:

* Inside a transform, `f` runs once on placeholder inputs (zeros, `1` for each `None`
  dimension) in the current transform, so the parameters and state it creates are kept,
  named as a real call would name them, with their initial values. State updates made by
  the call are undone, and its outputs are dropped (XLA removes their computation when the
  surrounding `init`/`apply` is jitted). Values that `f` keeps in Python attributes (a
  `once`-initialized `self.w`) are those of the current transform, as after a real call.
* Outside a transform, `f` (which then has to construct its modules itself: compat modules
  exist only inside transforms) is traced by `jax.eval_shape` in a throwaway `init`; what it
  creates is discarded.

The output is `f`'s output with every array replaced by a `jax.ShapeDtypeStruct`. A
dimension given as `None` is a JAX symbolic dimension while the output shapes are computed,
so an output dimension that depends on it is a symbolic expression where Sonnet has `None`
(the same symbol stands for every `None` at the same axis position, so that a batch of
inputs and a batch of states broadcast together).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np

from sonnax._src.core import frames
from sonnax._src.core import transform as transform_lib
from sonnax._src.transforms.stateful import eval_shape as eval_shape_lib


def _is_shape(value: Any) -> bool:
    return isinstance(value, list | tuple) and all(
        isinstance(d, int | type(None)) and not isinstance(d, bool) for d in value
    )


def _symbols(args: Sequence[Any]) -> dict[int, Any]:
    """One symbolic dimension per axis position that holds a `None` in some shape."""
    axes = sorted({i for a in args if _is_shape(a) for i, d in enumerate(a) if d is None})
    if not axes:
        return {}
    dims = jax.export.symbolic_shape(", ".join(f"d{i}" for i in axes))
    return dict(zip(axes, dims, strict=False))


def _is_array(value: Any) -> bool:
    return isinstance(value, jax.Array | np.ndarray | np.generic | jax.ShapeDtypeStruct)


def _spec(value: Any) -> Any:
    if hasattr(value, "shape") and hasattr(value, "dtype"):
        return jax.ShapeDtypeStruct(tuple(value.shape), value.dtype)
    return value


def _output_specs(out: Any) -> Any:
    return jax.tree.map(_spec, out)


def _is_output_array(value: Any) -> bool:
    return isinstance(value, jax.Array | np.ndarray | np.generic)


def _traceable(
    run: Callable[..., Any], args: tuple[Any, ...], kwargs: Mapping[str, Any]
) -> tuple[Callable[..., Any], list[Any], Callable[[Any], Any]]:
    """`run` as a function of the array leaves of `(args, kwargs)` only, for `eval_shape`.

    The other leaves (Python numbers, strings, modules, ...) stay static, as `tf.function`
    keeps them, and so do the non-array leaves of the output.

    Returns:
      `(traced, specs of the array arguments, rebuild)`, where `rebuild` turns what
      `eval_shape(traced, *specs)` returns into the specs of `run`'s whole output.
    """
    leaves, treedef = jax.tree.flatten((args, dict(kwargs)))
    positions = [i for i, leaf in enumerate(leaves) if _is_array(leaf)]
    output: dict[str, Any] = {}

    def traced(*arrays: Any) -> list[Any]:
        filled = list(leaves)
        for i, array in zip(positions, arrays, strict=True):
            filled[i] = array
        a, k = jax.tree.unflatten(treedef, filled)
        out_leaves, output["treedef"] = jax.tree.flatten(run(*a, **k))
        output["static"] = [None if _is_output_array(x) else x for x in out_leaves]
        return [x for x in out_leaves if _is_output_array(x)]

    def rebuild(specs: list[Any]) -> Any:
        remaining = iter(specs)
        out_leaves = [next(remaining) if x is None else x for x in output["static"]]
        return jax.tree.unflatten(output["treedef"], out_leaves)

    return traced, [_spec(leaves[i]) for i in positions], rebuild


def _build_outside(f: Callable[..., Any], args: tuple[Any, ...], kwargs: Mapping[str, Any]) -> Any:
    def run(*a: Any, **k: Any) -> Any:
        outputs: list[Any] = []
        init = transform_lib.transform_with_state(lambda: outputs.append(f(*a, **k)))
        init.init(jax.random.PRNGKey(0))
        return outputs[0]

    traced, arrays, rebuild = _traceable(run, args, kwargs)
    return rebuild(jax.eval_shape(traced, *arrays))


def _placeholder(value: Any) -> Any:
    if isinstance(value, jax.ShapeDtypeStruct):
        shape = tuple(d if isinstance(d, int) else 1 for d in value.shape)
        return jnp.zeros(shape, value.dtype)
    return value


def _run_and_undo_state(f: Callable[..., Any], args: tuple[Any, ...], kwargs: Any) -> Any:
    """Calls `f` in the current frame, keeping what it creates but none of its state updates."""
    frame = frames.current()
    before = {bundle: dict(values) for bundle, values in frame.state.items()}
    out = f(*args, **kwargs)
    for bundle, values in frame.state.items():
        for name in values:
            if name in before.get(bundle, {}):
                values[name] = before[bundle][name]
            else:
                values[name] = frame.initial_state[bundle][name]
    return out


def _build_inside(f: Callable[..., Any], args: tuple[Any, ...], kwargs: Mapping[str, Any]) -> Any:
    placeholders = jax.tree.map(_placeholder, (args, dict(kwargs)))
    out = _run_and_undo_state(f, *placeholders)
    symbolic = any(
        not isinstance(d, int)
        for leaf in jax.tree.leaves((args, dict(kwargs)))
        if isinstance(leaf, jax.ShapeDtypeStruct)
        for d in leaf.shape
    )
    if not symbolic:
        return _output_specs(out)
    # Run again, under `eval_shape`, for the output dimensions that follow the `None`s.
    traced, arrays, rebuild = _traceable(f, args, kwargs)
    return rebuild(eval_shape_lib.eval_shape(traced, *arrays))


def build(f: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
    """Creates the parameters and state of `f` (a module or function) and returns its output specs.

    >>> import jax, jax.numpy as jnp
    >>> import sonnax
    >>> from sonnax import compat as snt
    >>> def forward():
    ...     linear = snt.Linear(2)
    ...     return snt.build(linear, [None, 3])
    >>> f = sonnax.transform(forward)
    >>> params = f.init(jax.random.PRNGKey(0))
    >>> jax.tree.map(jnp.shape, params)
    {'linear': {'b': (2,), 'w': (3, 2)}}
    >>> f.apply(params, None)
    ShapeDtypeStruct(shape=(d0, 2), dtype=float32)

    See the module docstring for how this works inside and outside a transform.

    Args:
      f: a callable `Module` or a function that calls modules.
      *args: positional arguments for `f`. One that is a list or tuple of ints and `None`s
        stands for a float32 array of that shape (`None`: any size).
      **kwargs: keyword arguments for `f`, passed as given.

    Returns:
      `f`'s output with each array replaced by a `jax.ShapeDtypeStruct`.
    """
    symbols = _symbols(args)
    args = tuple(
        jax.ShapeDtypeStruct(
            tuple(symbols[i] if d is None else d for i, d in enumerate(a)), jnp.float32
        )
        if _is_shape(a)
        else a
        for a in args
    )
    if frames.inside_transform():
        return _build_inside(f, args, kwargs)
    return _build_outside(f, args, kwargs)
