"""Transforms and the config are per thread (sonnax/_src/core/frames.py, sonnax/_src/config.py).

Each test runs two threads that meet at a `threading.Barrier` while both are inside
their transform (or config context), so the two runs provably overlap.
"""

import concurrent.futures
import threading

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import sonnax as hk
from sonnax._src import config as config_lib

X = jnp.ones([2, 3])
TIMEOUT_S = 30


def run_in_two_threads(*functions):
    with concurrent.futures.ThreadPoolExecutor(max_workers=len(functions)) as pool:
        futures = [pool.submit(fn) for fn in functions]
        return [future.result(timeout=TIMEOUT_S) for future in futures]


def make_model(own_name, barrier, seen):
    """A model whose params are `{own_name, linear, linear_1}`; it meets the other thread twice."""

    def f(x):
        h = hk.Linear(4, name=own_name)(x)
        h = hk.Linear(4)(h)
        barrier.wait()  # Both threads have now created their first modules.
        with hk.name_scope(f"{own_name}_scope"):
            seen.append(("scope", hk.current_name()))
        seen.append(("params", sorted(hk.get_params())))
        seen.append(("running_init", hk.running_init()))
        out = hk.Linear(2)(h)  # Numbered in this thread's scope only: linear_1.
        barrier.wait()  # Both threads have now created every module.
        return out

    return f


@pytest.mark.parametrize("phase", ["init", "apply"])
def test_two_transforms_at_once_see_only_their_own_frames(phase, key):
    barrier = threading.Barrier(2, timeout=TIMEOUT_S)
    seen = {"alpha": [], "beta": []}
    models = {name: hk.transform(make_model(name, barrier, seen[name])) for name in seen}

    def init(name):
        return lambda: models[name].init(key, X)

    params = run_in_two_threads(init("alpha"), init("beta"))
    if phase == "apply":
        for name in seen:
            seen[name].clear()
        outs = run_in_two_threads(
            lambda: models["alpha"].apply(params[0], None, X),
            lambda: models["beta"].apply(params[1], None, X),
        )
        for out, name, p in zip(outs, seen, params, strict=True):
            alone = hk.transform(make_model(name, threading.Barrier(1), []))
            np.testing.assert_array_equal(out, alone.apply(p, None, X))

    for name, p in zip(seen, params, strict=True):
        assert sorted(p) == sorted([name, "linear", "linear_1"])
        expected_params_seen = sorted([name, "linear"] if phase == "init" else p)
        assert seen[name] == [
            ("scope", f"{name}_scope"),
            ("params", expected_params_seen),
            ("running_init", phase == "init"),
        ]


def test_concurrent_init_gives_the_same_params_as_serial_init(key):
    barrier = threading.Barrier(2, timeout=TIMEOUT_S)
    models = [hk.transform(make_model(name, barrier, [])) for name in ("alpha", "beta")]
    concurrent_params = run_in_two_threads(*[lambda m=m: m.init(key, X) for m in models])
    for name, params in zip(("alpha", "beta"), concurrent_params, strict=True):
        alone = hk.transform(make_model(name, threading.Barrier(1), []))
        expected = alone.init(key, X)
        jax.tree.map(np.testing.assert_array_equal, params, expected)


def test_transform_in_one_thread_is_invisible_to_the_other():
    barrier = threading.Barrier(2, timeout=TIMEOUT_S)
    outside = []

    def inside():
        def f():
            barrier.wait()  # The other thread checks while this one is inside.
            barrier.wait()
            return hk.get_parameter("w", [1], init=jnp.zeros)

        return hk.transform(f).init(None)

    def other():
        barrier.wait()
        try:
            hk.current_name()
        except ValueError as e:
            outside.append(str(e))
        finally:
            barrier.wait()

    params, _ = run_in_two_threads(inside, other)
    assert list(params) == ["~"]
    assert len(outside) == 1 and "must be used as part of an `hk.transform`" in outside[0]


def test_config_context_is_thread_local():
    default = config_lib.get_config().rng_reserve_size
    barrier = threading.Barrier(2, timeout=TIMEOUT_S)

    def with_context():
        with hk.config.context(rng_reserve_size=default + 5):
            barrier.wait()  # The other thread reads while this context is open.
            seen = config_lib.get_config().rng_reserve_size
            barrier.wait()
        return seen

    def without_context():
        barrier.wait()
        seen = config_lib.get_config().rng_reserve_size
        barrier.wait()
        return seen

    assert run_in_two_threads(with_context, without_context) == [default + 5, default]
    assert config_lib.get_config().rng_reserve_size == default


def test_config_set_in_a_thread_stays_in_that_thread():
    default = config_lib.get_config().module_auto_repr

    def set_and_read():
        hk.config.set(module_auto_repr=not default)
        return config_lib.get_config().module_auto_repr

    assert run_in_two_threads(set_and_read) == [not default]
    assert config_lib.get_config().module_auto_repr == default
