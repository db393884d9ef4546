"""`from_checkpoint`, `from_saved_model` and `from_module`: Sonnet variables as sonnax trees.

Each returns `(params, state)`, plain `{module path: {name: numpy array}}` dicts laid out as
`sonnax.compat` lays out the same model, by the name rule of `sonnax.convert.split_name`.
Only `from_module` needs TensorFlow, and imports it when called.
"""

import collections.abc
import math
import os
import warnings
from typing import Any

import numpy as np

from sonnax.convert import errors
from sonnax.convert._mapping import dtypes, layouts, names
from sonnax.convert._mapping import rename as renames
from sonnax.convert._read import checkpoint as checkpoint_lib
from sonnax.convert._read import saved_model

Arrays = dict[str, dict[str, np.ndarray]]
Reader = collections.abc.Callable[[str], np.ndarray]


def from_checkpoint(
    path: str | os.PathLike[str],
    *,
    include: names.Patterns | None = None,
    exclude: names.Patterns | None = None,
    dtype: str | np.dtype | None = None,
    rename: renames.Rules | None = None,
    layout: str = "compat",
    modules: layouts.Modules | None = None,
) -> tuple[Arrays, Arrays]:
    """Reads a TF / Sonnet checkpoint's variables as sonnax `(params, state)`, without TF.

    Trainable variables become params; BatchNorm statistics, EMA counters and other
    non-trainable variables (by `sonnax.convert`'s state rules) become state. Optimizer slots
    and the save counter are left out. A name collision resolved by the name rule is reported
    as a `UserWarning`.

    Args:
      path: a checkpoint directory (its latest checkpoint), a checkpoint prefix, or a
        SavedModel directory.
      include: regexes searched in each (renamed) variable name; if given, one must match.
      exclude: regexes searched in each (renamed) variable name; a match leaves it out.
      dtype: cast floating-point tensors to this dtype (e.g. `"bfloat16"`).
      rename: `(regex, replacement)` rules applied in order with `re.sub` to each variable
        name before the name rule, e.g. `[(r"^conv_net_2d/conv_2d_(\\d+)/", r"conv_\\1/")]`
        for a Sonnet 1 / TF1 checkpoint (see docs/porting.md).
      layout: `"compat"` (default), or `"haiku"` for the core (Haiku) modules' layout, as
        `to_haiku_layout` maps it.
      modules: with `layout="haiku"`, `{module path: kind}` as for `to_haiku_layout`.

    Returns:
      `(params, state)`, each `{module path: {name: array}}`.

    Raises:
      ConvertError: a subclass saying what is wrong with the input (see `open_checkpoint`),
        or, with `layout="haiku"`, an `UnsupportedError` from the layout mapping.
      ValueError: a rename rule or a dtype is invalid.
    """
    _check_layout(layout)
    with checkpoint_lib.open_checkpoint(path) as checkpoint:
        trees = _collect(
            renames.rename_entries(checkpoint.entries(), rename),
            checkpoint.read,
            names.Selection(include=include or (), exclude=exclude or ()),
            dtypes.parse_dtype(dtype),
        )
    return _laid_out(trees, layout, modules)


def from_saved_model(
    path: str | os.PathLike[str],
    *,
    include: names.Patterns | None = None,
    exclude: names.Patterns | None = None,
    dtype: str | np.dtype | None = None,
    rename: renames.Rules | None = None,
    layout: str = "compat",
    modules: layouts.Modules | None = None,
) -> tuple[Arrays, Arrays]:
    """Reads a SavedModel's variables as sonnax `(params, state)`, without TF.

    As `from_checkpoint`, but `path` must be a SavedModel directory, whose `saved_model.pb`
    records each variable's trainability, so params and state follow it exactly.

    Args:
      path: the directory `tf.saved_model.save` wrote.
      include: regexes searched in each (renamed) variable name; if given, one must match.
      exclude: regexes searched in each (renamed) variable name; a match leaves it out.
      dtype: cast floating-point tensors to this dtype (e.g. `"bfloat16"`).
      rename: `(regex, replacement)` rules applied to each variable name, as in
        `from_checkpoint`.
      layout: `"compat"` (default), or `"haiku"` for the core (Haiku) modules' layout, as
        `to_haiku_layout` maps it.
      modules: with `layout="haiku"`, `{module path: kind}` as for `to_haiku_layout`.

    Returns:
      `(params, state)`, each `{module path: {name: array}}`.

    Raises:
      NotACheckpointError: `path` is not a SavedModel directory.
      ConvertError: another subclass saying what is wrong with the input.
      ValueError: a rename rule or a dtype is invalid.
    """
    if not os.path.isdir(path) or not saved_model.is_saved_model(os.fspath(path)):
        raise errors.NotACheckpointError(
            f"from_saved_model: {os.fspath(path)!r} is not a SavedModel directory (expected "
            "saved_model.pb and variables/variables.index in it); use from_checkpoint for "
            "a checkpoint"
        )
    return from_checkpoint(
        path,
        include=include,
        exclude=exclude,
        dtype=dtype,
        rename=rename,
        layout=layout,
        modules=modules,
    )


