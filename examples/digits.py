"""scikit-learn's bundled 8x8 digits (1,797 images), split into fixed train and test sets.

The examples read the file that `sklearn.datasets.load_digits` reads, `digits.csv.gz` inside the
installed scikit-learn, without importing scikit-learn: the import pulls in SciPy and takes
longer than training the MLP. The data are the same; a test checks it against `load_digits`.
"""

import importlib.util
import pathlib
from typing import NamedTuple

import numpy as np

NUM_TEST = 297  # The last 297 of a fixed shuffle are held out; 1,500 remain for training.


class Split(NamedTuple):
    images: np.ndarray  # float32 in [0, 1], shaped [N, 8, 8, 1] (NHWC).
    labels: np.ndarray  # int32 in [0, 10).


def csv_path() -> pathlib.Path:
    spec = importlib.util.find_spec("sklearn")
    if spec is None or spec.origin is None:
        raise ImportError(
            "the digits examples need scikit-learn's bundled digits: "
            "pip install -e '.[examples]' (or pip install scikit-learn)"
        )
    return pathlib.Path(spec.origin).parent / "datasets" / "data" / "digits.csv.gz"


def load() -> tuple[Split, Split]:
    """`(train, test)`: each row of the file is 64 pixel values in 0..16, then the label."""
    rows = np.loadtxt(csv_path(), delimiter=",", dtype=np.float32)
    images = (rows[:, :-1] / 16.0).reshape(-1, 8, 8, 1)
    labels = rows[:, -1].astype(np.int32)
    order = np.random.default_rng(0).permutation(len(rows))
    images, labels = images[order], labels[order]
    return (
        Split(images[:-NUM_TEST], labels[:-NUM_TEST]),
        Split(images[-NUM_TEST:], labels[-NUM_TEST:]),
    )
