"""Saving and resuming the examples' training runs: one atomic params file per work directory.

`save` writes `<workdir>/checkpoint.npz` with `sonnax.convert.save`, so the file is replaced in
one rename and a run killed while saving leaves the previous checkpoint intact. The model's
params and state are stored under their own module paths, so `sonnax.convert.load` gives back
trees that `apply` takes as they are; the step and the optimizer state go in the state
collection under the reserved module path `~training`, which `restore` takes out again.
"""

import os
from collections.abc import Callable
from typing import Any, NamedTuple

import jax
import numpy as np

from sonnax import convert

FILENAME = "checkpoint.npz"
_TRAINING = "~training"
_OPTIMIZER = "~training/opt_state"


class Checkpoint(NamedTuple):
    step: int
    params: Any
    state: Any
    opt_state: Any


def path(workdir: str) -> str:
    return os.path.join(workdir, FILENAME)


def save(workdir: str, step: int, params: Any, state: Any = None, opt_state: Any = None) -> str:
    """Writes the step, params, model state and optimizer state; returns the file's path."""
    os.makedirs(workdir, exist_ok=True)
    leaves = jax.tree.leaves(opt_state)
    training = {
        _TRAINING: {"step": np.int64(step)},
        _OPTIMIZER: {f"{i:05d}": leaf for i, leaf in enumerate(leaves)},
    }
    convert.save(path(workdir), params, {**(state or {}), **training}, overwrite=True)
    return path(workdir)


def restore(workdir: str, params: Any, state: Any = None, opt_state: Any = None) -> Checkpoint:
    """Reads a checkpoint written by `save`, shaped like the freshly initialised trees given.

    Args:
      workdir: the directory `save` wrote to.
      params: params of the same model, e.g. from `init`: they fix the expected names and shapes.
      state: the model state likewise, or `None` for a model without state.
      opt_state: the optimizer state likewise, or `None`.

    Returns:
      The saved step and trees, as numpy arrays.

    Raises:
      ValueError: the file holds a different model or optimizer (names or shapes differ).
    """
    file = path(workdir)
    saved_params, saved_state = convert.load(file)
    training = saved_state.pop(_TRAINING)
    saved_leaves = saved_state.pop(_OPTIMIZER, {})
    leaves, treedef = jax.tree.flatten(opt_state)
    if len(saved_leaves) != len(leaves):
        raise ValueError(
            f"{file}: the optimizer state has {len(saved_leaves)} arrays, expected {len(leaves)}; "
            "was it saved with another optimizer? Use another --workdir or drop --restore"
        )
    restored = [saved_leaves[f"{i:05d}"] for i in range(len(leaves))]
    for i, (leaf, saved) in enumerate(zip(leaves, restored, strict=True)):
        _check_shape(file, f"{_OPTIMIZER}/{i:05d}", np.shape(leaf), saved.shape)
    return Checkpoint(
        step=int(training["step"]),
        params=_like(file, "params", params, saved_params),
        state=_like(file, "state", state or {}, saved_state),
        opt_state=jax.tree.unflatten(treedef, restored),
    )


def init_or_restore(workdir: str, init: Callable[[], tuple], *, resume: bool) -> Checkpoint:
    """Step 0 and `init()`'s `(params, state, opt_state)`, or with `resume` the checkpoint.

    `init` is jitted, so it compiles once rather than op by op; to restore, only the shapes of
    what it returns are needed (`jax.eval_shape`), so it is not compiled at all.
    """
    if not resume:
        return Checkpoint(0, *jax.jit(init)())
    checkpoint = restore(workdir, *jax.eval_shape(init))
    print(f"restored step {checkpoint.step} from {path(workdir)}")
    return checkpoint


def _like(file: str, collection: str, template: Any, saved: dict) -> dict:
    """`saved`, checked to have exactly the modules, names and shapes of `template`."""
    expected = {(m, n) for m, names in template.items() for n in names}
    actual = {(m, n) for m, names in saved.items() for n in names}
    if expected != actual:
        missing, unexpected = sorted(expected - actual), sorted(actual - expected)
        raise ValueError(
            f"{file}: {collection} do not match the model: missing {missing}, "
            f"unexpected {unexpected}; use another --workdir or drop --restore"
        )
    for module, names in template.items():
        for name, value in names.items():
            where = f"{collection}/{module}/{name}"
            _check_shape(file, where, np.shape(value), saved[module][name].shape)
    return {module: dict(saved[module]) for module in template}


def _check_shape(file: str, where: str, expected: tuple, actual: tuple) -> None:
    if tuple(expected) != tuple(actual):
        raise ValueError(
            f"{file}: {where} has shape {tuple(actual)}, expected {tuple(expected)}; "
            "was it saved with other model flags? Use another --workdir or drop --restore"
        )
