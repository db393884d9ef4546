"""The name rule: Sonnet / TF variable names to sonnax `(collection, module path, name)` places.

A variable `mlp/linear_0/w:0` becomes `params["mlp/~/linear_0"]["w"]`: the `:N` suffix is dropped,
the last `/` component is the parameter name and the others, joined with `/~/` as Haiku joins a
parent and its submodule, are the module path (a one-component name lands in module `~`, where
Haiku keeps parameters made outside any module). Non-trainable variables go to `state`.
"""

import collections.abc
import dataclasses
import re

import numpy as np

from sonnax.convert import _keys
from sonnax.convert._mapping import dtypes
from sonnax.convert._read import checkpoint as checkpoint_lib

# How a variable whose trainability is not recorded (TF checkpoints never record it; SavedModels
# do, see `TensorInfo.trainable`) is classed as state: its name, without `:N`, matches one of these.
STATE_RULES: tuple[tuple[str, str], ...] = (
    (r"(^|/)(counter|hidden|average)$", "snt.ExponentialMovingAverage (e.g. snt.BatchNorm)"),
    (r"(^|/)moving_(mean|variance)$", "TF1 / Sonnet 1 / Keras BatchNorm moving statistics"),
    (r"(^|/)(total|count|sum)$", "metric accumulators (snt.Sum, snt.Mean, Keras metrics)"),
    (r"(^|/)global_step$", "the TF1 training step"),
    (r"/ExponentialMovingAverage(_\d+)?$", "tf.compat.v1.train.ExponentialMovingAverage shadows"),
)
_STATE_PATTERNS = tuple(re.compile(pattern) for pattern, _ in STATE_RULES)
# Optimizer state held in ordinary variables rather than slot variables of an object graph:
# treated as slots (left out unless `include_slots`, then placed in `state`). Optimizers in an
# object graph are recognised by the reader, whatever their names (`TensorInfo.kind`).
OPTIMIZER_RULES: tuple[tuple[str, str], ...] = (
    (
        r"^(adam|momentum|rmsprop)(_\d+)?/(m|v|t|accumulated_momentum|momentum|rms|mg)(/|$)",
        "snt.optimizers.Adam / Momentum / RMSProp moments and step",
    ),
    (r"(^|/)beta[12]_power(_\d+)?$", "tf.compat.v1.train.AdamOptimizer's beta powers"),
    (
        r".+/(Adam|Momentum|RMSProp|Adagrad|AdagradDA|Adadelta|Ftrl|ProximalAdagrad)(_\d+)?$",
        "tf.compat.v1.train optimizers' slots, named `<variable>/<optimizer>[_N]` by a Saver",
    ),
)
_OPTIMIZER_PATTERNS = tuple(re.compile(pattern) for pattern, _ in OPTIMIZER_RULES)
_SUFFIX = re.compile(r":\d+$")

Patterns = collections.abc.Sequence[str | re.Pattern[str]]
Arrays = dict[str, dict[str, np.ndarray]]


@dataclasses.dataclass(frozen=True)
class Selection:
    """Which checkpoint tensors a conversion takes: the options `convert`, `to_params` and the
    CLI share.

    Attributes:
      include: regexes searched in each variable name; if any are given, a tensor must match one.
      exclude: regexes searched in each variable name; a tensor matching any is left out.
      include_slots: also take optimizer state (slot variables, variables an optimizer owns,
        `OPTIMIZER_RULES` matches), into `state`.
      include_save_counter: also take the checkpoint's save counter, into `state`.
    """

    include: Patterns = ()
    exclude: Patterns = ()
    include_slots: bool = False
    include_save_counter: bool = False

    def __post_init__(self) -> None:
        # Compiled once (a bad pattern fails here, not mid-conversion) and frozen as tuples.
        for field in ("include", "exclude"):
            patterns = getattr(self, field) or ()
            object.__setattr__(self, field, tuple(re.compile(p) for p in patterns))

    def skip_reason(self, info: checkpoint_lib.TensorInfo) -> str | None:
        """Why the tensor is left out, or `None` if it is taken."""
        name = variable_name(info)
        if is_optimizer_state(info) and not self.include_slots:
            return "optimizer state (include_slots=True / --include-slots)"
        if info.kind == "save_counter" and not self.include_save_counter:
            return "save counter (include_save_counter=True / --include-save-counter)"
        if info.kind not in ("variable", "slot", "save_counter"):
            return f"not a variable (kind {info.kind!r})"
        if info.dtype is None or info.dtype.hasobject:
            return "not a numeric tensor (a string or a TensorFlow-only dtype)"
        if name.endswith("/") or "\0" in name:
            return "its name cannot be a params key (it ends in '/' or holds a NUL)"
        if self.include and not any(re.search(p, name) for p in self.include):
            return "matches no include pattern"
        if any(re.search(p, name) for p in self.exclude):
            return "matches an exclude pattern"
        return None


