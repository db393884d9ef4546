"""The optimizer-state file: an optax state's fields as a params file beside `OUT`.

`python -m sonnax.convert SRC OUT.npz --optimizer-state NAME` writes `OUT.opt_state.npz`:
each moment tree under `params/<optax field>/<module>/<name>` (`mu`, `nu`, `trace`) and a step
count under `state/optax/count`, so `load` reads it as any params file and `OUT.npz` itself
stays a plain params file that `load` and `restore` take unchanged.
"""

import os
from typing import Any

from sonnax.convert import errors
from sonnax.convert._mapping import optimizer_state
from sonnax.convert._write import npz

SUFFIX = ".opt_state.npz"


def path_beside(out: str | os.PathLike[str]) -> str:
    """`OUT.npz` -> `OUT.opt_state.npz` (any other name gets the suffix appended)."""
    return os.fspath(out).removesuffix(".npz") + SUFFIX


def write_fields(
    path: str | os.PathLike[str], fields: optimizer_state.Fields, overwrite: bool
) -> None:
    """Writes the fields as a params file: `params/<field>/<module>/<name>`, `state/optax/count`."""
    moments = {
        f"{field}/{module}": names
        for field, tree in fields.items()
        if field != "count"
        for module, names in tree.items()
    }
    counter = {"optax": {"count": fields["count"]}} if "count" in fields else {}
    npz.save(path, moments, counter, overwrite=overwrite)


def load_optimizer_state(path: str | os.PathLike[str], optimizer: str) -> Any:
    """Reads the optax state `python -m sonnax.convert --optimizer-state` wrote.

    Args:
      path: the optimizer-state file (`OUT` with `.npz` replaced by `.opt_state.npz`).
      optimizer: the optimizer it was converted for.

    Returns:
      The optax state, as `optimizer_state` returns it.

    Raises:
      ConvertError: the file cannot be read (see `load`), or it does not hold that optimizer's
        fields.
    """
    optimizer_state.check_optimizer(optimizer)
    moments, counter = npz.load(path)
    fields: optimizer_state.Fields = {}
    for module, arrays in moments.items():
        field, _, parameter_module = module.partition("/")
        fields.setdefault(field, {})[parameter_module] = arrays
    if "count" in counter.get("optax", {}):
        fields["count"] = counter["optax"]["count"]
    expected = {field for _, field in optimizer_state.SLOTS[optimizer].values()} | (
        {"count"} if optimizer in optimizer_state.STEP else set()
    )
    optional = {
        optimizer_state.SLOTS[optimizer][attr][1]
        for attr in optimizer_state.OPTIONAL.get(optimizer, ())
    }
    if not expected - optional <= set(fields) <= expected:
        raise errors.UnsupportedError(
            f"{os.fspath(path)}: holds optax fields {sorted(fields)}, but a {optimizer!r} state "
            f"has {sorted(expected)}{f' ({sorted(optional)} optional)' if optional else ''}; was "
            "it written for another optimizer?"
        )
    return optimizer_state.build_state(optimizer, fields)


def read_for_placements(
    checkpoint: Any,
    placements: Any,
    optimizer: str,
    haiku_state: dict[str, dict[str, Any]] | None,
    modules: Any,
) -> optimizer_state.Fields:
    """The optax fields for a conversion's placements (before anything is written).

    Args:
      checkpoint: the open checkpoint.
      placements: the conversion's `names.Placement`s, in the compat layout.
      optimizer: the optimizer's kind.
      haiku_state: with the Haiku layout, the compat state of the mapped modules (else None).
      modules: the layout's `modules`.

    Returns:
      The fields, laid out as the params are.
    """
    params: dict[str, dict[str, Any]] = {}
    for placement in placements:
        if placement.collection == "params":
            params.setdefault(placement.module, {})[placement.name] = placement.info
    fields = optimizer_state.read_fields(checkpoint, params, optimizer)
    if haiku_state is None:
        return fields
    return optimizer_state.to_haiku_fields(fields, params, haiku_state, modules)
