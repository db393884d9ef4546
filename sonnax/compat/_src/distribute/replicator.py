"""Sonnet's `Replicator` and `TpuReplicator` on `jax.pmap`, and `create_variables_eagerly`.

A TF distribution strategy mirrors variables onto devices and runs a function once per
device. JAX parameters are plain arrays, so nothing needs placing when they are made:
a replicator here is a list of devices, and `run` maps a function over them with
`jax.pmap`, binding the axis `"replica"` that `CrossReplicaBatchNorm` averages over.
"""

from __future__ import annotations

import contextlib
import functools
from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import Any, TypeVar

import jax
import numpy as np

T = TypeVar("T")

# The axis `run` maps over, and the one `CrossReplicaBatchNorm` reduces over by default.
REPLICA_AXIS = "replica"


def _is_array(value: Any) -> bool:
    return isinstance(value, jax.Array | np.ndarray)


def _argument_name(path: tuple[Any, ...]) -> str:
    """`args[0]['x']` or `kwargs['x']` for a leaf of `(args, kwargs)`."""
    head = "args" if path[0].idx == 0 else "kwargs"
    return head + jax.tree_util.keystr(path[1:])


@functools.lru_cache(maxsize=64)
def _pmapped(
    fn: Callable[..., Any],
    treedef: Any,
    statics: tuple[tuple[int, Any], ...],
    devices: tuple[jax.Device, ...],
) -> Callable[..., Any]:
    """`fn` mapped over `devices`, taking the array leaves of `(args, kwargs)`; cached so
    that calling `run` again with the same function and Python values does not retrace."""

    def per_replica(*arrays: Any) -> Any:
        leaves = list(arrays)
        for index, value in statics:
            leaves.insert(index, value)
        args, kwargs = jax.tree.unflatten(treedef, leaves)
        return fn(*args, **kwargs)

    return jax.pmap(per_replica, axis_name=REPLICA_AXIS, devices=list(devices))


class _Replicator:
    """What `Replicator` and `TpuReplicator` share: devices, `scope`, `run`."""

    def __init__(self, devices: Sequence[Any], owner: str):
        devices = tuple(devices)
        if not devices:
            raise ValueError(f"{owner}(devices=...): no devices given; pass at least one.")
        for device in devices:
            if not isinstance(device, jax.Device):
                raise TypeError(
                    f"{owner}(devices=...) takes `jax.Device`s (e.g. `jax.local_devices()[:2]`), "
                    f"got {device!r} of type {type(device).__name__}."
                )
        self._devices = devices
        self._owner = owner

    @property
    def axis_name(self) -> str:
        """The axis name `run` binds: `"replica"`."""
        return REPLICA_AXIS

    @property
    def num_replicas_in_sync(self) -> int:
        """The number of replicas, one per device."""
        return len(self._devices)

    @contextlib.contextmanager
    def scope(self) -> Iterator[None]:
        """Does nothing, so that Sonnet code building modules under `scope()` runs.

        Sonnet mirrors the variables created inside onto every device. Parameters here are
        arrays returned by `init`; `run` gives each replica its own copy of what it is passed.

        Yields:
          Nothing.
        """
        yield

    def run(
        self,
        fn: Callable[..., Any],
        args: Sequence[Any] = (),
        kwargs: Mapping[str, Any] | None = None,
    ) -> Any:
        """Runs `fn(*args, **kwargs)` once per device with `jax.pmap` over the axis `"replica"`.

        Every array in `args` and `kwargs` is per replica: its leading axis has one entry per
        replica, which that replica sees without the axis (replicate a shared value, e.g.
        parameters, with `jnp.broadcast_to(value, (replicas, *value.shape))`). Other
        values (Python numbers, bools, strings) are given to every replica as they are, and
        must be hashable: the mapped function is kept per `fn` and such values, so calling
        `run` again with them does not compile again.

        >>> import jax, jax.numpy as jnp
        >>> from sonnax import compat as snt
        >>> replicator = snt.distribute.Replicator(jax.local_devices()[:2])
        >>> replicator.run(lambda x: jax.lax.psum(x, "replica"), args=(jnp.array([1.0, 2.0]),))
        Array([3., 3.], dtype=float32)

        Args:
          fn: the function each replica runs; it may use collectives over `"replica"`.
          args: positional arguments of `fn`.
          kwargs: keyword arguments of `fn`.

        Returns:
          What `fn` returns, each array with a leading axis of one entry per replica.

        Raises:
          ValueError: an array's leading axis is not the number of replicas.
        """
        flat, treedef = jax.tree_util.tree_flatten_with_path((tuple(args), dict(kwargs or {})))
        arrays, statics = [], []
        for index, (path, leaf) in enumerate(flat):
            if not _is_array(leaf):
                statics.append((index, leaf))
                continue
            if np.ndim(leaf) == 0 or np.shape(leaf)[0] != self.num_replicas_in_sync:
                raise ValueError(
                    f"{self._owner}.run: {_argument_name(path)} has shape {np.shape(leaf)}, "
                    f"expected a leading axis of {self.num_replicas_in_sync} (one entry per "
                    "replica). Split the batch with `x.reshape(replicas, -1, *x.shape[1:])`, or "
                    "replicate a shared value with `jnp.broadcast_to(v, (replicas, *v.shape))`."
                )
            arrays.append(leaf)
        key = (fn, treedef, tuple(statics), self._devices)
        try:
            mapped = _pmapped(*key)
        except TypeError:  # An unhashable Python value: map without the cache.
            mapped = _pmapped.__wrapped__(*key)
        return mapped(*arrays)

    def experimental_local_results(self, value: Any) -> tuple[Any, ...]:
        """Splits a value returned by `run` into one value per replica.

        Args:
          value: a tree of arrays with a leading axis of one entry per replica.

        Returns:
          A tuple with each replica's tree.
        """
        return tuple(
            jax.tree.map(lambda x, i=i: x[i], value) for i in range(self.num_replicas_in_sync)
        )


