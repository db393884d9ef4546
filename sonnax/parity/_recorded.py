"""A recorded pair of inputs and TF outputs: saved where TF runs, compared where it does not.

The file is a plain `.npz` read with `allow_pickle=False`: keys `inputs/<i>` for the inputs in
call order and `outputs/<i>` for TF's output leaves in `tf.nest.flatten` order (the order of
`jax.tree.leaves` for the same nest of lists, tuples, namedtuples and dicts).
"""

import os
from collections.abc import Sequence
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np

from sonnax.convert._write import atomic  # The one atomic writer; sonnax.convert owns it.
from sonnax.parity import _report, _run


def load_recorded(path: str | os.PathLike[str]) -> tuple[list[np.ndarray], list[np.ndarray]]:
    """Reads a pair saved by `record`.

    Args:
        path: The `.npz` file.

    Returns:
        The inputs and the output leaves, each in order.

    Raises:
        ValueError: The file holds other keys, or its numbering has gaps.
    """
    with np.load(os.fspath(path), allow_pickle=False) as archive:
        found = {key: archive[key] for key in archive.files}
    groups: dict[str, list[np.ndarray]] = {}
    for group in ("inputs", "outputs"):
        count = sum(key.startswith(f"{group}/") for key in found)
        keys = [f"{group}/{index}" for index in range(count)]
        if any(key not in found for key in keys):
            raise ValueError(
                f"{os.fspath(path)}: expected keys {group}/0 .. {group}/{count - 1}, found "
                f"{sorted(k for k in found if k.startswith(group))}"
            )
        groups[group] = [found.pop(key) for key in keys]
    if found:
        raise ValueError(
            f"{os.fspath(path)}: unexpected keys {sorted(found)}; a recorded pair holds only "
            "inputs/<i> and outputs/<i> (see sonnax.parity.record)"
        )
    return groups["inputs"], groups["outputs"]


def record(
    path: str | os.PathLike[str], inputs: Sequence[Any], outputs: Any, *, overwrite: bool = False
) -> None:
    """Saves inputs and TF's outputs for `compare_recorded` (and `python -m sonnax.parity`).

    Run it where TF runs, e.g. when the checkpoint is saved; the file is a plain `.npz` with
    keys `inputs/<i>` and `outputs/<i>` (the output leaves in `tf.nest.flatten` order, which
    for lists, tuples, namedtuples and dicts is `jax.tree.leaves` order too), written
    atomically.

    Args:
        path: The `.npz` to write.
        inputs: The inputs, in call order (arrays or TF tensors).
        outputs: What the TF module returned for them (a nest of arrays or TF tensors).
        overwrite: Replace an existing file.

    Raises:
        OutputError: The file exists (without `overwrite`) or cannot be written.
    """
    arrays = {f"inputs/{i}": np.asarray(x) for i, x in enumerate(inputs)}
    arrays |= {f"outputs/{i}": np.asarray(y) for i, y in enumerate(jax.tree.leaves(outputs))}

    def write(file: Any) -> None:
        np.savez(file, allow_pickle=False, **arrays)
        file.flush()
        os.fsync(file.fileno())

    atomic.write_file(os.fspath(path), write, overwrite=overwrite)


def compare_recorded(
    recorded: str | os.PathLike[str],
    port: _run.Port,
    params: Any,
    state: Any = None,
    *,
    rtol: float = 1e-5,
    atol: float = 1e-6,
    rng: jax.Array | None = None,
) -> _report.Report:
    """Compares a port with outputs TF recorded (by `record`); needs no TensorFlow.

    Args:
        recorded: The `.npz` that `record` wrote.
        port: The sonnax port, as for `compare`.
        params: The converted params (e.g. from `sonnax.convert.from_checkpoint` or `load`).
        state: The converted state; `None` for none.
        rtol: Relative tolerance.
        atol: Absolute tolerance.
        rng: The key the port's `apply` gets.

    Returns:
        The `Report`, a row per output leaf.

    Raises:
        MismatchError: The port's params or state do not fit the given ones.
        ValueError: The recorded file is not a recorded pair.
    """
    inputs, expected = load_recorded(recorded)
    apply = _run.PortApply(port)
    trees = apply.fit(params, state or {}, [jnp.asarray(x) for x in inputs])
    with _run.full_precision():
        outputs, _, _ = _run.run_port(apply, trees, rng, inputs, None)
    rows = _run.leaf_rows(
        _run.output_names(outputs), expected, jax.tree.leaves(outputs), "outputs", rtol, atol
    )
    return _report.Report(tuple(rows), rtol, atol)
