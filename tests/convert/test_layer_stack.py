"""`stack_layers` / `unstack_layers`: a Sonnet MLP's layers as one `layer_stack`, and back."""

from typing import Any

import jax
import numpy as np
import pytest

import sonnax as snx
from sonnax import compat as snt
from sonnax import convert

INTO = "__layer_stack_no_per_layer/linear"


def _mlp_params(layers: int) -> tuple[dict[str, Any], np.ndarray]:
    x = np.random.default_rng(0).standard_normal((2, 4)).astype(np.float32)
    mlp = snx.transform(lambda x: snt.nets.MLP([4] * layers, activate_final=True)(x))
    params = mlp.init(jax.random.PRNGKey(0), x)
    rng = np.random.default_rng(1)
    params = jax.tree.map(
        lambda p: np.asarray(p) + rng.uniform(-0.3, 0.3, p.shape).astype(np.float32), params
    )
    return params, x


@pytest.mark.parametrize(
    "layers",
    [r"mlp/~/linear_(\d+)", [f"mlp/~/linear_{i}" for i in range(3)]],
    ids=["regex", "list"],
)
def test_stacked_params_give_the_loop_outputs(layers: Any) -> None:
    params, x = _mlp_params(3)
    expected = snx.transform(lambda x: snt.nets.MLP([4] * 3, activate_final=True)(x)).apply(
        params, None, x
    )
    stacked = convert.stack_layers(params, layers, INTO)
    assert {m: {k: v.shape for k, v in n.items()} for m, n in stacked.items()} == {
        INTO: {"w": (3, 4, 4), "b": (3, 4)}
    }
    stack = snx.transform(lambda x: snx.layer_stack(3)(lambda x: jax.nn.relu(snx.Linear(4)(x)))(x))
    assert jax.tree.map(np.shape, stack.init(jax.random.PRNGKey(0), x)) == jax.tree.map(
        np.shape, stacked
    )
    with jax.default_matmul_precision("highest"):
        np.testing.assert_allclose(stack.apply(stacked, None, x), expected, rtol=1e-6, atol=1e-6)
    back = convert.unstack_layers(stacked, INTO, "mlp/~/linear_{}")
    assert sorted(back) == sorted(params)
    for module, names in params.items():
        for name, value in names.items():
            np.testing.assert_array_equal(back[module][name], value)


def test_multi_module_layers_and_other_modules() -> None:
    tree = {
        **{f"net/~/block_{i}/~/linear": {"w": np.full([2, 2], i)} for i in range(2)},
        **{f"net/~/block_{i}/~/norm": {"scale": np.full([2], i)} for i in range(2)},
        "net/~/head": {"w": np.ones([2, 1])},
    }
    stacked = convert.stack_layers(tree, r"net/~/block_(\d+)", "stack/block")
    assert sorted(stacked) == ["net/~/head", "stack/block/~/linear", "stack/block/~/norm"]
    np.testing.assert_array_equal(stacked["stack/block/~/norm"]["scale"], [[0, 0], [1, 1]])
    back = convert.unstack_layers(stacked, "stack/block", "net/~/block_{}")
    assert sorted(back) == sorted(tree)


def _layers(*shapes: tuple[int, ...], name: str = "w") -> dict[str, Any]:
    return {f"mlp/~/linear_{i}": {name: np.ones(shape)} for i, shape in enumerate(shapes)}


ERRORS = {
    "gap": (
        lambda: convert.stack_layers(
            {**_layers((2,)), "mlp/~/linear_2": {"w": np.ones(2)}}, r"mlp/~/linear_(\d+)", INTO
        ),
        r"layers \[1\] are missing between the matches",
    ),
    "shape": (
        lambda: convert.stack_layers(_layers((2, 3), (2, 4)), r"mlp/~/linear_(\d+)", INTO),
        r"'mlp/~/linear_1'/w has shape \(2, 4\) and dtype float64, but "
        r"'mlp/~/linear_0'/w has shape \(2, 3\)",
    ),
    "names": (
        lambda: convert.stack_layers(
            {**_layers((2,)), "mlp/~/linear_1": {"b": np.ones(2)}}, r"mlp/~/linear_(\d+)", INTO
        ),
        r"module 'mlp/~/linear_1' holds \['b'\], but 'mlp/~/linear_0' holds \['w'\]",
    ),
    "submodules": (
        lambda: convert.stack_layers(
            {**_layers((2,), (2,)), "mlp/~/linear_1/~/x": {"w": np.ones(2)}},
            r"mlp/~/linear_(\d+)",
            INTO,
        ),
        r"layer 1 \('mlp/~/linear_1'\) holds submodules \['', '/~/x'\], layer 0",
    ),
    "no_group": (
        lambda: convert.stack_layers(_layers((2,)), r"mlp/~/linear_\d+", INTO),
        r"the pattern 'mlp/~/linear_\\\\d\+' has no group",
    ),
    "no_match": (
        lambda: convert.stack_layers(_layers((2,)), r"net/(\d+)", INTO),
        r"no module path matches 'net/\(\\\\d\+\)'",
    ),
    "missing_layer": (
        lambda: convert.stack_layers(_layers((2,)), ["mlp/~/linear_0", "mlp/~/linear_9"], INTO),
        r"layer 1 \('mlp/~/linear_9'\) holds no module",
    ),
    "collision": (
        lambda: convert.stack_layers(
            {**_layers((2,)), INTO: {"w": np.ones(1)}}, r"mlp/~/linear_(\d+)", INTO
        ),
        r"module '__layer_stack_no_per_layer/linear' already exists",
    ),
    "unstack_nothing": (
        lambda: convert.unstack_layers(_layers((2,)), INTO, "l_{}"),
        r"expected arrays with one leading layer axis under "
        r"'__layer_stack_no_per_layer/linear', found nothing",
    ),
    "unstack_sizes": (
        lambda: convert.unstack_layers(
            {INTO: {"w": np.ones([3, 2]), "b": np.ones([2])}}, INTO, "l_{}"
        ),
        r"found leading sizes \[2, 3\]",
    ),
    "unstack_count": (
        lambda: convert.unstack_layers({INTO: {"w": np.ones([3, 2])}}, INTO, ["a", "b"]),
        r"holds 3 layers but 2 paths were given",
    ),
}


@pytest.mark.parametrize("name", sorted(ERRORS))
def test_errors(name: str) -> None:
    call, match = ERRORS[name]
    with pytest.raises(convert.UnsupportedError, match=match):
        call()
