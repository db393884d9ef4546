"""The examples' digits loader gives scikit-learn's `load_digits` data, split 1,500 / 297."""

import numpy as np
from sklearn import datasets

from tests.examples import running

digits = running.load("digits")


def test_digits_match_scikit_learn():
    train, test = digits.load()
    assert train.images.shape == (1500, 8, 8, 1) and test.images.shape == (297, 8, 8, 1)
    images = np.concatenate([train.images, test.images])[..., 0] * 16
    labels = np.concatenate([train.labels, test.labels])
    expected = datasets.load_digits()
    order = np.random.default_rng(0).permutation(len(expected.images))
    np.testing.assert_array_equal(images, expected.images[order])
    np.testing.assert_array_equal(labels, expected.target[order])
