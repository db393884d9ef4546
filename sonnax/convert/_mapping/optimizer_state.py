"""Sonnet optimizers' slots and step counter as the state of the optax optimizer that matches.

A Sonnet 2 optimizer keeps one list of slot variables per moment (`m/0`, `m/1`, ... in the
object graph), in the order of the parameters its first `apply` was given, and names each slot
after its parameter under its own name scopes (`adam/m/mlp/linear_0/w`). A slot is matched to
its parameter by that name (the part after `/<scope>/`), checked against the list order (slot
`i` of every list must name the same parameter) and against the parameter's shape and dtype.

Which optax call takes the same next step (`optax_optimizer` builds it):

- `snt.optimizers.SGD(lr)`: `optax.sgd(lr)`; no state.
- `snt.optimizers.Momentum(lr, mu, use_nesterov)`: `optax.sgd(lr, momentum=mu,
  nesterov=use_nesterov)`. Both accumulate `acc = mu * acc + g` and step by `lr * acc`
  (Nesterov: `lr * (g + mu * acc)`): `accumulated_momentum` is optax's `trace`.
- `snt.optimizers.Adam(lr, beta1, beta2, epsilon)`: `optax.adam(lr, b1=beta1, b2=beta2,
  eps=epsilon)`. Both add `epsilon` outside the square root of the debiased second moment
  (optax's `eps_root` stays 0); `m`, `v` and `step` are optax's `mu`, `nu` and `count`.
- `snt.optimizers.RMSProp(lr, decay, momentum, epsilon, centered)`: `optax.rmsprop(lr,
  decay=decay, eps=epsilon, centered=centered, momentum=momentum)`. Both add `epsilon` inside
  the square root (optax's default `eps_in_sqrt=True`) and start the mean square at 0
  (`initial_scale=0`); Sonnet multiplies by `lr` before accumulating momentum, as optax's
  chain does (scale, then trace). Pass `momentum` even when it is 0 (Sonnet's default), so
  the state has the trace. optax's trace holds the update, which is minus Sonnet's `mom`
  (Sonnet subtracts it); `rms` and `mg` are `nu` and `mu`. Sonnet's default `epsilon` is
  1e-10, optax's 1e-8: `optax_optimizer` passes Sonnet's.
"""

import collections.abc
import os
import re
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np

from sonnax.convert import errors
from sonnax.convert._mapping import layouts, names
from sonnax.convert._read import checkpoint as checkpoint_lib

# Per optimizer: the object-graph list of each slot -> (its variables' name scope, optax field).
SLOTS: dict[str, dict[str, tuple[str, str]]] = {
    "sgd": {},
    "momentum": {"accumulated_momentum": ("accumulated_momentum", "trace")},
    "adam": {"m": ("m", "mu"), "v": ("v", "nu")},
    "rmsprop": {"ms": ("rms", "nu"), "mg": ("mg", "mu"), "mom": ("momentum", "trace")},
}
OPTIONAL = {"rmsprop": {"mg"}}  # only with centered=True
STEP = {"adam": "step"}
_SLOT_PATH = re.compile(r"^(?P<root>.+)/(?P<attr>[^/]+)/(?P<index>\d+)$")
Arrays = dict[str, dict[str, np.ndarray]]
Fields = dict[str, Any]  # optax field -> moments tree, or "count" -> scalar


def check_optimizer(optimizer: str) -> None:
    """Raises: UnsupportedError: `optimizer` is not one of `SLOTS`."""
    if optimizer not in SLOTS:
        raise errors.UnsupportedError(
            f"optimizer {optimizer!r} is not supported; expected one of {sorted(SLOTS)} "
            "(snt.optimizers.SGD, Momentum, Adam, RMSProp)."
        )


