"""Compat `nets.MLP`: Sonnet's signature, errors, layer names and `reverse`."""

import inspect

import jax
import jax.numpy as jnp
import numpy as np
import pytest
import sonnet
import tensorflow as tf

import sonnax
from sonnax import compat


def _unwrapped(method):
    """Sonnet's own method: its name-scope wrapper hides the signature (`*args, **kwargs`)."""
    return inspect.getclosurevars(method).nonlocals.get("f", method)


def _parameters(function):
    return [(p.name, p.kind) for p in inspect.signature(function).parameters.values()]


def _defaults(function):
    return {p.name: p.default for p in inspect.signature(function).parameters.values()}


def test_signatures_are_sonnets():
    for method in ("__init__", "__call__", "reverse"):
        ours = getattr(compat.nets.MLP, method)
        theirs = _unwrapped(getattr(sonnet.nets.MLP, method))
        assert _parameters(ours) == _parameters(theirs)
        ours_defaults, theirs_defaults = _defaults(ours), _defaults(theirs)
        if method == "__init__":
            # The default activation is ReLU on both sides, each in its own framework.
            x = jnp.linspace(-2.0, 2.0, 9)
            np.testing.assert_array_equal(ours_defaults.pop("activation")(x), jax.nn.relu(x))
            assert theirs_defaults.pop("activation") is tf.nn.relu
        assert ours_defaults == theirs_defaults


def _run(f, *args):
    return sonnax.transform_with_state(f).init(jax.random.PRNGKey(0), *args)


def test_b_init_without_bias_raises():
    def f():
        compat.nets.MLP([2], with_bias=False, b_init=compat.initializers.Zeros())

    with pytest.raises(ValueError, match="with_bias=False b_init must not be set"):
        _run(f)


def test_is_training_required_with_dropout():
    def f(x):
        return compat.nets.MLP([2, 2], dropout_rate=0.5, name="net")(x)

    with pytest.raises(ValueError, match="'net'.*`is_training` argument is required"):
        _run(f, jnp.ones([1, 3]))


def test_is_training_rejected_without_dropout():
    def f(x):
        return compat.nets.MLP([2, 2], dropout_rate=0)(x, is_training=True)

    with pytest.raises(ValueError, match="should only be used with dropout"):
        _run(f, jnp.ones([1, 3]))


def test_layers_are_named_linear_i_inside_the_mlp():
    def f(x):
        return compat.nets.MLP([4, 3, 2])(x)

    params, _ = _run(f, jnp.ones([1, 5]))
    assert {k: v["w"].shape for k, v in params.items()} == {
        "mlp/~/linear_0": (5, 4),
        "mlp/~/linear_1": (4, 3),
        "mlp/~/linear_2": (3, 2),
    }


def test_reverse_maps_back_to_the_input_size():
    def f(x):
        mlp = compat.nets.MLP([4, 3], name="enc")
        y = mlp(x)
        reversed_mlp = mlp.reverse(activate_final=True)
        assert reversed_mlp.name == "enc_reversed"
        return reversed_mlp(y)

    f = sonnax.transform_with_state(f)
    x = jnp.ones([2, 5])
    params, state = f.init(jax.random.PRNGKey(0), x)
    assert params["enc/~/enc_reversed/~/linear_0"]["w"].shape == (3, 4)
    assert params["enc/~/enc_reversed/~/linear_1"]["w"].shape == (4, 5)
    out, _ = f.apply(params, state, None, x)
    assert out.shape == (2, 5)
    assert bool((out >= 0).all())
