"""Tests for sonnax/_src/mixed_precision.py, with dm-haiku 0.0.17 (and jmp) as the oracle."""

import contextlib
import threading

import haiku
import jax
import jax.numpy as jnp
import jmp
import pytest

import sonnax
from sonnax._src.core import interceptors
from tests import helpers

X = jax.random.normal(jax.random.PRNGKey(0), [4, 3])
HALF = jmp.get_policy("params=float32,compute=bfloat16,output=float32")
HALF_PARAMS = jmp.get_policy("params=bfloat16,compute=bfloat16,output=bfloat16")
HALF_OUT = jmp.get_policy("params=float32,compute=float32,output=bfloat16")
FULL = jmp.get_policy("params=float32,compute=float32,output=float32")


def _scale_call(self, x):
    lib = type(self).lib
    scale = lib.get_parameter("scale", [x.shape[-1]], init=jnp.ones)
    count = lib.get_state("count", [], init=jnp.zeros)
    lib.set_state("count", count + 1)
    self.seen = (x.dtype, scale.dtype, count.dtype)
    return x * scale + count


def _scale_shift(self, x):
    return x + type(self).lib.get_parameter("shift", [], init=jnp.ones)


class HaikuScale(haiku.Module):
    lib = haiku
    __call__ = _scale_call
    shift = _scale_shift


class SonnaxScale(sonnax.Module):
    lib = sonnax
    __call__ = _scale_call
    shift = _scale_shift


class HaikuLinearChild(haiku.Linear):
    pass


class SonnaxLinearChild(sonnax.Linear):
    pass


SCALE = {haiku: HaikuScale, sonnax: SonnaxScale}
LINEAR_CHILD = {haiku: HaikuLinearChild, sonnax: SonnaxLinearChild}


@contextlib.contextmanager
def policies(*pairs):
    """Pushes `(class_for(lib), policy)` pairs in both libraries."""
    with contextlib.ExitStack() as stack:
        for lib in (haiku, sonnax):
            for class_for, policy in pairs:
                stack.enter_context(lib.mixed_precision.push_policy(class_for(lib), policy))
        yield
    assert interceptors.stacks.methods == []


def _mlp(lib, x):
    return lib.nets.MLP([5, 2])(x)


def _scale_then_linear(lib, x):
    scale = SCALE[lib](name="scale")
    return lib.Linear(2)(scale(x)), scale.shift(x)


def _dtypes_seen_inside(lib):
    def build(lib, x):
        scale = SCALE[lib](name="scale")
        scale(x)
        return scale.seen

    return helpers.run_with_state(lib, build, helpers.KEY, X)[2][0]


def _linear_class(lib):
    return lib.Linear


@pytest.mark.parametrize("policy", [HALF, HALF_PARAMS, HALF_OUT], ids=["half", "params", "out"])
def test_policy_on_linear_matches_haiku(policy):
    with policies((_linear_class, policy)):
        params, out = helpers.assert_matches_haiku(_mlp, X)
    assert params["mlp/~/linear_0"]["w"].dtype == policy.param_dtype
    assert out.dtype == policy.output_dtype


@pytest.mark.parametrize("policy", [HALF, HALF_PARAMS], ids=["half", "params"])
def test_policy_on_user_module_matches_haiku(policy):
    with policies((SCALE.get, policy)):
        _, _, (out, state) = helpers.assert_matches_haiku_with_state(_scale_then_linear, X)
        seen = _dtypes_seen_inside(sonnax)
        assert seen == _dtypes_seen_inside(haiku)
    # Inputs, parameters and state are all read in the compute dtype; every method
    # (`shift` too) casts its output.
    assert seen == (jnp.dtype(policy.compute_dtype),) * 3
    assert {leaf.dtype for leaf in out} == {jnp.dtype(policy.output_dtype)}


def test_policy_on_outer_module_reaches_inner_parameters():
    with policies((lambda lib: lib.nets.MLP, HALF)):
        params, out = helpers.assert_matches_haiku(_mlp, X)
    assert params["mlp/~/linear_0"]["w"].dtype == jnp.float32
    assert out.dtype == jnp.float32


def test_nested_policies_match_haiku():
    with policies((lambda lib: lib.nets.MLP, HALF_OUT), (_linear_class, HALF)):
        helpers.assert_matches_haiku(_mlp, X)