def _find_slots(
    entries: collections.abc.Mapping[str, checkpoint_lib.TensorInfo],
    optimizer: str,
    prefix: str | None,
) -> tuple[dict[str, dict[int, checkpoint_lib.TensorInfo]], checkpoint_lib.TensorInfo | None]:
    """The optimizer's slot lists `{attr: {index: info}}` and its step counter.

    Raises:
      UnsupportedError: no optimizer of this kind, or several and no `prefix`.
    """
    found: dict[str, dict[str, dict[int, checkpoint_lib.TensorInfo]]] = {}
    for info in entries.values():
        match = _SLOT_PATH.match(info.object_path or "")
        scope = (
            SLOTS[optimizer][match["attr"]][0]
            if match and match["attr"] in SLOTS[optimizer]
            else None
        )
        # By structure and name, not only `kind`: the reader tells an optimizer by its place
        # (the root's `optimizer`), and a Sonnet optimizer elsewhere holds plain variables.
        if match and scope and f"/{scope}/" in names.variable_name(info):
            lists = found.setdefault(match["root"], {})
            lists.setdefault(match["attr"], {})[int(match["index"])] = info
    roots = sorted(found) if prefix is None else [prefix]
    if len(roots) != 1 or roots[0] not in found:
        raise errors.UnsupportedError(
            f"optimizer_state: expected one {optimizer!r} optimizer in the checkpoint, found "
            f"{sorted(found) or 'none'} (object paths with slot lists "
            f"{sorted(SLOTS[optimizer])}). Give its object path as `prefix`"
            f"{'' if prefix is None else f' (not {prefix!r})'}, or check `optimizer`."
        )
    step = next(
        (i for i in entries.values() if i.object_path == f"{roots[0]}/{STEP.get(optimizer)}"), None
    )
    return found[roots[0]], step


def _parameter_of(
    slot: checkpoint_lib.TensorInfo, scope: str, variables: dict[str, list[names.Placement]]
) -> names.Placement:
    """The model variable a slot belongs to, by the name the slot was given after it.

    Raises:
      UnsupportedError: no model variable, or several, fit the slot's name.
    """
    slot_name = names.variable_name(slot)
    candidates = [
        placement
        for name, placements in variables.items()
        if slot_name.endswith(f"/{scope}/{name}")
        for placement in placements
    ]
    if len(candidates) != 1:
        found = [f"{p.collection}[{p.module!r}][{p.name!r}]" for p in candidates] or "none"
        raise errors.UnsupportedError(
            f"optimizer_state: slot {slot.object_path!r} (named {slot_name!r}) must belong to "
            f"one model variable named like '<...>/{scope}/<variable name>'; found {found}. "
            "Variables of the same name (two modules sharing a name scope) cannot be told "
            "apart: give the modules distinct names in TF."
        )
    return candidates[0]


def _check_parameter(
    params: Any, placement: names.Placement, slot: checkpoint_lib.TensorInfo
) -> None:
    """Checks the slot's parameter is in `params` with the slot's shape and dtype.

    Raises:
      UnsupportedError: it is a state variable, missing, or shaped or typed unlike the slot.
    """
    where = f"params[{placement.module!r}][{placement.name!r}]"
    value = (
        params.get(placement.module, {}).get(placement.name)
        if placement.collection == "params"
        else None
    )
    if value is None:
        raise errors.UnsupportedError(
            f"optimizer_state: slot {slot.object_path!r} belongs to {placement.collection}"
            f"[{placement.module!r}][{placement.name!r}], which `params` lacks; pass the params "
            "converted from the same checkpoint (compat layout)."
        )
    shape, dtype = tuple(value.shape), np.dtype(value.dtype)
    if shape != slot.shape or dtype != slot.dtype:
        raise errors.UnsupportedError(
            f"optimizer_state: slot {slot.object_path!r} has shape {slot.shape} and dtype "
            f"{slot.dtype}, but its parameter {where} has shape {shape} and dtype {dtype}."
        )


def _moments(
    checkpoint: checkpoint_lib.Checkpoint,
    lists: dict[str, dict[int, checkpoint_lib.TensorInfo]],
    optimizer: str,
    params: Any,
) -> dict[str, Arrays]:
    """`{optax field: moments tree aligned with params}`, read from the slots.

    Raises:
      UnsupportedError: a slot list is missing, lists disagree on their order, or a parameter
        has no slot.
    """
    missing = set(SLOTS[optimizer]) - OPTIONAL.get(optimizer, set()) - set(lists)
    if missing:
        raise errors.UnsupportedError(
            f"optimizer_state: the {optimizer!r} optimizer has no slot list {sorted(missing)} "
            f"(found {sorted(lists)}); is it another kind of optimizer?"
        )
    variables: dict[str, list[names.Placement]] = {}
    for placement in names.plan(checkpoint.entries(), names.Selection()).placements:
        variables.setdefault(names.variable_name(placement.info), []).append(placement)
    order: dict[int, tuple[str, str, str]] = {}
    fields: dict[str, Arrays] = {}
    for attr, slots in sorted(lists.items()):
        scope, field = SLOTS[optimizer][attr]
        for index, slot in sorted(slots.items()):
            placement = _parameter_of(slot, scope, variables)
            _check_parameter(params, placement, slot)
            first = order.setdefault(
                index, (placement.module, placement.name, slot.object_path or "")
            )
            if first[:2] != (placement.module, placement.name):
                raise errors.UnsupportedError(
                    f"optimizer_state: slots {first[2]!r} and {slot.object_path!r} share list "
                    f"index {index} but belong to params[{first[0]!r}][{first[1]!r}] and "
                    f"params[{placement.module!r}][{placement.name!r}]."
                )
            array = checkpoint.read(slot.key)
            fields.setdefault(field, {}).setdefault(placement.module, {})[placement.name] = array
    matched = {entry[:2] for entry in order.values()}
    unmatched = [
        f"params[{m!r}][{n!r}]" for m in params for n in params[m] if (m, n) not in matched
    ]
    if unmatched:
        raise errors.UnsupportedError(
            f"optimizer_state: no {optimizer!r} slot belongs to {unmatched}; convert only the "
            "variables the optimizer trained (`exclude=`), or pass their params."
        )
    return fields