@dataclasses.dataclass(frozen=True)
class Placement:
    """Where one checkpoint tensor goes in the params file."""

    info: checkpoint_lib.TensorInfo
    collection: str
    module: str
    name: str

    @property
    def file_key(self) -> str:
        """The params-file key, `<collection>/<module>/<name>`."""
        return _keys.entry_key(self.collection, self.module, self.name)


@dataclasses.dataclass(frozen=True)
class Plan:
    """The placements of a conversion, worked out from the entries alone (no tensor is read)."""

    placements: tuple[Placement, ...]
    notes: tuple[str, ...]
    skipped: dict[str, str]


@dataclasses.dataclass(frozen=True)
class ConversionResult:
    """The arrays of a checkpoint, placed by the name rule.

    Attributes:
      params: `{module path: {name: array}}` of trainable variables.
      state: the same structure for non-trainable variables (and slots / the save counter when
        asked for).
      notes: one line per decision a user should know of, e.g. a name collision resolved.
      skipped: `{checkpoint key: reason}` for each tensor left out.
    """

    params: Arrays
    state: Arrays
    notes: list[str]
    skipped: dict[str, str]


def variable_name(info: checkpoint_lib.TensorInfo) -> str:
    """Returns the variable's full name without its `:N` output suffix."""
    return _SUFFIX.sub("", info.name)


def split_name(full_name: str) -> tuple[str, str]:
    """Splits a Sonnet / TF variable name into a sonnax `(module path, parameter name)`.

    Args:
      full_name: e.g. `mlp/linear_0/w` (a `:N` suffix is dropped).

    Returns:
      e.g. `("mlp/~/linear_0", "w")`; a one-component name gives module `~`.

    >>> split_name("mlp/linear_0/w:0")
    ('mlp/~/linear_0', 'w')
    >>> split_name("global_step")
    ('~', 'global_step')
    """
    *scopes, name = _SUFFIX.sub("", full_name).split("/")
    return "/~/".join(scopes) or "~", name


def collection_of(info: checkpoint_lib.TensorInfo) -> str:
    """Returns `"state"` for non-trainable variables, optimizer state and the save counter.

    A recorded trainability wins; otherwise `STATE_RULES` decide on the name. Everything else
    goes to `"params"`.
    """
    if info.kind == "save_counter" or info.trainable is False or is_optimizer_state(info):
        return "state"
    if info.trainable is None and any(p.search(variable_name(info)) for p in _STATE_PATTERNS):
        return "state"
    return "params"


def is_optimizer_state(info: checkpoint_lib.TensorInfo) -> bool:
    """Whether a tensor is optimizer state: a slot by the reader, or a variable by its name."""
    return info.kind == "slot" or (
        info.kind == "variable"
        and any(pattern.search(variable_name(info)) for pattern in _OPTIMIZER_PATTERNS)
    )


def plan(
    entries: collections.abc.Mapping[str, checkpoint_lib.TensorInfo],
    selection: Selection,
) -> Plan:
    """Places each selected checkpoint entry; a pure function of the entries.

    Args:
      entries: the checkpoint's `{key: TensorInfo}`.
      selection: which tensors to take.

    Returns:
      The placements, with every name collision resolved and noted, and the skipped keys.
    """
    placements, skipped = [], {}
    for key, info in entries.items():
        reason = selection.skip_reason(info)
        if reason:
            skipped[key] = reason
            continue
        module, name = split_name(info.name)
        placements.append(Placement(info, collection_of(info), module, name))
    placed, notes = _disambiguate(placements)
    return Plan(tuple(placed), tuple(notes), skipped)