class Replicator(_Replicator):
    """Sonnet's `Replicator`: data parallelism over the local devices with `jax.pmap`.

    Build modules as usual (under `scope()` if the Sonnet code did), then call
    `run(fn, args)` to run `fn` on each device; inside, collectives over the axis
    `"replica"` (`jax.lax.pmean(x, "replica")`, `CrossReplicaBatchNorm`) see every replica.
    """

    def __init__(self, devices: Sequence[jax.Device] | None = None, cross_device_ops: Any = None):
        """Constructs the replicator.

        Args:
          devices: the devices to replicate over; by default `jax.local_devices()`.
          cross_device_ops: must be `None`: XLA chooses how to all-reduce (in TF this picks
            NCCL, hierarchical copies, ...).

        Raises:
          TypeError: a device is not a `jax.Device` (TF's `"/gpu:0"` strings are not).
          ValueError: `devices` is empty, or `cross_device_ops` is given.
        """
        if cross_device_ops is not None:
            raise ValueError(
                f"Replicator(cross_device_ops={cross_device_ops!r}): JAX has no cross-device "
                "ops to choose, XLA compiles the all-reduce; pass None."
            )
        super().__init__(jax.local_devices() if devices is None else devices, "Replicator")


class TpuReplicator(_Replicator):
    """Sonnet's `TpuReplicator`: data parallelism over all local devices with `jax.pmap`.

    JAX runs the same program on any backend, so this is `Replicator` over every device of
    the default backend (the TPU cores on a TPU host), with TF's TPU arguments at their
    defaults.
    """

    def __init__(
        self,
        tpu_cluster_resolver: Any = None,
        experimental_device_assignment: Any = None,
        experimental_spmd_xla_partitioning: bool = False,
    ):
        """Constructs the replicator.

        Args:
          tpu_cluster_resolver: must be `None`: JAX finds the TPUs itself.
          experimental_device_assignment: must be `None`: replicas are `jax.local_devices()`.
          experimental_spmd_xla_partitioning: must be `False`; to partition with XLA's SPMD,
            use `jax.jit` with shardings instead.

        Raises:
          ValueError: an argument is not at its default.
        """
        given = {
            "tpu_cluster_resolver": tpu_cluster_resolver,
            "experimental_device_assignment": experimental_device_assignment,
            "experimental_spmd_xla_partitioning": experimental_spmd_xla_partitioning or None,
        }
        for name, value in given.items():
            if value is not None:
                raise ValueError(
                    f"TpuReplicator({name}={value!r}) has no JAX equivalent: the replicas are "
                    "`jax.local_devices()`; leave it at its default."
                )
        super().__init__(jax.local_devices(), "TpuReplicator")


def create_variables_eagerly(f: Callable[..., T]) -> Callable[..., T]:
    """Returns `f` itself: in JAX variables are made by `init`, there is no graph mode.

    Sonnet wraps `f` so that variables created while a `tf.function` traces it are made
    eagerly, which is faster to set up; here there is nothing to speed up.

    Args:
      f: any function.

    Returns:
      `f`.
    """
    return f