def optax_optimizer(optimizer: str, learning_rate: float, **hyperparameters: Any) -> Any:
    """The optax optimizer that takes the same steps as a Sonnet 2 optimizer.

    Args:
      optimizer: `"sgd"`, `"momentum"`, `"adam"` or `"rmsprop"`.
      learning_rate: the learning rate.
      **hyperparameters: the Sonnet constructor's other arguments, by Sonnet's names and with
        Sonnet's defaults: `momentum`, `use_nesterov` (Momentum); `beta1`, `beta2`, `epsilon`
        (Adam); `decay`, `momentum`, `epsilon`, `centered` (RMSProp).

    Returns:
      An `optax.GradientTransformation` (see this module's docstring for the equivalences).

    Raises:
      UnsupportedError: an unknown optimizer or hyper-parameter.
    """
    import optax  # noqa: PLC0415 - optax is needed only here, not to import sonnax.convert.

    check_optimizer(optimizer)
    defaults: dict[str, dict[str, Any]] = {
        "sgd": {},
        "momentum": {"momentum": None, "use_nesterov": False},
        "adam": {"beta1": 0.9, "beta2": 0.999, "epsilon": 1e-8},
        "rmsprop": {"decay": 0.9, "momentum": 0.0, "epsilon": 1e-10, "centered": False},
    }
    unknown = set(hyperparameters) - set(defaults[optimizer])
    if unknown:
        raise errors.UnsupportedError(
            f"optax_optimizer: {optimizer!r} takes no {sorted(unknown)}; Sonnet's arguments are "
            f"{sorted(defaults[optimizer])}."
        )
    h = {**defaults[optimizer], **hyperparameters}
    if optimizer == "momentum":
        return optax.sgd(learning_rate, momentum=h["momentum"], nesterov=h["use_nesterov"])
    if optimizer == "adam":
        return optax.adam(learning_rate, b1=h["beta1"], b2=h["beta2"], eps=h["epsilon"])
    if optimizer == "rmsprop":
        return optax.rmsprop(
            learning_rate,
            decay=h["decay"],
            eps=h["epsilon"],
            centered=h["centered"],
            momentum=h["momentum"],
        )
    return optax.sgd(learning_rate)


def build_state(optimizer: str, fields: Fields) -> Any:
    """The optax state of `optax_optimizer(optimizer, ...)` from its fields' values."""
    import optax  # noqa: PLC0415

    f = jax.tree.map(jnp.asarray, fields)
    empty = optax.EmptyState()
    if optimizer == "momentum":
        return (optax.TraceState(trace=f["trace"]), empty)
    if optimizer == "adam":
        count = f["count"].astype(jnp.int32)
        return (optax.ScaleByAdamState(count=count, mu=f["mu"], nu=f["nu"]), empty)
    if optimizer == "rmsprop":
        centered = "mu" in f
        scale = (
            optax.ScaleByRStdDevState(f["mu"], f["nu"])
            if centered
            else optax.ScaleByRmsState(f["nu"])
        )
        return (scale, empty, optax.TraceState(trace=f["trace"]))
    return (empty, empty)


