"""`compat.distribute`: replicators run functions per device; errors name what is wrong."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import sonnax
from sonnax import compat


def test_replicator_runs_once_per_device_with_the_replica_axis():
    replicator = compat.distribute.Replicator()
    assert replicator.num_replicas_in_sync == jax.local_device_count() == 8
    x = jnp.arange(8.0)
    out = replicator.run(lambda x, scale: jax.lax.psum(x * scale, "replica"), args=(x, 2.0))
    np.testing.assert_array_equal(out, np.full(8, 2.0 * x.sum()))
    assert [float(v) for v in replicator.experimental_local_results(x)] == list(range(8))
    with replicator.scope():
        pass  # Sonnet code builds its modules here; nothing needs placing in JAX.


def test_replicator_over_chosen_devices_and_keyword_arguments():
    replicator = compat.distribute.Replicator(jax.local_devices()[:2])
    out = replicator.run(lambda x, y: x + y, kwargs={"x": jnp.ones([2, 3]), "y": jnp.ones([2, 3])})
    assert out.shape == (2, 3)
    np.testing.assert_array_equal(out, 2.0)


def test_replicator_trains_cross_replica_batch_norm():
    def forward(x):
        bn = compat.distribute.CrossReplicaBatchNorm(
            True,
            True,
            compat.ExponentialMovingAverage(0.9, name="mean"),
            compat.ExponentialMovingAverage(0.9, name="var"),
        )
        return bn(x, is_training=True)

    f = sonnax.transform_with_state(forward)
    x = np.random.default_rng(0).standard_normal((16, 3)).astype(np.float32) * 3 + 2
    params, state = f.init(jax.random.PRNGKey(0), x[:2])
    replicator = compat.distribute.Replicator()
    per_replica = lambda tree: jax.tree.map(lambda a: jnp.broadcast_to(a, (8, *a.shape)), tree)
    out, _ = replicator.run(
        f.apply, args=(per_replica(params), per_replica(state), None, x.reshape(8, 2, 3))
    )
    out = np.asarray(out).reshape(16, 3)
    # Normalized over all 16 examples, not each replica's 2.
    np.testing.assert_allclose(out.mean(0), 0.0, atol=1e-5)
    np.testing.assert_allclose(out.var(0), 1.0, rtol=1e-3)


def test_outside_a_map_the_module_is_its_only_replica():
    f = sonnax.transform_with_state(
        lambda x: compat.distribute.CrossReplicaBatchNorm(
            False, False, compat.Mean(name="mean"), compat.Mean(name="var")
        )(x, is_training=True)
    )
    x = jnp.array([[0.0], [2.0], [4.0], [6.0]])
    params, state = f.init(None, x)
    out, _ = f.apply(params, state, None, x)
    np.testing.assert_allclose(out[:, 0], (x[:, 0] - 3.0) / np.sqrt(5.0 + 1e-5), rtol=1e-6)


def test_run_rejects_an_argument_without_one_entry_per_replica():
    replicator = compat.distribute.Replicator(jax.local_devices()[:2])
    with pytest.raises(
        ValueError, match=r"args\[0\] has shape \(3,\), expected a leading axis of 2"
    ):
        replicator.run(lambda x: x, args=(jnp.ones(3),))


def test_replicator_rejects_what_jax_has_no_counterpart_for():
    with pytest.raises(ValueError, match="cross_device_ops"):
        compat.distribute.Replicator(cross_device_ops=object())
    with pytest.raises(TypeError, match=r"takes `jax.Device`s"):
        compat.distribute.Replicator(devices=["/gpu:0"])
    with pytest.raises(ValueError, match="no devices given"):
        compat.distribute.Replicator(devices=[])
    with pytest.raises(ValueError, match="tpu_cluster_resolver"):
        compat.distribute.TpuReplicator(tpu_cluster_resolver="grpc://tpu")
    with pytest.raises(ValueError, match="experimental_spmd_xla_partitioning"):
        compat.distribute.TpuReplicator(experimental_spmd_xla_partitioning=True)
    assert compat.distribute.TpuReplicator().num_replicas_in_sync == jax.local_device_count()


def test_create_variables_eagerly_keeps_the_function():
    def f(x):
        return x + 1

    wrapped = compat.distribute.create_variables_eagerly(f)
    assert wrapped(1) == 2