def from_module(
    snt_module: Any,
    *,
    include_slots: bool = False,
    layout: str = "compat",
    modules: layouts.Modules | None = None,
) -> tuple[Arrays, Arrays]:
    """Reads a live TF Sonnet module's variables as sonnax `(params, state)`.

    Each variable is placed by its `.name`, as a checkpoint's would be; trainable variables
    become params and the others state. TensorFlow is imported here, and only here.

    Args:
      snt_module: a `tf.Module`, e.g. a built `snt.nets.MLP` (its variables must exist: call
        it once first).
      include_slots: also take optimizer state the module holds (e.g. an
        `snt.optimizers.Adam` among its attributes), into state.
      layout: `"compat"` (default), or `"haiku"` for the core (Haiku) modules' layout, as
        `to_haiku_layout` maps it.
      modules: with `layout="haiku"`, `{module path: kind}` as for `to_haiku_layout`.

    Returns:
      `(params, state)`, each `{module path: {name: numpy array}}`.

    Raises:
      TypeError: `snt_module` is not a `tf.Module`.
      UnsupportedError: an unknown `layout`, or the layout mapping does not fit a module.
    """
    _check_layout(layout)
    import tensorflow as tf  # Lazily: only a live module needs TensorFlow.

    if not isinstance(snt_module, tf.Module):
        raise TypeError(
            f"from_module: expected a tf.Module (a Sonnet module), got "
            f"{type(snt_module).__name__}; for a checkpoint file use from_checkpoint"
        )
    found = snt_module._flatten(  # noqa: SLF001 - tf.Module's own walk, with object paths.
        predicate=lambda value: isinstance(value, tf.Variable), with_path=True
    )
    variables = {"/".join(map(str, path)): variable for path, variable in found}
    entries = {key: _variable_info(key, variable) for key, variable in variables.items()}
    trees = _collect(
        entries,
        lambda key: variables[key].numpy(),
        names.Selection(include_slots=include_slots),
        None,
    )
    return _laid_out(trees, layout, modules)


def _check_layout(layout: str) -> None:
    """Raises: UnsupportedError: `layout` is neither `"compat"` nor `"haiku"`."""
    if layout not in ("compat", "haiku"):
        raise errors.UnsupportedError(f"layout {layout!r}; expected 'compat' or 'haiku'")


def _laid_out(
    trees: tuple[Arrays, Arrays], layout: str, modules: layouts.Modules | None
) -> tuple[Arrays, Arrays]:
    """The compat-layout trees, mapped onto the Haiku layout if asked."""
    if layout == "compat":
        return trees
    return layouts.convert_layout(*trees, modules, to_haiku=True)


def _variable_info(path: str, variable: Any) -> checkpoint_lib.TensorInfo:
    """A live variable described as a checkpoint entry keyed by its object path."""
    dtype = np.dtype(variable.dtype.as_numpy_dtype)
    shape = tuple(int(size) for size in variable.shape)
    return checkpoint_lib.TensorInfo(
        key=path,
        name=variable.name,
        object_path=path,
        kind="variable",
        trainable=bool(variable.trainable),
        dtype=dtype,
        shape=shape,
        nbytes=math.prod(shape) * dtype.itemsize,
    )


def _collect(
    entries: dict[str, checkpoint_lib.TensorInfo],
    read: Reader,
    selection: names.Selection,
    target: np.dtype | None,
) -> tuple[Arrays, Arrays]:
    """Places the selected entries by the name rule and reads each into its tree."""
    placed = names.plan(entries, selection)
    for note in placed.notes:
        warnings.warn(note, UserWarning, stacklevel=3)
    trees: dict[str, Arrays] = {"params": {}, "state": {}}
    for placement in placed.placements:
        array = dtypes.cast(np.asarray(read(placement.info.key)), target)
        trees[placement.collection].setdefault(placement.module, {})[placement.name] = array
    return trees["params"], trees["state"]
