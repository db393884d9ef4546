"""Per-layer modules stacked into `layer_stack` params (leading axis = layer), and back.

`sonnax.layer_stack(n)(f)` transforms `f` once and stores its params under
`<stack name>/<module path inside one layer>` (by default `__layer_stack_no_per_layer/linear`
for an `f` that makes one `Linear`), each array with a leading axis of size `n`. A Sonnet model
that runs `n` equal layers in a Python loop keeps them as `mlp/~/linear_0`, `mlp/~/linear_1`,
...; these functions move one layout into the other. A layer may hold several modules: each
module whose path starts with a layer's path (`block_0/~/linear`, `block_0/~/layer_norm`)
goes under `into` with the same remainder (`<into>/~/linear`).
"""

import collections.abc
import re
from typing import Any

import numpy as np

from sonnax.convert import errors

Tree = collections.abc.Mapping[str, collections.abc.Mapping[str, Any]]
Arrays = dict[str, dict[str, np.ndarray]]


def _match_layers(tree: Tree, layers: str | collections.abc.Sequence[str]) -> dict[int, str]:
    """`{index: layer path}` from a regex (its first group the index) or a list of paths.

    Raises:
      UnsupportedError: the regex has no group, matches no module, or its indices have gaps.
    """
    if not isinstance(layers, str):
        return dict(enumerate(layers))
    pattern = re.compile(layers)
    if pattern.groups < 1:
        raise errors.UnsupportedError(
            f"stack_layers: the pattern {layers!r} has no group; give the layer index one, "
            r"e.g. 'mlp/~/linear_(\d+)'."
        )
    found: dict[int, str] = {}
    for module in tree:
        match = pattern.match(module)
        if match and module[match.end(1) :][:1] in ("", "/"):
            found[int(match.group(1))] = module[: match.end(1)]
    if not found:
        raise errors.UnsupportedError(
            f"stack_layers: no module path matches {layers!r}; the paths are {sorted(tree)}."
        )
    missing = sorted(set(range(max(found) + 1)) - set(found))
    if missing:
        raise errors.UnsupportedError(
            f"stack_layers: layers {missing} are missing between the matches of {layers!r} "
            f"(found {[found[i] for i in sorted(found)]}); indices must run 0, 1, ... without gaps."
        )
    return dict(sorted(found.items()))


def _remainder(module: str, prefix: str) -> str | None:
    """The part of `module` after the layer path `prefix` ("" or "/..."), or None."""
    if module == prefix or module.startswith(prefix + "/"):
        return module[len(prefix) :]
    return None


def stack_layers(
    tree: Tree, layers: str | collections.abc.Sequence[str], into: str
) -> dict[str, dict[str, np.ndarray]]:
    """Stacks per-layer modules into the params (or state) of a `layer_stack`.

    >>> import numpy as np
    >>> tree = {f"mlp/~/linear_{i}": {"w": np.ones([4, 4]), "b": np.zeros([4])} for i in range(3)}
    >>> stacked = stack_layers(tree, r"mlp/~/linear_(\\d+)", "__layer_stack_no_per_layer/linear")
    >>> {module: {k: v.shape for k, v in names.items()} for module, names in stacked.items()}
    {'__layer_stack_no_per_layer/linear': {'w': (3, 4, 4), 'b': (3, 4)}}

    Args:
      tree: `{module path: {name: array}}`, e.g. params from `to_params`.
      layers: the layers' module paths in order, or a regex matched at the start of each
        path whose first group is the layer index (`r"mlp/~/linear_(\\d+)"`); indices must
        run from 0 without gaps.
      into: the path of one layer's module inside the stack, as `layer_stack` names it:
        `<stack name>/<module path in the layer function>`.

    Returns:
      `tree` with the layers' modules replaced by their stacks under `into`.

    Raises:
      UnsupportedError: layers are missing or gapped, differ in their modules, names, shapes
        or dtypes (the message names the layer, the variable and both shapes), or a stacked
        module would land on an existing one.
    """
    prefixes = _match_layers(tree, layers)
    groups: dict[str, list[collections.abc.Mapping[str, Any]]] = {}
    for index, prefix in prefixes.items():
        parts = {
            rest: names
            for module, names in tree.items()
            if (rest := _remainder(module, prefix)) is not None
        }
        if not parts:
            raise errors.UnsupportedError(
                f"stack_layers: layer {index} ({prefix!r}) holds no module; the paths are "
                f"{sorted(tree)}."
            )
        if groups and set(parts) != set(groups):
            first = prefixes[min(prefixes)]
            raise errors.UnsupportedError(
                f"stack_layers: layer {index} ({prefix!r}) holds submodules {sorted(parts)}, "
                f"layer 0 ({first!r}) holds {sorted(groups)}; every layer must hold the same."
            )
        for rest, names in parts.items():
            groups.setdefault(rest, []).append(names)
    result = {
        module: dict(names)
        for module, names in tree.items()
        if not any(_remainder(module, p) is not None for p in prefixes.values())
    }
    for rest, per_layer in groups.items():
        stacked = _stack(per_layer, [prefixes[i] + rest for i in prefixes])
        _place(result, into + rest, stacked)
    return result


