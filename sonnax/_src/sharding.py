"""Place parameters on a device mesh by matching their paths against regex rules.

A parameter's path is its module name and parameter name joined by `/`, as in
`mlp/~/linear_0/w`. Rules are `(regex, PartitionSpec)` pairs; the first regex that
`re.search`es the path gives the leaf's spec.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from typing import Any

import jax
import numpy as np
from jax.sharding import Mesh, NamedSharding, PartitionSpec

Rules = Sequence[tuple[str, PartitionSpec]]


def _path_string(path: tuple[Any, ...]) -> str:
    """`mlp/~/linear_0/w` for the key path of `params["mlp/~/linear_0"]["w"]`."""
    parts = []
    for entry in path:
        if isinstance(entry, jax.tree_util.DictKey):
            parts.append(str(entry.key))
        elif isinstance(entry, jax.tree_util.SequenceKey):
            parts.append(str(entry.idx))
        elif isinstance(entry, jax.tree_util.GetAttrKey):
            parts.append(entry.name)
        else:
            parts.append(str(entry))
    return "/".join(parts)


def _spec_for(path: str, shape: tuple[int, ...], rules: Rules, default: PartitionSpec | None):
    spec = next((spec for pattern, spec in rules if re.search(pattern, path)), default)
    if spec is None:
        patterns = [pattern for pattern, _ in rules]
        raise ValueError(
            f"sharding: no rule matches parameter {path!r} (shape {shape}); rules tried: "
            f"{patterns}. Add a rule whose regex matches this path, or pass `default=` "
            "(e.g. `PartitionSpec()` to replicate it)."
        )
    if len(spec) > len(shape):
        raise ValueError(
            f"sharding: spec {spec} for parameter {path!r} names {len(spec)} axes but the "
            f"parameter has shape {shape} (rank {len(shape)}). Use a spec with at most "
            f"{len(shape)} entries."
        )
    return spec


def partition_specs(tree: Any, rules: Rules, default: PartitionSpec | None = None) -> Any:
    """The `PartitionSpec` of every leaf of `tree`, chosen by the first matching rule.

    Leaves only need a `shape`: arrays, or the `jax.ShapeDtypeStruct`s of `jax.eval_shape`.
    A spec may be shorter than the leaf's rank; the remaining axes are replicated.

    >>> import sonnax as hk
    >>> import jax, jax.numpy as jnp
    >>> from jax.sharding import PartitionSpec as P
    >>> f = hk.transform(lambda x: hk.nets.MLP([8, 2])(x))
    >>> shapes = jax.eval_shape(f.init, jax.random.PRNGKey(0), jnp.ones([1, 4]))
    >>> rules = [(r"linear_0/w$", P(None, "model")), (r"linear_0/b$", P("model"))]
    >>> hk.sharding.partition_specs(shapes, rules, default=P())
    {'mlp/~/linear_0': {'b': P('model',), 'w': P(None, 'model')},
     'mlp/~/linear_1': {'b': P(), 'w': P()}}

    Args:
      tree: a pytree of arrays or shape structs, e.g. params or state.
      rules: `(regex, spec)` pairs, tried in order against each leaf's path
        (`module/name/param`) with `re.search`.
      default: the spec of a leaf no rule matches; `None` makes that an error.

    Returns:
      A pytree like `tree` with a `PartitionSpec` at each leaf.

    Raises:
      ValueError: a leaf matches no rule and there is no default, or its spec has more
        entries than the leaf has axes. The message names the path, spec and shape.
    """
    leaves, treedef = jax.tree_util.tree_flatten_with_path(tree)
    specs = [
        _spec_for(_path_string(path), tuple(np.shape(leaf)), rules, default)
        for path, leaf in leaves
    ]
    return jax.tree_util.tree_unflatten(treedef, specs)


def named_shardings(
    tree: Any, mesh: Mesh, rules: Rules, default: PartitionSpec | None = None
) -> Any:
    """The `NamedSharding` on `mesh` of every leaf of `tree` (see `partition_specs`).

    >>> import sonnax as hk
    >>> import jax, jax.numpy as jnp
    >>> from jax.sharding import Mesh, PartitionSpec as P
    >>> mesh = Mesh(jax.devices()[:1], ("model",))
    >>> params = {"linear": {"w": jnp.ones([3, 4]), "b": jnp.ones([4])}}
    >>> shardings = hk.sharding.named_shardings(params, mesh, [(r"/w$", P(None, "model"))], P())
    >>> shardings["linear"]["w"].spec, shardings["linear"]["b"].spec
    (P(None, 'model'), P())

    Args:
      tree: a pytree of arrays or shape structs.
      mesh: the device mesh the specs' axis names refer to.
      rules: `(regex, spec)` pairs, as in `partition_specs`.
      default: the spec of a leaf no rule matches; `None` makes that an error.

    Returns:
      A pytree like `tree` with a `NamedSharding` at each leaf, ready for
      `jax.device_put` or the shardings arguments of `jax.jit`.
    """
    specs = partition_specs(tree, rules, default)
    return jax.tree.map(lambda spec: NamedSharding(mesh, spec), specs)


def _shardings_of_output(shapes: Any, mesh: Mesh, rules: Rules, default: PartitionSpec | None):
    # `transform_with_state`'s init returns `(params, state)`: match each on its own paths,
    # so a rule reads `linear/w` rather than `0/linear/w`.
    if isinstance(shapes, tuple):
        return tuple(named_shardings(part, mesh, rules, default) for part in shapes)
    return named_shardings(shapes, mesh, rules, default)


def _with_arrays_as_arguments(f: Callable[..., Any], args: tuple, kwargs: dict):
    """`(call, arrays)`: `call(arrays)` is `f(*args, **kwargs)`.

    Only the arrays are traced; Python values (`is_training=True`) stay static, so `f`
    may branch on them as it would outside `jax.jit`.
    """
    leaves, treedef = jax.tree.flatten((args, kwargs))
    is_array = [isinstance(leaf, jax.Array | np.ndarray) for leaf in leaves]
    arrays = [leaf for leaf, flag in zip(leaves, is_array, strict=True) if flag]

    def call(traced: list) -> Any:
        remaining = iter(traced)
        full = [
            next(remaining) if flag else leaf for leaf, flag in zip(leaves, is_array, strict=True)
        ]
        call_args, call_kwargs = jax.tree.unflatten(treedef, full)
        return f(*call_args, **call_kwargs)

    return call, arrays


def init_sharded(
    init: Callable[..., Any],
    mesh: Mesh,
    rules: Rules,
    *args: Any,
    default: PartitionSpec | None = None,
    **kwargs: Any,
) -> Any:
    """Runs `init(*args, **kwargs)` so that each parameter is created already sharded.

    The output shapes come from `jax.eval_shape` (nothing is computed), then `init` runs
    under `jax.jit` with those shardings as `out_shardings`. Each device computes only
    its own shard, so a model larger than one device's memory can be initialized.
    For `transform_with_state`, the rules apply to both params and state. Only array
    arguments are traced; Python values such as `is_training=True` stay static.

    >>> import sonnax as hk
    >>> import jax, jax.numpy as jnp
    >>> from jax.sharding import Mesh, PartitionSpec as P
    >>> mesh = Mesh(jax.devices()[:1], ("model",))
    >>> f = hk.transform(lambda x: hk.Linear(4)(x))
    >>> rules = [(r"linear/w$", P(None, "model")), (r"linear/b$", P("model"))]
    >>> key, x = jax.random.PRNGKey(0), jnp.ones([2, 3])
    >>> params = hk.sharding.init_sharded(f.init, mesh, rules, key, x)
    >>> params["linear"]["w"].sharding.spec
    P(None, 'model')

    Args:
      init: a transformed function's `init` (or any function returning arrays).
      mesh: the device mesh to place the outputs on.
      rules: `(regex, spec)` pairs, as in `partition_specs`.
      *args: positional arguments of `init` (usually an rng key and example inputs).
      default: the spec of a leaf no rule matches; `None` makes that an error.
      **kwargs: keyword arguments of `init`.

    Returns:
      `init`'s output, each array placed with its rule's `NamedSharding`.
    """
    call, arrays = _with_arrays_as_arguments(init, args, kwargs)
    shapes = jax.eval_shape(call, arrays)
    out_shardings = _shardings_of_output(shapes, mesh, rules, default)
    return jax.jit(call, out_shardings=out_shardings)(arrays)