def _disambiguate(placements: list[Placement]) -> tuple[list[Placement], list[str]]:
    """Gives every colliding `(module, name)` a distinct module, never merging tensors.

    Variables that share a place (in eager TF two top-level modules may share a name scope) move
    to the module path of their object-graph path; any still sharing one get a `_1`, `_2`...
    suffix on the module (one never moved, else the first in key order, keeps its place).
    """
    notes: list[str] = []
    result = list(placements)
    moved = set()
    for indices in _collisions(result):
        for index in indices:
            old = result[index]
            if old.info.object_path:
                module = _object_module(old.info.object_path, old.name)
                new = dataclasses.replace(old, module=module)
                result[index] = new
                moved.add(index)
                notes.append(_moved_note(old, new, f"object path {old.info.object_path!r}"))
    taken = {(placement.module, placement.name) for placement in result}
    for indices in _collisions(result):
        # A variable still at its name's place keeps it; the others are numbered by key.
        for index in sorted(indices, key=lambda i: (i in moved, result[i].info.key))[1:]:
            old, number = result[index], 1
            while (f"{old.module}_{number}", old.name) in taken:
                number += 1
            new = dataclasses.replace(old, module=f"{old.module}_{number}")
            taken.add((new.module, new.name))
            result[index] = new
            notes.append(_moved_note(old, new, f"checkpoint key {old.info.key!r}"))
    return result, notes


def _collisions(placements: list[Placement]) -> list[list[int]]:
    """Returns the index groups of placements that share a `(module, name)`."""
    groups: dict[tuple[str, str], list[int]] = {}
    for index, placement in enumerate(placements):
        groups.setdefault((placement.module, placement.name), []).append(index)
    return [indices for indices in groups.values() if len(indices) > 1]


def _object_module(object_path: str, name: str) -> str:
    """Module path from an object-graph path, its components joined by `/~/`.

    The last component is the variable's own local name. It is dropped when it only restates
    the variable's name (`w`, or a private `_w`), and kept when it tells variables apart, as
    the keys of a dict of variables do (`vs={"g": Variable(name="w"), "h": ...}`).
    """
    *parents, local = object_path.split("/")
    components = parents if local.lstrip("_") == name else [*parents, local]
    return "/~/".join(components) or "~"


def _moved_note(old: Placement, new: Placement, by: str) -> str:
    return (
        f"name collision: {variable_name(old.info)!r} (key {old.info.key!r}) shares "
        f"{old.collection}[{old.module!r}][{old.name!r}] with another variable; placed at "
        f"{new.collection}[{new.module!r}][{new.name!r}] by its {by}"
    )


def to_params(
    checkpoint: checkpoint_lib.Checkpoint,
    *,
    include: Patterns | None = None,
    exclude: Patterns | None = None,
    dtype: str | np.dtype | None = None,
    include_slots: bool = False,
    include_save_counter: bool = False,
) -> ConversionResult:
    """Reads a checkpoint's variables into sonnax params and state, placed by the name rule.

    Args:
      checkpoint: an open checkpoint, from `open_checkpoint`.
      include: regexes searched in each variable name; if given, a tensor must match one.
      exclude: regexes searched in each variable name; a tensor matching any is left out.
      dtype: cast floating-point tensors to this dtype (e.g. `"bfloat16"`); others keep theirs.
      include_slots: also convert optimizer state (slot variables, variables an optimizer owns,
        `OPTIMIZER_RULES` matches).
      include_save_counter: also convert the save counter (into `state`).

    Returns:
      The params, state, notes on resolved collisions, and the skipped keys with reasons.
    """
    target = dtypes.parse_dtype(dtype)
    selection = Selection(
        include=include or (),
        exclude=exclude or (),
        include_slots=include_slots,
        include_save_counter=include_save_counter,
    )
    placed = plan(checkpoint.entries(), selection)
    trees: dict[str, Arrays] = {"params": {}, "state": {}}
    for placement in placed.placements:
        array = dtypes.cast(checkpoint.read(placement.info.key), target)
        trees[placement.collection].setdefault(placement.module, {})[placement.name] = array
    return ConversionResult(
        trees["params"], trees["state"], list(placed.notes), dict(placed.skipped)
    )