def test_subclass_does_not_inherit_policy():
    def build(lib, x):
        return LINEAR_CHILD[lib](3, name="child")(x)

    with policies((_linear_class, HALF_PARAMS)):
        params, out = helpers.assert_matches_haiku(build, X)
        assert sonnax.mixed_precision.get_policy(SonnaxLinearChild) is None
    assert out.dtype == jnp.float32


def test_policy_under_jit_and_vmap():
    with policies((_linear_class, HALF)):
        helpers.assert_jit_and_vmap_match(_mlp, X)


def test_current_policy_inside_and_outside_methods():
    def build(lib, x):
        seen = []
        with lib.intercept_methods(lambda f, a, k, c: seen.append(current(lib)) or f(*a, **k)):
            lib.Linear(2)(x)
        return seen

    current = lambda lib: lib.mixed_precision.current_policy()
    with policies((_linear_class, HALF)):
        ours, theirs = (helpers.run(lib, build, helpers.KEY, X)[1] for lib in (sonnax, haiku))
        assert current(sonnax) is None
    # User interceptors run inside the policy's (Haiku installs it outermost).
    assert ours == theirs == [HALF, HALF]


def test_push_policy_restores_and_clear_policy_removes():
    mp = sonnax.mixed_precision
    mp.set_policy(sonnax.Linear, FULL)
    with mp.push_policy(sonnax.Linear, HALF):
        assert mp.get_policy(sonnax.Linear) is HALF
    assert mp.get_policy(sonnax.Linear) is FULL
    mp.clear_policy(sonnax.Linear)
    assert mp.get_policy(sonnax.Linear) is None
    mp.clear_policy(sonnax.Linear)
    assert interceptors.stacks.methods == []


def test_policies_are_per_thread():
    seen = []
    with policies((_linear_class, HALF)):
        thread = threading.Thread(target=lambda: seen.append(current_in_thread()))
        thread.start()
        thread.join()
    assert seen == [(None, None)]


def current_in_thread():
    return tuple(lib.mixed_precision.get_policy(lib.Linear) for lib in (haiku, sonnax))


def test_classes_made_in_functions_are_keyed_by_identity():
    def build(lib):
        first, second = lib.to_module(jnp.tanh), lib.to_module(jnp.tanh)
        with lib.mixed_precision.push_policy(first, HALF):
            return lib.mixed_precision.get_policy(first), lib.mixed_precision.get_policy(second)

    assert build(haiku) == build(sonnax) == (HALF, None)


def test_none_policy_raises_like_haiku():
    helpers.assert_raises_like_haiku(
        AssertionError,
        "To unset policies use clear_policy",
        "set_policy got policy=None",
        lambda lib: lib.mixed_precision.set_policy(lib.Linear, None),
    )


def test_push_inside_same_class_raises_like_haiku():
    def trigger(lib):
        def pushes(next_f, args, kwargs, context):
            with lib.mixed_precision.push_policy(lib.Linear, HALF):
                return next_f(*args, **kwargs)

        with lib.intercept_methods(pushes):
            helpers.run(lib, lambda lib, x: lib.Linear(2)(x), helpers.KEY, X)

    helpers.assert_raises_like_haiku(
        ValueError, "inside a method on the same class", "Linear", trigger
    )


def _narrow_resnet(lib, x):
    net = lib.nets.ResNet(
        (1, 1, 1, 1),
        3,
        bottleneck=False,
        channels_per_group=(4, 4, 8, 8),
        logits_config={"w_init": lib.initializers.RandomNormal()},
        initial_conv_config={"output_channels": 4},
    )
    return net(x, is_training=True)


def test_half_resnet_with_batch_norm_in_full_precision_matches_haiku():
    # The recipe of Haiku's docs: compute in bfloat16, but keep batch norm in float32.
    images = jax.random.normal(jax.random.PRNGKey(2), [2, 8, 8, 3])
    batch_norm_policy = FULL.with_output_dtype(jnp.bfloat16)
    with policies(
        (lambda lib: lib.nets.ResNet, HALF), (lambda lib: lib.BatchNorm, batch_norm_policy)
    ):
        params, state, (out, new_state) = helpers.assert_matches_haiku_with_state(
            _narrow_resnet, images
        )
    assert {leaf.dtype for leaf in jax.tree.leaves(params)} == {jnp.dtype(jnp.float32)}
    assert out.dtype == jnp.float32
    average = new_state["res_net/~/initial_batchnorm/~/mean_ema"]["average"]
    assert average.dtype == jnp.float32
