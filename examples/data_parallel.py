"""Data-parallel training of a sonnax MLP across 8 (simulated) devices.

`--mode jit` (default) shards each batch over a "data" mesh axis with `NamedSharding`
and lets `jax.jit` insert the gradient all-reduce; params are replicated by
`sonnax.sharding.init_sharded`. `--mode pmap` does the same with `jax.pmap` and an
explicit `lax.pmean` of the gradients. Either way the (replicated) params are saved to
`--workdir` with `sonnax.convert.save`, and `--restore` carries on from the saved step.
Run: `python examples/data_parallel.py --steps 100 --mode jit`.
"""

import os

# Eight host CPU devices, unless the caller chose a device setup; must precede `import jax`.
if "xla_force_host_platform_device_count" not in os.environ.get("XLA_FLAGS", ""):
    os.environ["XLA_FLAGS"] = (
        os.environ.get("XLA_FLAGS", "") + " --xla_force_host_platform_device_count=8"
    ).strip()

import checkpointing  # noqa: E402
import jax  # noqa: E402
import jax.numpy as jnp  # noqa: E402
import numpy as np  # noqa: E402
import tqdm  # noqa: E402
from absl import app, flags  # noqa: E402
from jax.sharding import Mesh, NamedSharding  # noqa: E402
from jax.sharding import PartitionSpec as P  # noqa: E402

import sonnax as snx  # noqa: E402

_STEPS = flags.DEFINE_integer("steps", 100, "Number of SGD steps.")
_BATCH_SIZE = flags.DEFINE_integer("batch_size", 64, "Global batch size (split over devices).")
_LEARNING_RATE = flags.DEFINE_float("learning_rate", 0.05, "SGD learning rate.")
_MODE = flags.DEFINE_enum("mode", "jit", ["jit", "pmap"], "How to spread the batch.")
_CHECKPOINT_EVERY = flags.DEFINE_integer("checkpoint_every", 50, "Steps between checkpoints.")
_WORKDIR = flags.DEFINE_string("workdir", "/tmp/sonnax_data_parallel", "Checkpoint directory.")
_RESTORE = flags.DEFINE_bool("restore", False, "Resume from the checkpoint in --workdir.")


def make_dataset(seed: int, num_examples: int = 2048) -> tuple[np.ndarray, np.ndarray]:
    """Noisy targets of a fixed random two-layer network on Gaussian inputs."""
    rng = np.random.default_rng(seed)
    inputs = rng.normal(size=(num_examples, 16)).astype(np.float32)
    hidden = np.tanh(inputs @ rng.normal(size=(16, 32)).astype(np.float32))
    targets = hidden @ rng.normal(size=(32, 1)).astype(np.float32) / 4
    return inputs, targets + 0.05 * rng.normal(size=targets.shape).astype(np.float32)


def loss_fn(inputs: jax.Array, targets: jax.Array) -> jax.Array:
    predictions = snx.nets.MLP([64, 64, 1])(inputs)
    return jnp.mean((predictions - targets) ** 2)


LOSS = snx.without_apply_rng(snx.transform(loss_fn))


def sgd(params, grads):
    return jax.tree.map(lambda p, g: p - _LEARNING_RATE.value * g, params, grads)


def batches(inputs: np.ndarray, targets: np.ndarray, first_step: int):
    """`(step, inputs, targets)` for each step, walking through the data in order."""
    size = _BATCH_SIZE.value
    steps = range(first_step, _STEPS.value)
    for step in tqdm.tqdm(steps, initial=first_step, total=_STEPS.value):
        start = (step * size) % (len(inputs) - size)
        yield step, inputs[start : start + size], targets[start : start + size]


def restored_params(inputs: np.ndarray, targets: np.ndarray) -> tuple[int, snx.Params]:
    """The step and params saved in `--workdir`, checked against the model's shapes."""
    shapes = jax.eval_shape(LOSS.init, jax.random.PRNGKey(42), inputs[:1], targets[:1])
    checkpoint = checkpointing.restore(_WORKDIR.value, shapes)
    print(f"restored step {checkpoint.step} from {checkpointing.path(_WORKDIR.value)}")
    return checkpoint.step, checkpoint.params


def train_with_jit(inputs: np.ndarray, targets: np.ndarray) -> None:
    mesh = Mesh(np.array(jax.devices()), ("data",))
    batch_sharding = NamedSharding(mesh, P("data"))
    if _RESTORE.value:  # Host arrays, replicated over the mesh like `init_sharded`'s.
        first_step, params = restored_params(inputs, targets)
        params = jax.device_put(params, NamedSharding(mesh, P()))
    else:
        key = jax.random.PRNGKey(42)
        params = snx.sharding.init_sharded(
            LOSS.init, mesh, [], key, inputs[:1], targets[:1], default=P()
        )
        first_step = 0

    @jax.jit
    def step(params, x, y):
        value, grads = jax.value_and_grad(LOSS.apply)(params, x, y)
        return sgd(params, grads), value

    for i, x, y in batches(inputs, targets, first_step):
        x, y = jax.device_put(x, batch_sharding), jax.device_put(y, batch_sharding)
        params, value = step(params, x, y)
        report(i, value)
        if checkpoint_due(i):
            checkpointing.save(_WORKDIR.value, i + 1, params)


def train_with_pmap(inputs: np.ndarray, targets: np.ndarray) -> None:
    devices = jax.local_device_count()
    if _RESTORE.value:
        first_step, params = restored_params(inputs, targets)
    else:
        first_step, params = 0, LOSS.init(jax.random.PRNGKey(42), inputs[:1], targets[:1])
    params = jax.tree.map(lambda p: jnp.broadcast_to(p, (devices, *p.shape)), params)

    def step(params, x, y):
        value, grads = jax.value_and_grad(LOSS.apply)(params, x, y)
        grads = jax.lax.pmean(grads, axis_name="data")
        return sgd(params, grads), jax.lax.pmean(value, axis_name="data")

    def per_device(batch: np.ndarray) -> np.ndarray:
        return batch.reshape([devices, -1, *batch.shape[1:]])

    parallel_step = jax.pmap(step, axis_name="data")
    for i, x, y in batches(inputs, targets, first_step):
        params, value = parallel_step(params, per_device(x), per_device(y))
        report(i, value[0])
        if checkpoint_due(i):  # Every device holds the same params; one copy is saved.
            checkpointing.save(_WORKDIR.value, i + 1, jax.tree.map(lambda p: p[0], params))


def report(step: int, value: jax.Array) -> None:
    if step % 10 == 0 or step == _STEPS.value - 1:
        tqdm.tqdm.write(f"step {step:4d}  loss {float(value):.4f}")


def checkpoint_due(step: int) -> bool:
    """Whether to save after `step`: every `--checkpoint_every` steps, and after the last."""
    done = step + 1
    return done % _CHECKPOINT_EVERY.value == 0 or done == _STEPS.value


def main(argv: list[str]) -> None:
    del argv
    print(f"{_MODE.value}: {jax.device_count()} devices, global batch {_BATCH_SIZE.value}")
    inputs, targets = make_dataset(seed=0)
    train = train_with_jit if _MODE.value == "jit" else train_with_pmap
    train(inputs, targets)


if __name__ == "__main__":
    app.run(main)
