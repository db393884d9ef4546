"""Sonnet's `CrossReplicaBatchNorm`: batch statistics averaged over the replicas."""

from __future__ import annotations

import jax
import jax.numpy as jnp

from sonnax.compat._src import batch_norm, initializers, metrics, once
from sonnax.compat._src.distribute import replicator


def _axis_is_bound(axis_name: str) -> bool:
    try:
        jax.lax.axis_size(axis_name)
    except NameError:  # JAX's "unbound axis name" outside a map over `axis_name`.
        return False
    return True


class CrossReplicaBatchNorm(batch_norm.BaseBatchNorm):
    """`BaseBatchNorm` whose batch statistics are those of the whole batch across replicas.

    Inside a function mapped over the axis `axis_name` (`"replica"`, the axis that
    `Replicator.run` binds; also `jax.pmap`, `jax.shard_map` or `jax.vmap` given
    `axis_name="replica"`), the mean and the mean of squares are averaged over the replicas
    and the variance is `E[x^2] - E[x]^2`, as in Sonnet. Where that axis is not bound, the
    statistics are the local batch's, as Sonnet's under TF's default strategy (one
    replica); under `jax.jit` with the batch sharded across devices, that is the whole
    batch already. A map over another axis name leaves each replica with its own
    statistics: set `module.axis_name` (or a subclass's) to that name. The constructor
    keeps Sonnet's signature, hence the attribute.

    >>> import jax, jax.numpy as jnp, numpy as np
    >>> import sonnax
    >>> from sonnax import compat as snt
    >>> def forward(x):
    ...     bn = snt.distribute.CrossReplicaBatchNorm(
    ...         False, False, snt.ExponentialMovingAverage(0.9), snt.ExponentialMovingAverage(0.9)
    ...     )
    ...     return bn(x, is_training=True)
    >>> f = sonnax.transform_with_state(forward)
    >>> x = jnp.array([[[0.0], [2.0]], [[4.0], [6.0]]])  # 2 replicas, batches of 2 x 1.
    >>> params, state = f.init(None, x[0])
    >>> replicas = jax.vmap(f.apply, in_axes=(None, None, None, 0), axis_name="replica")
    >>> out, _ = replicas(params, state, None, x)
    >>> print(np.asarray(out[..., 0], np.float64).round(2))  # By mean 3, variance 5 of all 4.
    [[-1.34 -0.45]
     [ 0.45  1.34]]
    """

    axis_name: str = replicator.REPLICA_AXIS

    def __init__(
        self,
        create_scale: bool,
        create_offset: bool,
        moving_mean: metrics.Metric,
        moving_variance: metrics.Metric,
        eps: float = 1e-5,
        scale_init: initializers.Initializer | None = None,
        offset_init: initializers.Initializer | None = None,
        data_format: str = "channels_last",
        name: str | None = None,
    ):
        """Constructs the module.

        Args:
          create_scale: whether to make a trainable per-channel `scale`.
          create_offset: whether to make a trainable per-channel `offset`.
          moving_mean: metric tracking the mean, used at test time.
          moving_variance: metric tracking the variance, used at test time.
          eps: added to the variance to avoid dividing by zero.
          scale_init: initializer for `scale` (default ones); only with `create_scale`.
          offset_init: initializer for `offset` (default zeros); only with `create_offset`.
          data_format: `channels_last` (or `N...C`) or `channels_first` (or `NC...`).
          name: the module's name.
        """
        super().__init__(
            create_scale=create_scale,
            create_offset=create_offset,
            moving_mean=moving_mean,
            moving_variance=moving_variance,
            eps=eps,
            scale_init=scale_init,
            offset_init=offset_init,
            data_format=data_format,
            name=name,
        )

    @once.once
    def _initialize(self, inputs: jax.Array) -> None:
        super()._initialize(inputs)
        # As Sonnet: the statistics come from the all-reduce, so never TF's fused kernel
        # (no fused arithmetic, no Bessel correction of the moving variance).
        self._fused = False

    def _batch_moments(self, inputs: jax.Array) -> tuple[jax.Array, jax.Array]:
        mean = jnp.mean(inputs, self._axis, keepdims=True)
        mean_of_squares = jnp.mean(jnp.square(inputs), self._axis, keepdims=True)
        if _axis_is_bound(self.axis_name):
            mean, mean_of_squares = jax.lax.pmean((mean, mean_of_squares), self.axis_name)
        return mean, mean_of_squares - jnp.square(mean)