def read_fields(
    checkpoint: checkpoint_lib.Checkpoint, params: Any, optimizer: str, prefix: str | None = None
) -> Fields:
    """The optax fields of a Sonnet optimizer's state, aligned with compat-layout `params`.

    `params` may hold arrays or anything with `.shape` and `.dtype` (`TensorInfo`s).

    Raises:
      UnsupportedError: see `optimizer_state`.
    """
    check_optimizer(optimizer)
    if optimizer == "sgd":
        return {}
    lists, step = _find_slots(checkpoint.entries(), optimizer, prefix)
    fields: Fields = dict(_moments(checkpoint, lists, optimizer, params))
    if "trace" in fields and optimizer == "rmsprop":
        # Sonnet subtracts `mom`; optax adds its trace.
        fields["trace"] = {m: {n: -v for n, v in ns.items()} for m, ns in fields["trace"].items()}
    if optimizer in STEP:
        if step is None:
            raise errors.UnsupportedError(
                f"optimizer_state: the {optimizer!r} optimizer's step counter "
                f"('{STEP[optimizer]}') is not in the checkpoint."
            )
        count = checkpoint.read(step.key)
        if count.shape != () or not 0 <= int(count) < 2**31:
            raise errors.UnsupportedError(
                f"optimizer_state: step counter {step.object_path!r} is {count!r}; expected a "
                "scalar in [0, 2**31) (optax counts in int32)."
            )
        fields["count"] = np.asarray(count, np.int32)
    return fields


def to_haiku_fields(
    fields: Fields, params: Any, state: Any, modules: layouts.Modules | None
) -> Fields:
    """The moments laid out as `to_haiku_layout` lays out their parameters (without shifts)."""
    shapes = layouts.plan(params, state or {}, True, modules)
    result = dict(fields)
    for field, tree in fields.items():
        if field != "count":
            mapped = layouts.run(
                {"params": tree, "state": dict(state or {})}, shapes, True, values=False
            )
            result[field] = mapped["params"]
    return result


def optimizer_state(
    checkpoint: checkpoint_lib.Checkpoint | str | os.PathLike[str],
    params: collections.abc.Mapping[str, collections.abc.Mapping[str, Any]],
    optimizer: str = "adam",
    *,
    prefix: str | None = None,
    layout: str = "compat",
    state: collections.abc.Mapping[str, collections.abc.Mapping[str, Any]] | None = None,
    modules: layouts.Modules | None = None,
) -> Any:
    """A Sonnet 2 optimizer's state in a checkpoint, as the matching optax optimizer's state.

    Training resumes with `optax_optimizer(optimizer, ...)` (the optax call that takes the same
    step: see the module docstring) and this state; its moment trees are aligned with `params`.

    Args:
      checkpoint: an open checkpoint or its path, holding the model and the optimizer (e.g.
        `tf.train.Checkpoint(model=model, optimizer=optimizer)`).
      params: the model's params in the compat layout, converted from the same checkpoint
        (`to_params(...).params`); every one must have a slot, with its shape and dtype.
      optimizer: `"sgd"`, `"momentum"`, `"adam"` or `"rmsprop"` (centered or not, told by
        its `mg` slots).
      prefix: the optimizer's object path (`"optimizer"` above); needed only when the
        checkpoint holds several optimizers of this kind.
      layout: `"compat"`, or `"haiku"` for moments laid out as `to_haiku_layout(params,
        state, modules=modules)` lays out the params.
      state: the compat-layout state; needed with `layout="haiku"` (a BatchNorm's shapes come
        from it).
      modules: passed to the layout mapping, with `layout="haiku"`.

    Returns:
      The optax state, e.g. `(ScaleByAdamState(count, mu, nu), EmptyState())` for Adam.

    Raises:
      UnsupportedError: an unknown optimizer or layout, or `layout="haiku"` without `state`;
        no such optimizer in the checkpoint (or several, without `prefix`); a slot that fits
        no parameter or several, whose shape or dtype differs from its parameter's, or whose
        list order disagrees with another's; or a parameter without a slot.
    """
    if layout == "haiku" and state is None:
        raise errors.UnsupportedError(
            "optimizer_state: layout='haiku' needs the model's compat-layout `state` too (a "
            "BatchNorm's parameter shapes come from its moving averages); pass state=... ({} "
            "for a model without state)."
        )
    if layout not in ("compat", "haiku"):
        raise errors.UnsupportedError(
            f"optimizer_state: layout {layout!r}; expected 'compat' or 'haiku'."
        )
    if isinstance(checkpoint, checkpoint_lib.Checkpoint):
        fields = read_fields(checkpoint, params, optimizer, prefix)
    else:
        with checkpoint_lib.open_checkpoint(checkpoint) as opened:
            fields = read_fields(opened, params, optimizer, prefix)
    if layout == "haiku":
        fields = to_haiku_fields(fields, params, state, modules)
    return build_state(optimizer, fields)
