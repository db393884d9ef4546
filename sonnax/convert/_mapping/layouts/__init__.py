"""Layout mapping between `sonnax.compat` (Sonnet's variables) and the core (Haiku's) modules.

Each module kind has a rule in its own file; this file finds which modules need one and runs
them. A module is found by its variables' names and shapes (an LSTM's `w_i`/`w_h`/`b`, a
BatchNorm's moving averages), or, where shapes cannot tell (a transposed or depthwise kernel
looks like a plain one), by Sonnet's default module name; `modules` names the rest.
"""

import collections.abc
import dataclasses
from typing import Any

import numpy as np

from sonnax.convert import _keys, errors
from sonnax.convert._mapping.layouts import (
    batch_norm,
    conv,
    conv_lstm,
    conv_transpose,
    depthwise,
    entries,
    gru,
    lstm,
)

# In detection order: named kinds before the channels-first `conv` found by its bias shape.
_RULES = (
    lstm.RULE,
    gru.RULE,
    conv_lstm.RULE,
    batch_norm.RULE,
    conv_transpose.RULE,
    depthwise.RULE,
    conv.RULE,
)
RULES = {rule.kind: rule for rule in _RULES}
KEEP = "none"
Trees = dict[str, dict[str, dict[str, np.ndarray]]]
Modules = collections.abc.Mapping[str, str]


@dataclasses.dataclass(frozen=True)
class Step:
    """One module's mapping: where it is, its rule and the options its `modules` entry gave."""

    module: str
    rule: entries.Rule
    options: entries.Options


def parse_kind(module: str, spec: str) -> tuple[str, entries.Options]:
    """`"kind"` or `"kind:option,..."` (options `channels_first`, `multiplier=N`).

    Raises:
      UnsupportedError: an unknown kind or option; the message lists the known ones.
    """
    kind, _, rest = spec.partition(":")
    if kind != KEEP and kind not in RULES:
        raise errors.UnsupportedError(
            f"modules[{module!r}] = {spec!r}: unknown layout {kind!r}; expected one of "
            f"{sorted([*RULES, KEEP])}, optionally followed by ':channels_first' or "
            "':multiplier=N' (e.g. 'depthwise_conv:channels_first,multiplier=2')."
        )
    options: dict[str, Any] = {}
    for option in filter(None, rest.split(",")):
        name, _, value = option.partition("=")
        if name == "channels_first" and not value:
            options["channels_first"] = True
        elif name == "multiplier" and value.isdigit() and int(value) > 0:
            options["channel_multiplier"] = int(value)
        else:
            raise errors.UnsupportedError(
                f"modules[{module!r}] = {spec!r}: unknown option {option!r}; expected "
                "'channels_first' or 'multiplier=N' with N >= 1."
            )
    return kind, entries.Options(**options)


def plan(
    params: entries.Shapes, state: entries.Shapes, to_haiku: bool, modules: Modules | None
) -> list[Step]:
    """The modules to map, from shapes alone (arrays or `TensorInfo`s).

    Args:
      params: `{module: {name: leaf with .shape}}` in the layout mapped from.
      state: the same for state.
      to_haiku: whether the trees are in the compat layout (else the Haiku layout).
      modules: `{module path: kind spec}` that overrides detection; `"none"` keeps a module.

    Returns:
      One step per module to map, explicit ones first.

    Raises:
      UnsupportedError: a named module is not found, a kind or option is unknown, or a
        module's layout is ambiguous.
    """
    steps, claimed = [], set()
    for module, spec in (modules or {}).items():
        kind, options = parse_kind(module, spec)
        claimed.add(module)
        if kind == KEEP:
            continue
        rule = RULES[kind]
        keys = rule.compat_keys(module) if to_haiku else rule.haiku_keys(module)
        trees = {"params": params, "state": state}
        if not any(module_path in trees[collection] for collection, module_path in keys):
            raise errors.UnsupportedError(
                f"modules[{module!r}] = {spec!r}: no such module; a {kind!r} at {module!r} "
                f"holds {[f'{c}[{m!r}]' for c, m in keys]}, none of which is present. Name the "
                "module by its path in the layout mapped from (a core LSTM by its parent's)."
            )
        steps.append(Step(module, rule, options))
    # Named modules are not looked at again, so naming one settles its ambiguity.
    params = {module: names for module, names in params.items() if module not in claimed}
    consumed = {key for step in steps for key in _keys_of(step.rule, step.module, to_haiku)}
    for rule in _RULES:
        found = rule.find_compat(params, state) if to_haiku else rule.find_haiku(params, state)
        for module in found:
            found_keys = set(_keys_of(rule, module, to_haiku))
            if module not in claimed and not found_keys & consumed:
                claimed.add(module)
                consumed |= found_keys
                steps.append(Step(module, rule, entries.Options()))
    return steps


def _keys_of(rule: entries.Rule, module: str, to_haiku: bool) -> tuple[entries.Key, ...]:
    return rule.compat_keys(module) if to_haiku else rule.haiku_keys(module)


