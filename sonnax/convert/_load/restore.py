"""`restore`: a checkpoint, params file or tree, checked against a model and placed on devices.

The model's expected params (and state) come from `jax.eval_shape` of its `init`, so nothing
is initialised. Every entry is checked before any is read, and all mismatches are reported in
one `MismatchError`. With shardings, each array is assembled by `jax.make_array_from_callback`
from the slices its devices hold, each slice read from the file on its own.
"""

import collections.abc
import re
from typing import Any

import jax
import numpy as np

import sonnax
from sonnax.convert import errors
from sonnax.convert._load import slicing
from sonnax.convert._mapping import rename as renames

ShardingRules = collections.abc.Sequence[tuple[str | re.Pattern[str], jax.sharding.PartitionSpec]]
Expected = dict[slicing.Key, jax.ShapeDtypeStruct]

_FIX = (
    "Build the model with the checkpoint's configuration (layer sizes, names), or rewrite the "
    "checkpoint's names with `rename=[(regex, replacement)]`; `python -m sonnax.convert SRC "
    "--list` shows where each checkpoint tensor goes."
)


def restore(
    path_or_tree: Any,
    transformed: sonnax.Transformed | sonnax.TransformedWithState,
    *example_inputs: Any,
    shardings: Any = None,
    mesh: jax.sharding.Mesh | None = None,
    rng: jax.Array | None = None,
    rename: renames.Rules | None = None,
) -> Any:
    """Restores a model's params (and state) from a checkpoint, checked entry by entry.

    Args:
      path_or_tree: a TF checkpoint or SavedModel path (placed by the name rule), a `.npz`
        params file, or an already loaded `(params, state)` (for a model without state, params
        alone).
      transformed: the model, from `sonnax.transform` or `sonnax.transform_with_state`.
      *example_inputs: inputs (arrays or `jax.ShapeDtypeStruct`s) for `transformed.init`.
      shardings: `None` (every array on the default device); one `jax.sharding.Sharding` for
        all arrays; a tree of shardings shaped as the result; or rules `[(regex,
        PartitionSpec), ...]`, the first whose regex is found in `"<module path>/<name>"`
        deciding (with `mesh`; an entry no rule matches is replicated).
        A slice is read through a memory map of the file (only its bytes are read), which
        skips the tensor's checksum, as it covers the whole tensor; an entry placed whole
        (unsharded, or replicated) is read and verified whole.
      mesh: the mesh the rules' `PartitionSpec`s refer to.
      rng: the key `init` is traced with (only shapes matter); `PRNGKey(0)` by default.
      rename: `(regex, replacement)` rules for a checkpoint's variable names (see
        `from_checkpoint`).

    Returns:
      `(params, state)` for a `TransformedWithState`, else `params`: dicts of `jax.Array`s
      with the dtypes `init` gives (an int64 counter becomes int32 without x64). Each entry
      is taken where the model has it: one the checkpoint holds under the other collection
      (TF checkpoints do not record trainability) moves there.

    Raises:
      MismatchError: entries are missing, unexpected, or of another shape or dtype; all are
        listed.
      ValueError: `shardings` does not fit (rules without `mesh`, a tree of another
        structure, or a sharding an array's shape cannot take).
      ConvertError: the file cannot be read.

    >>> import numpy as np, sonnax
    >>> from sonnax import compat
    >>> model = sonnax.transform(lambda x: compat.Linear(2, name="linear")(x))
    >>> x = np.ones((1, 3), np.float32)
    >>> loaded = {"linear": {"w": np.ones((3, 2), np.float32), "b": np.zeros(2, np.float32)}}
    >>> params = restore(loaded, model, x)
    >>> model.apply(params, None, x)
    Array([[3., 3.]], dtype=float32)
    """
    with_state = isinstance(transformed, sonnax.TransformedWithState)
    key = jax.random.PRNGKey(0) if rng is None else rng
    shapes = jax.eval_shape(transformed.init, key, *example_inputs)
    params_shapes, state_shapes = shapes if with_state else (shapes, {})
    expected = _flatten(params_shapes, state_shapes)
    source = slicing.open_source(path_or_tree, rename)
    try:
        matched = _check(source, expected)
        placing = _shardings(shardings, mesh, expected, with_state)
        arrays = {
            key: _array(source, matched[key], expected[key], placing.get(key)) for key in expected
        }
    finally:
        source.close()
    params, state = _unflatten(arrays)
    return (params, state) if with_state else params


def _flatten(params: Any, state: Any) -> dict[slicing.Key, Any]:
    return {
        (collection, module, name): value
        for collection, tree in (("params", params), ("state", state))
        for module, values in tree.items()
        for name, value in values.items()
    }


def _unflatten(arrays: dict[slicing.Key, jax.Array]) -> tuple[dict, dict]:
    trees: dict[str, dict[str, dict[str, jax.Array]]] = {"params": {}, "state": {}}
    for (collection, module, name), array in arrays.items():
        trees[collection].setdefault(module, {})[name] = array
    return trees["params"], trees["state"]


def _fits(found: np.dtype, wanted: np.dtype) -> bool:
    """Whether a stored dtype restores as `wanted`: equal, or what JAX makes of it (no x64)."""
    return found == wanted or np.dtype(jax.dtypes.canonicalize_dtype(found)) == wanted


def _match(source: slicing.Source, expected: Expected) -> dict[slicing.Key, slicing.Key]:
    """`{model entry: source entry}` for every model entry the source has.

    An entry is looked for in the other collection too: a TF checkpoint does not record
    which variables are trainable, so the name rule puts e.g. a frozen `snt.Embed`'s
    embeddings in params, where the model keeps them in state.
    """
    matched = {}
    for key in expected:
        collection, module, name = key
        other = ("state" if collection == "params" else "params", module, name)
        if key in source.entries:
            matched[key] = key
        elif other in source.entries and other not in expected:
            matched[key] = other
    return matched


