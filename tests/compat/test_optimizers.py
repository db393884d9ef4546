"""Compat optimizers: Sonnet's signatures, names and errors; pytrees and `None` updates."""

import inspect

import jax
import jax.numpy as jnp
import numpy as np
import pytest
import sonnet

from sonnax import compat

NAMES = ["Adam", "Momentum", "RMSProp", "SGD"]
REQUIRED = {"Adam": {}, "Momentum": {"learning_rate": 0.1, "momentum": 0.9}}


def _make(name, **kwargs):
    args = {"learning_rate": 0.1, **REQUIRED.get(name, {}), **kwargs}
    return getattr(compat.optimizers, name)(**args)


def _signature(function):
    return [(p.name, p.default, p.kind) for p in inspect.signature(function).parameters.values()]


def test_public_names_are_sonnets():
    assert sorted(compat.optimizers.__all__) == sorted(sonnet.optimizers.__all__)
    assert issubclass(compat.optimizers.Adam, compat.Optimizer)


@pytest.mark.parametrize("name", NAMES)
def test_constructor_signature_is_sonnets(name):
    ours = getattr(compat.optimizers, name).__init__
    theirs = getattr(sonnet.optimizers, name).__init__
    assert _signature(ours) == _signature(theirs)


@pytest.mark.parametrize("name", NAMES)
def test_default_name_is_sonnets(name):
    kwargs = {"learning_rate": 0.1, **REQUIRED.get(name, {})}
    assert _make(name).name == getattr(sonnet.optimizers, name)(**kwargs).name


def test_invalid_name_raises():
    with pytest.raises(ValueError, match="not a valid optimizer name"):
        compat.optimizers.SGD(0.1, name="not valid")


def test_optimizer_is_abstract():
    with pytest.raises(TypeError):
        compat.Optimizer()


@pytest.mark.parametrize("name", NAMES)
def test_different_lengths_raise(name):
    opt = _make(name)
    params = [jnp.ones([2]), jnp.ones([3])]
    with pytest.raises(ValueError, match="must be the same length"):
        opt.apply(opt.init(params), [jnp.ones([2])], params)


@pytest.mark.parametrize("name", NAMES)
def test_empty_parameters_raise(name):
    opt = _make(name)
    with pytest.raises(ValueError, match="`parameters` cannot be empty"):
        opt.apply(opt.init([]), [], [])


@pytest.mark.parametrize("name", NAMES)
def test_all_none_updates_raise(name):
    opt = _make(name)
    params = [jnp.ones([2]), jnp.ones([3])]
    with pytest.raises(ValueError, match="No updates provided"):
        opt.apply(opt.init(params), [None, None], params)


@pytest.mark.parametrize("name", NAMES)
def test_dtype_mismatch_raises(name):
    opt = _make(name)
    params = [jnp.ones([2], jnp.float32)]
    with pytest.raises(ValueError, match="bfloat16.*float32"):
        opt.apply(opt.init(params), [jnp.ones([2], jnp.bfloat16)], params)


@pytest.mark.parametrize("name", NAMES)
def test_params_dict_updates_like_a_list(name):
    rng = np.random.default_rng(0)
    w, b = rng.standard_normal([3, 2]), rng.standard_normal([2])
    g_b = rng.standard_normal([2])
    as_dict = {"linear": {"b": jnp.asarray(b, jnp.float32), "w": jnp.asarray(w, jnp.float32)}}
    as_list = [as_dict["linear"]["b"], as_dict["linear"]["w"]]
    opt = _make(name)
    dict_state, list_state = opt.init(as_dict), opt.init(as_list)
    for _ in range(2):
        updates = {"linear": {"b": jnp.asarray(g_b, jnp.float32), "w": None}}
        as_dict, dict_state = opt.apply(dict_state, updates, as_dict)
        as_list, list_state = opt.apply(list_state, [updates["linear"]["b"], None], as_list)
    np.testing.assert_array_equal(as_dict["linear"]["b"], as_list[0])
    np.testing.assert_array_equal(as_dict["linear"]["w"], w.astype(np.float32))


@pytest.mark.parametrize("name", NAMES)
def test_apply_jits_with_traced_learning_rate(name):
    params = [jnp.ones([2])]
    updates = [jnp.full([2], 0.5)]

    def step(learning_rate):
        opt = _make(name, learning_rate=learning_rate)
        return opt.apply(opt.init(params), updates, params)[0][0]

    np.testing.assert_allclose(jax.jit(step)(0.1), step(0.1), rtol=1e-6)
    assert not np.allclose(step(0.1), step(0.2))
