"""tabulate prints the same table as Haiku's, with each option."""

import haiku
import jax
import jax.numpy as jnp
import pytest

import sonnax
from tests.helpers import KEY


def _table(lib, build, x, **options):
    return lib.experimental.tabulate(lib.transform(lambda x: build(lib, x)), **options)(x)


def _mlp(lib, x):
    return lib.nets.MLP([30, 10])(x)


def _nested(lib, x):
    class Block(lib.Module):
        def __call__(self, x):
            return lib.Linear(4, name="inner")(jax.nn.relu(x)) + self.helper(x)

        def helper(self, x):
            return lib.get_parameter("scale", [x.shape[-1]], init=jnp.ones)[:4] * 0.0

    return Block()(lib.Flatten()(x))


@pytest.mark.parametrize(
    "options",
    [
        {},
        {"columns": ["module", "owned_params", "params_bytes"], "filters": ["has_params"]},
        {"columns": None, "filters": None, "tabulate_kwargs": {"tablefmt": "github"}},
    ],
    ids=["defaults", "columns_filters", "none_github"],
)
@pytest.mark.parametrize("build", [_mlp, _nested], ids=["mlp", "nested"])
def test_table_matches_haiku(build, options):
    x = jnp.ones([2, 8])
    assert _table(sonnax, build, x, **options) == _table(haiku, build, x, **options)


def test_no_rows_matches_haiku():
    build = lambda lib, x: x * 2  # noqa: E731
    x = jnp.ones([1])
    assert _table(sonnax, build, x) == _table(haiku, build, x) == "No modules matching filters."


@pytest.mark.parametrize("option", ["columns", "filters"])
def test_unknown_name_raises_like_haiku(option):
    for lib in (haiku, sonnax):
        with pytest.raises(ValueError, match=rf"Invalid {option[:-1]}\(s\) \['nope'\]"):
            lib.experimental.tabulate(lambda x: x, **{option: ["nope"]})


def test_resnet50_table_matches_haiku_and_totals_the_param_tree():
    columns = ["module", "input", "output", "params_size"]
    x = jnp.ones([1, 32, 32, 3])
    tables = []
    for lib in (sonnax, haiku):
        f = lib.transform_with_state(lambda x, lib=lib: lib.nets.ResNet50(10)(x, is_training=True))
        tables.append(lib.experimental.tabulate(f, columns=columns)(x))
    params, _ = jax.eval_shape(f.init, KEY, x)
    row = next(line for line in tables[0].splitlines() if line.startswith("| res_net50 (ResNet50)"))
    assert row.split("|")[-2].strip() == f"{sonnax.data_structures.tree_size(params):,}"
    assert tables[0] == tables[1]