def _check(source: slicing.Source, expected: Expected) -> dict[slicing.Key, slicing.Key]:
    """Matches the entries; raises one `MismatchError` listing every one that does not fit."""
    matched = _match(source, expected)
    missing, unexpected, mismatched = [], [], []
    for key, want in expected.items():
        if key not in matched:
            missing.append(f"{slicing.describe(key)}: expected {_spec(want.shape, want.dtype)}")
            continue
        shape, dtype = source.entries[matched[key]]
        if tuple(shape) != tuple(want.shape) or not _fits(dtype, np.dtype(want.dtype)):
            mismatched.append(
                f"{slicing.describe(key)}: expected {_spec(want.shape, want.dtype)}, found "
                f"{_spec(shape, dtype)}"
            )
    taken = set(matched.values())
    for key, (shape, dtype) in source.entries.items():
        if key not in taken:
            unexpected.append(f"{slicing.describe(key)}: found {_spec(shape, dtype)}")
    if missing or unexpected or mismatched:
        raise errors.MismatchError(
            _mismatch_message(source.description, missing, unexpected, mismatched),
            missing=missing,
            unexpected=unexpected,
            mismatched=mismatched,
        )
    return matched


def _spec(shape: tuple[int, ...], dtype: Any) -> str:
    return f"shape {tuple(shape)} {np.dtype(dtype).name}"


def _mismatch_message(
    description: str, missing: list[str], unexpected: list[str], mismatched: list[str]
) -> str:
    count = len(missing) + len(unexpected) + len(mismatched)
    lines = [f"restore: {description} does not fit the model ({count} problems):"]
    for title, items in (
        ("missing (the model has them, the checkpoint does not)", missing),
        ("unexpected (the checkpoint has them, the model does not)", unexpected),
        ("mis-shaped or mis-typed", mismatched),
    ):
        if items:
            lines.append(f"  {title}:")
            lines.extend(f"    {item}" for item in items)
    lines.append(_FIX)
    return "\n".join(lines)


def _shardings(
    shardings: Any, mesh: jax.sharding.Mesh | None, expected: Expected, with_state: bool
) -> dict[slicing.Key, jax.sharding.Sharding]:
    """`{entry: sharding}` for the `shardings` argument; empty for `None`."""
    if shardings is None:
        return {}
    if isinstance(shardings, jax.sharding.Sharding):
        return dict.fromkeys(expected, shardings)
    if _is_rules(shardings):
        if mesh is None:
            raise ValueError(
                "restore: sharding rules need the mesh their PartitionSpecs refer to; pass "
                "mesh=jax.sharding.Mesh(devices, axis_names)"
            )
        return {key: _by_rules(shardings, mesh, key) for key in expected}
    params, state = shardings if with_state else (shardings, {})
    given = _flatten(params, state or {})
    if set(given) != set(expected) or not all(
        isinstance(value, jax.sharding.Sharding) for value in given.values()
    ):
        absent = sorted(slicing.describe(key) for key in set(expected) - set(given))
        extra = sorted(slicing.describe(key) for key in set(given) - set(expected))
        raise ValueError(
            f"restore: the shardings tree must hold one jax.sharding.Sharding per entry of "
            f"the {'(params, state)' if with_state else 'params'} tree; missing {absent}, "
            f"unknown {extra}"
        )
    return given


def _is_rules(shardings: Any) -> bool:
    return isinstance(shardings, list | tuple) and all(
        isinstance(rule, list | tuple)
        and len(rule) == 2
        and isinstance(rule[1], jax.sharding.PartitionSpec)
        for rule in shardings
    )


def _by_rules(
    rules: ShardingRules, mesh: jax.sharding.Mesh, key: slicing.Key
) -> jax.sharding.Sharding:
    path = f"{key[1]}/{key[2]}"
    for pattern, spec in rules:
        if re.search(pattern, path):
            return jax.sharding.NamedSharding(mesh, spec)
    return jax.sharding.NamedSharding(mesh, jax.sharding.PartitionSpec())


def _array(
    source: slicing.Source,
    key: slicing.Key,
    want: jax.ShapeDtypeStruct,
    sharding: jax.sharding.Sharding | None,
) -> jax.Array:
    """One entry as a `jax.Array`, each device's slice read on its own."""
    dtype = np.dtype(want.dtype)
    if sharding is None:
        return jax.device_put(source.read(key, None).astype(dtype, copy=False))

    cache: list[np.ndarray] = []  # A replicated array is read once, not once per device.

    def read(index: tuple[slice, ...] | None) -> np.ndarray:
        if index is not None and not all(part == slice(None) for part in index):
            return source.read(key, index).astype(dtype, copy=False)
        if not cache:
            cache.append(source.read(key, None).astype(dtype, copy=False))
        return cache[0]

    spec = getattr(sharding, "spec", ())
    try:
        if len(spec) > len(want.shape):
            raise ValueError(
                f"its PartitionSpec has {len(spec)} entries, the array's rank is lower"
            )
        return jax.make_array_from_callback(tuple(want.shape), sharding, read)
    except (ValueError, TypeError) as error:  # jax's IndivisibleError is a ValueError.
        raise ValueError(
            f"restore: {slicing.describe(key)} of {_spec(want.shape, dtype)} cannot take the "
            f"sharding {sharding}: {error}"
        ) from error
