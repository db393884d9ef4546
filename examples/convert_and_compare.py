"""The README's main job: the bundled Sonnet 2 checkpoint, converted and run in sonnax.compat.

Converts `examples/data/sonnet_mlp/` (an MLP and a BatchNorm saved by TF Sonnet, see
`examples/data/make_sonnet_mlp.py`) without TensorFlow, loads it into the same model written
with `sonnax.compat`, runs it on the inputs TF recorded at save time and prints its outputs next
to TF's, with the largest difference. Exit code 0 if every output is within `sonnax.parity`'s
tolerance, 1 if not. The same check as one command, from the repository root:
`python -m sonnax.parity examples/data/sonnet_mlp/tf_outputs.npz examples/data/sonnet_mlp
examples.convert_and_compare:forward`.
Run: `python examples/convert_and_compare.py`.
"""

import argparse
import os
import sys
from collections.abc import Sequence

import jax
import numpy as np

import sonnax as snx
from sonnax import compat as snt
from sonnax import convert, parity

CHECKPOINT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "data", "sonnet_mlp")


def forward(x: jax.Array) -> jax.Array:
    """The saved model, as in `make_sonnet_mlp.py` with the import changed; BatchNorm in eval."""
    mlp = snt.nets.MLP([16, 8, 3], name="mlp")
    batch_norm = snt.BatchNorm(create_scale=True, create_offset=True, name="batch_norm")
    return batch_norm(mlp(x), is_training=False)


def _rows(outputs: np.ndarray, expected: np.ndarray) -> list[str]:
    lines = [f"{'':3}{'sonnax.compat':<42}TF Sonnet (recorded at save time)"]
    for index, (ours, theirs) in enumerate(zip(outputs, expected, strict=True)):
        ours_text, theirs_text = (
            np.array2string(row, precision=6, floatmode="fixed", sign=" ") for row in (ours, theirs)
        )
        lines.append(f"{index:<3}{ours_text:<42}{theirs_text}")
    return lines


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--checkpoint", default=CHECKPOINT, help="the checkpoint directory")
    args = parser.parse_args(argv)
    recorded = os.path.join(args.checkpoint, "tf_outputs.npz")
    (inputs,), (expected,) = parity.load_recorded(recorded)

    model = snx.transform_with_state(forward)
    params, state = convert.restore(args.checkpoint, model, inputs)  # Checked against init.
    outputs, _ = model.apply(params, state, None, inputs)
    print(f"converted {args.checkpoint} (no TensorFlow): {sorted(params)} + state {sorted(state)}")
    print("\n".join(_rows(np.asarray(outputs), expected)))
    difference = float(np.max(np.abs(np.asarray(outputs, np.float64) - expected)))
    print(f"max |sonnax - TF| = {difference:.3g}")

    report = parity.compare_recorded(recorded, forward, params, state)
    print("parity passed" if report.ok else str(report))
    return 0 if report.ok else 1


if __name__ == "__main__":
    sys.exit(main())
