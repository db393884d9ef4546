"""`compat.distribute.CrossReplicaBatchNorm` over 8 devices equals TF Sonnet's on the full batch.

TF Sonnet's `CrossReplicaBatchNorm` runs under TF's default strategy (one replica, the
whole batch); the compat module runs under `jax.pmap` on 8 CPU devices, each with an eighth
of the batch, its statistics all-reduced over the axis `"replica"`. Outputs, gradients
with respect to the inputs and parameters (summed over replicas), and the moving averages
after each of three training steps must agree.
"""

import jax
import jax.numpy as jnp
import numpy as np
import pytest
import sonnet
import tensorflow as tf

import sonnax
from sonnax import compat
from sonnax.convert import split_name

REPLICAS = 8
STEPS = 3
SHAPES = {"rank2": (16, 3), "rank4": (8, 2, 2, 3)}


def _build(snt, create_scale, create_offset):
    return snt.distribute.CrossReplicaBatchNorm(
        create_scale,
        create_offset,
        moving_mean=snt.ExponentialMovingAverage(0.5, name="moving_mean"),
        moving_variance=snt.ExponentialMovingAverage(0.5, name="moving_variance"),
        scale_init=snt.initializers.RandomUniform(0.5, 1.5) if create_scale else None,
        offset_init=snt.initializers.RandomNormal() if create_offset else None,
        name="bn",
    )


def _data(shape):
    rng = np.random.default_rng(sum(shape))
    xs = [(rng.standard_normal(shape) * 2 + 1).astype(np.float32) for _ in range(STEPS)]
    return xs, rng.standard_normal(shape).astype(np.float32)


def _run_tf(shape, create_scale, create_offset, is_training):
    xs, cotangent = _data(shape)
    created = []

    def record(next_creator, **kwargs):
        variable = next_creator(**kwargs)
        created.append((variable, variable.numpy().copy()))
        return variable

    steps = []
    with tf.variable_creator_scope(record):
        module = _build(sonnet, create_scale, create_offset)
        for x in xs:
            x = tf.constant(x)
            with tf.GradientTape() as tape:
                tape.watch(x)
                out = module(x, is_training=is_training)
                loss = tf.reduce_sum(out * cotangent)
            trainable = [v for v, _ in created if v.trainable]
            grads = tape.gradient(loss, [x, *trainable])
            steps.append(
                {
                    "out": out.numpy(),
                    "dx": grads[0].numpy(),
                    **{
                        ("d", split_name(v.name)): g.numpy()
                        for v, g in zip(trainable, grads[1:], strict=True)
                    },
                    **{split_name(v.name): v.numpy() for v, _ in created},
                }
            )
    initial = {split_name(v.name): (value, v.trainable) for v, value in created}
    return initial, steps


def _run_compat(shape, create_scale, create_offset, is_training, initial):
    xs, cotangent = _data(shape)
    f = sonnax.transform_with_state(
        lambda x: _build(compat, create_scale, create_offset)(x, is_training=is_training)
    )
    like_params, like_state = jax.eval_shape(f.init, jax.random.PRNGKey(0), xs[0][: shape[0] // 8])
    params, state = {}, {}
    for (module, name), (value, trainable) in initial.items():
        tree, like = (params, like_params) if trainable else (state, like_state)
        tree.setdefault(module, {})[name] = jnp.asarray(value, like[module][name].dtype)

    def step(params, state, x, cotangent):
        def loss(params, x):
            out, new_state = f.apply(params, state, None, x)
            return jnp.sum(out * cotangent), (out, new_state)

        (_, (out, new_state)), (dparams, dx) = jax.value_and_grad(
            loss, argnums=(0, 1), has_aux=True
        )(params, x)
        return out, dx, jax.lax.psum(dparams, "replica"), new_state

    replicated = jax.pmap(step, axis_name="replica", in_axes=(None, None, 0, 0))
    split = lambda a: a.reshape((REPLICAS, -1) + a.shape[1:])
    merge = lambda a: np.asarray(a).reshape((-1,) + a.shape[2:])
    steps = []
    for x in xs:
        out, dx, dparams, state = replicated(params, state, split(x), split(cotangent))
        state = jax.tree.map(lambda s: s[0], state)  # Equal on every replica (checked below).
        steps.append(
            {
                "out": merge(out),
                "dx": merge(dx),
                **{
                    ("d", (m, n)): np.asarray(v[0])
                    for m, b in dparams.items()
                    for n, v in b.items()
                },
                **{
                    (m, n): np.asarray(v)
                    for m, b in {**params, **state}.items()
                    for n, v in b.items()
                },
            }
        )
    return steps


@pytest.mark.parametrize("rank", sorted(SHAPES))
@pytest.mark.parametrize("mode", ["train", "eval"])
@pytest.mark.parametrize(("create_scale", "create_offset"), [(True, True), (False, False)])
def test_cross_replica_batch_norm_over_8_devices_equals_tf_on_the_full_batch(
    rank, mode, create_scale, create_offset
):
    assert jax.local_device_count() == REPLICAS
    shape = SHAPES[rank]
    is_training = mode == "train"
    initial, tf_steps = _run_tf(shape, create_scale, create_offset, is_training)
    compat_steps = _run_compat(shape, create_scale, create_offset, is_training, initial)
    for i, (want, got) in enumerate(zip(tf_steps, compat_steps, strict=True)):
        assert sorted(map(str, got)) == sorted(map(str, want)), f"step {i}: different entries"
        for key, value in want.items():
            np.testing.assert_allclose(
                got[key], value, rtol=1e-5, atol=1e-6, err_msg=f"{key} at step {i}"
            )


def test_moving_averages_are_the_same_on_every_replica():
    # What the comparison above takes from replica 0 holds on all of them.
    f = sonnax.transform_with_state(lambda x: _build(compat, True, True)(x, is_training=True))
    x = np.random.default_rng(0).standard_normal((16, 3)).astype(np.float32)
    params, state = f.init(jax.random.PRNGKey(0), x[:2])
    apply = jax.pmap(f.apply, axis_name="replica", in_axes=(None, None, None, 0))
    _, new_state = apply(params, state, None, x.reshape(8, 2, 3))
    for leaf in jax.tree.leaves(new_state):
        np.testing.assert_array_equal(leaf, jnp.broadcast_to(leaf[0], leaf.shape))


def test_the_comparison_catches_per_replica_statistics(monkeypatch):
    # With the all-reduce switched off (an axis no map binds), each replica normalizes by
    # its own eighth of the batch, and the outputs no longer match TF's full-batch ones.
    monkeypatch.setattr(compat.distribute.CrossReplicaBatchNorm, "axis_name", "unbound")
    initial, tf_steps = _run_tf(SHAPES["rank2"], True, True, True)
    compat_steps = _run_compat(SHAPES["rank2"], True, True, True, initial)
    assert not np.allclose(compat_steps[0]["out"], tf_steps[0]["out"], rtol=1e-3)