def _stack(
    per_layer: list[collections.abc.Mapping[str, Any]], paths: list[str]
) -> dict[str, np.ndarray]:
    """Stacks one module's variables across layers.

    Raises:
      UnsupportedError: a layer's names, shape or dtype differ from layer 0's.
    """
    first = per_layer[0]
    result = {}
    for name in first:
        arrays = []
        for path, names in zip(paths, per_layer, strict=True):
            if set(names) != set(first):
                raise errors.UnsupportedError(
                    f"stack_layers: module {path!r} holds {sorted(names)}, but {paths[0]!r} holds "
                    f"{sorted(first)}; every layer must hold the same variables."
                )
            array, reference = np.asarray(names[name]), np.asarray(first[name])
            if array.shape != reference.shape or array.dtype != reference.dtype:
                raise errors.UnsupportedError(
                    f"stack_layers: {path!r}/{name} has shape {array.shape} and dtype "
                    f"{array.dtype}, but {paths[0]!r}/{name} has shape {reference.shape} and dtype "
                    f"{reference.dtype}; stacked layers must be alike."
                )
            arrays.append(array)
        result[name] = np.stack(arrays)
    return result


def _place(result: Arrays, module: str, names: dict[str, np.ndarray]) -> None:
    """Adds `module` to `result`.

    Raises:
      UnsupportedError: `module` is already there.
    """
    if module in result:
        raise errors.UnsupportedError(
            f"module {module!r} already exists; choose another path (`into` / `layers`) for the "
            "stacked or split modules."
        )
    result[module] = names


def unstack_layers(
    tree: Tree, stacked: str, layers: str | collections.abc.Sequence[str]
) -> dict[str, dict[str, np.ndarray]]:
    """Splits a `layer_stack`'s params (or state) into one module per layer.

    >>> import numpy as np
    >>> tree = {"__layer_stack_no_per_layer/linear": {"w": np.ones([3, 4, 4])}}
    >>> split = unstack_layers(tree, "__layer_stack_no_per_layer/linear", "mlp/~/linear_{}")
    >>> sorted(split)
    ['mlp/~/linear_0', 'mlp/~/linear_1', 'mlp/~/linear_2']

    Args:
      tree: `{module path: {name: array}}` holding the stack.
      stacked: the path of one layer's module inside the stack (`into` of `stack_layers`);
        modules under it (`<stacked>/~/...`) are split too.
      layers: the layers' module paths in order, or a template whose `{}` takes the index
        (`"mlp/~/linear_{}"`).

    Returns:
      `tree` with the stacked modules replaced by one module per layer.

    Raises:
      UnsupportedError: nothing is at `stacked`, the stacked arrays disagree on the number of
        layers, the list of layers has another length, or a module would land on an existing one.
    """
    parts = {
        rest: names
        for module, names in tree.items()
        if (rest := _remainder(module, stacked)) is not None
    }
    sizes = {
        np.shape(value)[0] if np.ndim(value) else 0
        for names in parts.values()
        for value in names.values()
    }
    if not parts or len(sizes) != 1 or 0 in sizes:
        raise errors.UnsupportedError(
            f"unstack_layers: expected arrays with one leading layer axis under {stacked!r}, "
            f"found {'nothing' if not parts else f'leading sizes {sorted(sizes)}'}; the paths "
            f"are {sorted(tree)}."
        )
    (count,) = sizes
    paths = [layers.format(i) for i in range(count)] if isinstance(layers, str) else list(layers)
    if len(paths) != count:
        raise errors.UnsupportedError(
            f"unstack_layers: {stacked!r} holds {count} layers but {len(paths)} paths were given."
        )
    result = {
        module: dict(names) for module, names in tree.items() if _remainder(module, stacked) is None
    }
    for rest, names in parts.items():
        for index, path in enumerate(paths):
            _place(
                result,
                path + rest,
                {name: np.asarray(value)[index] for name, value in names.items()},
            )
    return result
