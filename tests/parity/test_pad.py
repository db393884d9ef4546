"""`compat.pad` against `sonnet.pad`: every padding function, and `create` over its options."""

import itertools

import pytest
import sonnet

from sonnax import compat

FUNCTIONS = ["valid", "same", "full", "causal", "reverse_causal"]


@pytest.mark.parametrize("name", FUNCTIONS)
def test_padding_functions_match_sonnet(name):
    for effective_kernel_size in range(1, 10):
        ours = getattr(compat.pad, name)(effective_kernel_size)
        theirs = getattr(sonnet.pad, name)(effective_kernel_size)
        assert list(ours) == list(theirs), (name, effective_kernel_size)


@pytest.mark.parametrize(
    ("kernel", "rate", "n", "channel_index"),
    [(3, 1, 1, -1), (3, 2, 2, -1), ((2, 5), (3, 1), 2, 1), (4, 1, 3, 1), ((1, 2, 3), 2, 3, -1)],
)
def test_create_matches_sonnet(kernel, rate, n, channel_index):
    per_dim = list(itertools.islice(itertools.cycle(FUNCTIONS), n))
    for padding_names in [[name] for name in FUNCTIONS] + [per_dim]:
        tf_padding = [getattr(sonnet.pad, name) for name in padding_names]
        ours_padding = [getattr(compat.pad, name) for name in padding_names]
        if len(padding_names) == 1:
            tf_padding, ours_padding = tf_padding[0], ours_padding[0]
        ours = compat.pad.create(ours_padding, kernel, rate, n, channel_index)
        theirs = sonnet.pad.create(tf_padding, kernel, rate, n, channel_index)
        assert [list(p) for p in ours] == [list(p) for p in theirs], padding_names