def run(
    trees: Trees, steps: collections.abc.Sequence[Step], to_haiku: bool, values: bool = True
) -> Trees:
    """Applies `steps` to `{"params": ..., "state": ...}`; other modules pass through.

    Raises:
      UnsupportedError: a rule does not fit its module, or a mapped module would land on an
        entry that is already there.
    """
    result = {
        collection: {m: dict(names) for m, names in tree.items()}
        for collection, tree in trees.items()
    }
    outputs: entries.Group = {}
    for step in steps:
        keys = step.rule.compat_keys(step.module) if to_haiku else step.rule.haiku_keys(step.module)
        group = {key: result[key[0]].pop(key[1]) for key in keys if key[1] in result[key[0]]}
        options = dataclasses.replace(step.options, values=values)
        mapped = (step.rule.to_haiku if to_haiku else step.rule.to_compat)(
            step.module, group, options
        )
        outputs.update(mapped)
    for (collection, module), names in outputs.items():
        if module in result[collection]:
            raise errors.UnsupportedError(
                f"layout mapping: {collection}[{module!r}] is both made by a mapped module and "
                "already present. Rename one of the modules, or keep the mapped module as it is "
                "in `modules`."
            )
        result[collection][module] = names
    return result


def _as_numpy(
    tree: collections.abc.Mapping[str, collections.abc.Mapping[str, Any]] | None,
) -> dict[str, dict[str, np.ndarray]]:
    return {
        module: {name: np.asarray(value) for name, value in names.items()}
        for module, names in (tree or {}).items()
    }


def convert_layout(
    params: Any, state: Any, modules: Modules | None, to_haiku: bool
) -> tuple[dict[str, dict[str, np.ndarray]], dict[str, dict[str, np.ndarray]]]:
    """Plans and runs a mapping over whole trees (numpy arrays out)."""
    trees = {"params": _as_numpy(params), "state": _as_numpy(state)}
    steps = plan(trees["params"], trees["state"], to_haiku, modules)
    result = run(trees, steps, to_haiku)
    return result["params"], result["state"]


def to_haiku_layout(
    params: collections.abc.Mapping[str, collections.abc.Mapping[str, Any]],
    state: collections.abc.Mapping[str, collections.abc.Mapping[str, Any]] | None = None,
    *,
    modules: Modules | None = None,
) -> tuple[dict[str, dict[str, np.ndarray]], dict[str, dict[str, np.ndarray]]]:
    """Maps `sonnax.compat` (Sonnet-layout) params and state onto the core (Haiku) modules.

    Per module, found by its variables or named in `modules` (paths are those of the compat
    layout; the core model must name its modules so that the paths below match):

    - `LSTM` / `UnrolledLSTM` at `P` (`w_i`, `w_h`, `b`) -> core `LSTM` at `P`: params
      `P/linear` with `w` `[in + h, 4h]` and `b`, gates reordered from i, f, g, o to i, g, f, o.
    - `GRU` at `P` -> core `GRU` at `P`: unchanged (checked).
    - `Conv1DLSTM` / `Conv2DLSTM` / `Conv3DLSTM` at `P` (`b`; `P/~/input_to_hidden`,
      `P/~/hidden_to_hidden` without biases) -> the core's at `P`: `P/input_to_hidden` (with
      `b`) and `P/hidden_to_hidden` (zero bias), gates reordered as for the LSTM.
    - `BatchNorm` at `P` -> core `BatchNorm` at `P`: `scale`/`offset` shaped like the
      statistics, `[1, ..., C]`; state `P/~/moving_mean` -> `P/~/mean_ema` and
      `P/~/moving_variance` -> `P/~/var_ema` (int32 `counter`).
    - `Conv1DTranspose` / `Conv2DTranspose` / `Conv3DTranspose` -> the core's: `w` with every
      spatial axis reversed.
    - `DepthwiseConv2D`: `w` `[h, w, in, m]` -> the core's `[h, w, 1, in * m]`.
    - any other module (`Linear`, `Conv2D`, `LayerNorm`, ...): unchanged.

    An LSTM's forget bias: Sonnet stores it inside `b`; the core adds exactly 1 at each step,
    so 1 is subtracted from `b`'s forget quarter (any other stored forget bias survives as
    the difference). An LSTM with a projection has no core twin (an error). Transposed and
    depthwise convolutions are found by Sonnet's default names (`conv2_d_transpose`,
    `depthwise_conv2_d`...); give others in `modules`. Channels-first convolutions' biases
    differ in shape: name them with `":channels_first"` (e.g. `"conv:channels_first"`).

    >>> import numpy as np
    >>> params = {"lstm": {"w_i": np.ones([3, 8]), "w_h": np.ones([2, 8]), "b": np.ones([8])}}
    >>> params, state = to_haiku_layout(params)
    >>> {module: {k: v.shape for k, v in names.items()} for module, names in params.items()}
    {'lstm/linear': {'w': (5, 8), 'b': (8,)}}
    >>> params["lstm/linear"]["b"]  # gates i, g, f, o; the forget gate's stored 1 moved out
    array([1., 1., 1., 1., 0., 0., 1., 1.])

    Args:
      params: compat-layout params, `{module path: {name: array}}` (e.g. from `to_params`).
      state: compat-layout state, in the same form.
      modules: `{module path: kind}`, overriding detection: `"lstm"`, `"gru"`,
        `"conv_lstm"`, `"batch_norm"`, `"conv"`, `"conv_transpose"`, `"depthwise_conv"`
        (with options after a colon: `"channels_first"`, `"multiplier=N"`), or `"none"` to
        leave a module as it is.

    Returns:
      `(params, state)` in the Haiku layout, numpy arrays.

    Raises:
      UnsupportedError: a module's layout is ambiguous or does not fit its rule (the message
        names the module, the variable and both shapes), a named module is missing, or an
        LSTM has a projection.
    """
    return convert_layout(params, state, modules, to_haiku=True)


