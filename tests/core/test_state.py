"""get_state, set_state and the initial/current state views, with Haiku as the oracle."""

import haiku
import jax
import jax.numpy as jnp
import numpy as np
import pytest

import sonnax


def _reporting_counter(lib, log):
    def report(when):
        log.append(
            (
                when,
                jax.tree.map(int, lib.get_initial_state()),
                jax.tree.map(int, lib.get_current_state()),
            )
        )

    def f():
        report("before get_state")
        x = lib.get_state("x", [], init=jnp.zeros)
        report("after get_state")
        lib.set_state("x", x + 1)
        report("after set_state")
        lib.set_state("y", x + 5)
        return x

    return lib.transform_with_state(f)


def test_initial_and_current_state_views_match_haiku():
    logs = {}
    for lib in (haiku, sonnax):
        log = []
        f = _reporting_counter(lib, log)
        _, state = f.init(None)
        out, new_state = f.apply({}, {"~": {"x": jnp.array(10.0), "y": jnp.array(0.0)}}, None)
        log.append(("results", jax.tree.map(float, state), jax.tree.map(float, new_state)))
        logs[lib.__name__] = log
    assert logs["sonnax"] == logs["haiku"]


def test_state_in_modules_over_several_applies():
    class Counter(sonnax.Module):
        def __call__(self):
            count = sonnax.get_state("count", [], jnp.int32, init=jnp.zeros)
            sonnax.set_state("count", count + 1)
            return count

    f = sonnax.transform_with_state(lambda: Counter()())
    params, state = f.init(None)
    for expected in range(3):
        out, state = f.apply(params, state, None)
        assert int(out) == expected
    assert int(state["counter"]["count"]) == 3


def test_apply_does_not_mutate_the_state_passed_in():
    f = _reporting_counter(sonnax, [])
    state = {"~": {"x": jnp.array(1.0), "y": jnp.array(0.0)}}
    f.apply({}, state, None)
    assert float(state["~"]["x"]) == 1.0


def test_missing_state_without_init_names_module_and_value():
    f = sonnax.transform_with_state(lambda: sonnax.get_state("x"))
    with pytest.raises(ValueError, match=r"No value for 'x' in '~', perhaps set an init function"):
        f.init(None)


def test_state_without_shape_names_value():
    f = sonnax.transform_with_state(lambda: sonnax.get_state("x", init=jnp.zeros))
    with pytest.raises(ValueError, match="Must provide shape and dtype to initialize 'x' in '~'"):
        f.init(None)


def test_pytree_state_values():
    def f():
        sonnax.set_state("pair", (jnp.ones(2), {"a": jnp.zeros(3)}))
        return sonnax.get_state("pair")

    params, state = sonnax.transform_with_state(f).init(None)
    assert jax.tree.map(jnp.shape, state) == {"~": {"pair": ((2,), {"a": (3,)})}}


@pytest.mark.parametrize(
    "public", ["get_state", "set_state", "get_current_state", "get_initial_state"]
)
def test_state_api_outside_transform(public):
    calls = {
        "get_state": lambda: sonnax.get_state("x", [], init=jnp.zeros),
        "set_state": lambda: sonnax.set_state("x", 1),
        "get_current_state": sonnax.get_current_state,
        "get_initial_state": sonnax.get_initial_state,
    }
    with pytest.raises(
        ValueError, match=f"`hk.{public}` must be used as part of an `hk.transform`"
    ):
        calls[public]()


def test_state_under_jit_and_grad():
    def f(x):
        total = sonnax.get_state("total", [], init=jnp.zeros)
        sonnax.set_state("total", total + x.sum())
        return sonnax.Linear(1)(x).sum()

    model = sonnax.transform_with_state(f)
    x = jnp.ones([2, 3])
    params, state = model.init(jax.random.PRNGKey(0), x)
    loss = lambda p, s: model.apply(p, s, None, x)  # noqa: E731
    (value, new_state), grads = jax.jit(jax.value_and_grad(loss, has_aux=True))(params, state)
    assert float(new_state["~"]["total"]) == 6.0
    assert jax.tree.map(jnp.shape, grads) == jax.tree.map(jnp.shape, params)
    np.testing.assert_allclose(value, loss(params, state)[0], rtol=1e-6)