def to_compat_layout(
    params: collections.abc.Mapping[str, collections.abc.Mapping[str, Any]],
    state: collections.abc.Mapping[str, collections.abc.Mapping[str, Any]] | None = None,
    *,
    modules: Modules | None = None,
) -> tuple[dict[str, dict[str, np.ndarray]], dict[str, dict[str, np.ndarray]]]:
    """Maps core (Haiku-layout) params and state back onto `sonnax.compat` (Sonnet) modules.

    The inverse of `to_haiku_layout`: it gives back exactly what that took, except that the
    constant `scale`/`offset` state of a compat `BatchNorm` without `create_scale` /
    `create_offset` is not made again (TF Sonnet has no such variables; the compat module
    makes them when absent), and that `b - 1 + 1` of an LSTM's forget quarter may differ
    from `b` in its last bit. A core LSTM is found by its parent's name (`lstm`, `lstm_N`,
    `unrolled_lstm`), a core BatchNorm by `mean_ema`/`var_ema`; `modules` keys are the paths
    the modules have in the compat layout (an LSTM's own, not its `linear`'s). The core
    depthwise kernel does not tell its channel multiplier: give it as
    `"depthwise_conv:multiplier=N"` when it is not 1.

    >>> import numpy as np
    >>> params = {"lstm/linear": {"w": np.ones([5, 8]), "b": np.zeros([8])}}
    >>> params, state = to_compat_layout(params)
    >>> {module: {k: v.shape for k, v in names.items()} for module, names in params.items()}
    {'lstm': {'w_i': (3, 8), 'w_h': (2, 8), 'b': (8,)}}

    Args:
      params: Haiku-layout params, `{module path: {name: array}}`.
      state: Haiku-layout state, in the same form.
      modules: `{module path: kind}` overriding detection, as for `to_haiku_layout`.

    Returns:
      `(params, state)` in the compat layout, numpy arrays.

    Raises:
      UnsupportedError: a module's layout does not fit its rule, or a named module is missing.
    """
    return convert_layout(params, state, modules, to_haiku=False)


def map_placements(
    placements: collections.abc.Sequence[Any],
    read: collections.abc.Callable[[Any], np.ndarray],
    modules: Modules | None,
) -> tuple[tuple[Any, ...], list[tuple[str, np.ndarray]], dict[str, dict[str, np.ndarray]]]:
    """Maps the placements of a conversion (`names.Placement`s) onto the Haiku layout.

    Only the modules a rule applies to are read (with `read`) and held in memory; the others
    are returned as placements, to be streamed as they are.

    Returns:
      `(placements left as they are, [(file key, mapped array)], compat state of the mapped
      modules)`.

    Raises:
      UnsupportedError: as `to_haiku_layout`, or a mapped entry lands on a streamed one.
    """
    shapes: dict[str, dict[str, dict[str, Any]]] = {"params": {}, "state": {}}
    for placement in placements:
        shapes[placement.collection].setdefault(placement.module, {})[placement.name] = (
            placement.info
        )
    steps = plan(shapes["params"], shapes["state"], True, modules)
    affected = {key for step in steps for key in step.rule.compat_keys(step.module)}
    trees: Trees = {"params": {}, "state": {}}
    rest = []
    for placement in placements:
        if (placement.collection, placement.module) in affected:
            trees[placement.collection].setdefault(placement.module, {})[placement.name] = read(
                placement
            )
        else:
            rest.append(placement)
    mapped = run(trees, steps, True)
    streamed = {(p.collection, p.module) for p in rest}
    items: list[tuple[str, np.ndarray]] = []
    for collection, tree in mapped.items():
        for module, names in tree.items():
            if (collection, module) in streamed:
                raise errors.UnsupportedError(
                    f"layout mapping: {collection}[{module!r}] is both made by a mapped module and "
                    "present in the checkpoint. Keep the mapped module as it is in `modules`."
                )
            items.extend((_keys.entry_key(collection, module, n), a) for n, a in names.items())
    return tuple(rest), items, trees["state"]
